/** Structured JSON logs (pino). Credentials never reach a log line: redact the usual suspects anyway. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'jobs-subgraph' },
    redact: { paths: ['*.authorization', '*.Authorization', '*.headers.authorization', '*.headers["x-auth-token"]', '*.secret', '*.sk'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
