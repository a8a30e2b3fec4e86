/**
 * OpenTelemetry traces, only when `OTEL_EXPORTER_OTLP_ENDPOINT` is configured: a SERVER span per
 * GraphQL HTTP request (continuing the router's `traceparent`) and a CLIENT span per provider call.
 * Off by default; the SDK is then never loaded and the helpers below cost one boolean check.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

let enabled = false;
const tracer = () => trace.getTracer('jobs-subgraph');

export interface TracingHandle {
  /** Flushes pending spans and unregisters the provider. */
  shutdown(): Promise<void>;
}

/** Loads the SDK and registers a global tracer provider exporting OTLP over HTTP. */
export async function startTracing(endpoint: string, serviceName: string): Promise<TracingHandle> {
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { W3CTraceContextPropagator },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` })),
    ],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  enabled = true;
  return {
    async shutdown() {
      enabled = false;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** Runs `next` inside a SERVER span whose parent is the incoming `traceparent`, ended with the response. */
export function traceHttpRequest(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  if (!enabled) return next();
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer().startSpan(
    'graphql.request',
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '' } },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
}

/** Names the active request span after the operation and records its error codes. */
export function annotateOperation(operationName: string | null, errorCodes: readonly unknown[]): void {
  if (!enabled) return;
  const span = trace.getActiveSpan();
  if (!span) return;
  if (operationName) span.updateName(`graphql ${operationName}`);
  span.setAttribute('graphql.operation.name', operationName ?? '');
  if (errorCodes.length > 0) {
    span.setAttribute('graphql.error.codes', errorCodes.map(String));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/**
 * Wraps one provider call in a CLIENT span (a child of the request span when there is one).
 * `attributesOf` is only called when tracing is on, so untraced calls build no attribute object.
 */
export function traceProviderCall<T>(
  attributesOf: () => Record<string, string>,
  fn: () => Promise<T>,
  outcomeOf: (err: unknown) => string,
): Promise<T> {
  if (!enabled) return fn();
  const attributes = attributesOf();
  return tracer().startActiveSpan(
    `provider ${attributes['jobs.provider'] ?? ''}`,
    { kind: SpanKind.CLIENT, attributes },
    async (span) => {
      try {
        const result = await fn();
        span.setAttribute('jobs.outcome', 'ok');
        return result;
      } catch (err) {
        span.setAttribute('jobs.outcome', outcomeOf(err));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
