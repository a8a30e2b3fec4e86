import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}

/** A minimal OTLP/HTTP JSON collector: records every span it is sent. */
async function startCollector() {
  const spans: OtlpSpan[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    spans,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value.stringValue;

describe('OpenTelemetry tracing', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let server: TestServer;
  beforeAll(async () => {
    collector = await startCollector();
    server = await startTestServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
  });
  afterAll(async () => {
    await collector.close();
  });

  it('exports a span per operation continuing the router’s traceparent, with a child span per provider call', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const parent = 'b7ad6b7169203331';
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parent}-01` },
      body: JSON.stringify({
        query:
          'query Traced { jobs(refs: [{provider: DLI, jobId: "t-1"}, {provider: NLB, jobId: "t-2"}]) { __typename } }',
      }),
    });
    expect(res.status).toBe(200);
    await server.stop(); // flushes the exporter
    const request = collector.spans.find((s) => s.name === 'graphql Traced');
    expect(request).toBeDefined();
    expect(request!.traceId).toBe(traceId); // OTLP/JSON carries ids as hex
    expect(request!.parentSpanId).toBe(parent);
    const calls = collector.spans.filter((s) => s.name.startsWith('provider '));
    expect(calls.map((s) => attr(s, 'jobs.provider')).sort()).toEqual(['DLI', 'NLB']);
    for (const c of calls) {
      expect(c.traceId).toBe(request!.traceId);
      expect(c.parentSpanId).toBe(request!.spanId);
      expect(attr(c, 'jobs.outcome')).toBe('ok');
    }
  });
});
