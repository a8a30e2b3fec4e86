/** Entry point: environment → config → server; SIGTERM/SIGINT stop it gracefully. */
import { ConfigError, resolveConfig } from './config.js';
import { createLogger } from './logger.js';
import { createServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = resolveConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const server = await createServer(config, { logger });
  if (config.mode === 'simulator') {
    logger.info(
      { mode: 'simulator', url: server.url, endpoints: server.simulator?.endpoints },
      `jobs-subgraph running on the built-in SIMULATOR (no cloud calls) at ${server.url}`,
    );
  } else {
    logger.info({ mode: 'live', url: server.url }, `jobs-subgraph running against live provider APIs at ${server.url}`);
  }
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
