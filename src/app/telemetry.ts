/** Logs, metrics and (when configured) traces: built first, handed to every other part. */
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { startTracing } from '../observability/tracing.js';

export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
  /** Flushes the last spans; call after the last request finished. */
  stop(): Promise<void>;
}

export async function startTelemetry(config: Readonly<Config>, logger?: Logger): Promise<Telemetry> {
  const tracing = config.otel ? await startTracing(config.otel.endpoint, config.otel.serviceName) : null;
  return {
    logger: logger ?? createLogger(config.logLevel),
    metrics: createMetrics(),
    stop: async () => {
      await tracing?.shutdown();
    },
  };
}
