/**
 * createServer(config): one HTTP server carrying GraphQL over HTTP (Apollo Server via Express) and
 * over WebSocket (graphql-ws, `graphql-transport-ws`), both on `/graphql`, plus `/healthz` and
 * `/readyz`. In simulator mode it starts the built-in fakes and points the clients at them.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { createContext, type RequestContext, type Services } from './context.js';
import { createLogger, type Logger } from './logger.js';
import { createClients } from './providers/clients.js';
import { HttpTransport } from './providers/http.js';
import { ProviderRegistry } from './providers/registry.js';
import { PollEngine } from './polling/engine.js';
import type { Clock } from './polling/clock.js';
import { createSchema } from './schema/index.js';
import { formatError } from './schema/format-error.js';
import { SIMULATOR_ALIBABA, SIMULATOR_ALIBABA_REGION, SIMULATOR_HUAWEI, SIMULATOR_HUAWEI_PROJECT_ID, SIMULATOR_HUAWEI_REGION } from './simulator/credentials.js';
import { startSimulator, type Simulator } from './simulator/index.js';

/** Close code for "server going away": clients should reconnect elsewhere. */
export const CLOSE_GOING_AWAY = 1001;

export interface ServerDeps {
  logger?: Logger;
  /** Use this simulator instead of starting one (tests script its fakes and clock). */
  simulator?: Simulator;
  /** Signing clock for provider clients. @default () => new Date() */
  now?: () => Date;
  /** Clock of the poll engine (tests drive it by hand). @default systemClock */
  clock?: Clock;
  /** Random source for poll jitter. @default Math.random */
  random?: () => number;
}

export interface RunningServer {
  /** `http://host:port/graphql` */
  url: string;
  /** `ws://host:port/graphql` */
  wsUrl: string;
  services: Services;
  simulator: Simulator | null;
  readonly draining: boolean;
  /** Graceful stop: WebSockets closed with 1001, in-flight HTTP requests finished. Idempotent. */
  stop(): Promise<void>;
}

export async function createServer(config: Readonly<Config>, deps: ServerDeps = {}): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const simulated = config.mode === 'simulator';
  const ownsSimulator = simulated && !deps.simulator;
  const simulator = simulated ? (deps.simulator ?? (await startSimulator({ stepMs: config.simulatorStepMs }))) : null;

  const transport = new HttpTransport({ deadlineMs: config.providerDeadlineMs });
  const clients = createClients({
    transport,
    alibaba: simulated ? SIMULATOR_ALIBABA : config.alibaba.credentials,
    huawei: simulated ? SIMULATOR_HUAWEI : config.huawei.auth,
    endpoints: simulator ? simulator.endpoints : config.endpoints,
    workspaceApi: config.workspaceApi,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const registry = new ProviderRegistry({
    clients,
    concurrency: config.providerConcurrency,
    onCall: (e) =>
      logger.debug({ provider: e.key.provider, region: e.key.region, jobId: e.key.jobId, outcome: e.outcome, ms: Math.round(e.durationMs), providerRequestId: e.requestId }, 'provider call'),
  });
  const engine = new PollEngine({
    registry,
    minIntervalMs: config.poll.minIntervalMs,
    maxIntervalMs: config.poll.maxIntervalMs,
    terminalTtlMs: config.poll.terminalTtlMs,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  const services: Services = {
    registry,
    engine,
    maxRefs: config.maxRefs,
    defaults: {
      alibabaRegion: config.alibaba.region ?? (simulated ? SIMULATOR_ALIBABA_REGION : null),
      huaweiRegion: config.huawei.region ?? (simulated ? SIMULATOR_HUAWEI_REGION : null),
      huaweiProjectId: config.huawei.projectId ?? (simulated ? SIMULATOR_HUAWEI_PROJECT_ID : null),
    },
  };

  const schema = createSchema();
  const app = express();
  const httpServer = http.createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsDisposable = useServer<Record<string, unknown>, { context?: RequestContext }>(
    {
      schema,
      context: () => createContext(services),
      // Same error contract as HTTP: coded extensions, no stack traces, internals masked.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
    },
    wsServer,
    config.wsKeepAliveMs,
  );

  const apollo = new ApolloServer<RequestContext>({
    schema,
    logger,
    formatError,
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  let draining = false;
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.status(draining ? 503 : 200).json({ status: draining ? 'draining' : 'ready', mode: config.mode });
  });
  app.use(
    '/graphql',
    express.json({ limit: '256kb' }),
    expressMiddleware(apollo, { context: async ({ req }) => createContext(services, abortOnClose(req)) }),
  );

  httpServer.listen(config.port, config.host);
  await once(httpServer, 'listening');
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      engine.stop();
      for (const client of wsServer.clients) client.close(CLOSE_GOING_AWAY, 'server shutting down');
      await wsDisposable.dispose();
      await apollo.stop();
      await transport.close();
      if (ownsSimulator && simulator) await simulator.stop();
    })());

  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    services,
    simulator,
    get draining() {
      return draining;
    },
    stop,
  };
}

/** Cancels provider calls of a request whose client went away. */
function abortOnClose(req: http.IncomingMessage): AbortSignal {
  const controller = new AbortController();
  req.socket.once('close', () => controller.abort());
  return controller.signal;
}
