/**
 * createServer(config): one HTTP server carrying GraphQL over HTTP (Apollo Server via Express) and
 * over WebSocket (graphql-ws, `graphql-transport-ws`), both on `/graphql`, plus `/healthz` and
 * `/readyz`. In simulator mode it starts the built-in fakes and points the clients at them.
 */
import { randomUUID } from 'node:crypto';
import { once, setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from './config.js';
import { createContext, type RequestContext, type Services } from './context.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { currentScope, requestScopeFrom, runInScope } from './observability/request-context.js';
import { operationLog } from './observability/operation-log.js';
import { startTracing, traceHttpRequest } from './observability/tracing.js';
import { requireRouterSecret } from './security/router-secret.js';
import { createWebSocketTransport, type ConnectHook } from './websocket/graphql-ws-server.js';
import { createGraphiqlRouter } from './ui/graphiql.js';
import { createClients } from './providers/clients.js';
import { HttpTransport } from './providers/http.js';
import { ProviderRegistry } from './providers/registry.js';
import type { BreakerState } from './providers/resilience/circuit-breaker.js';
import { PROVIDERS } from './providers/types.js';
import { ClusterHub } from './coordination/cluster-hub.js';
import { PollEngine } from './polling/engine.js';
import { JobSource, type Observation, type WatchedJobs } from './loaders/job-source.js';
import { RedisCoordinator } from './coordination/redis-coordinator.js';
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
  /** Authentication hook for graphql-ws connections (after the router secret). */
  onConnect?: ConnectHook;
  /** Names this replica in Redis leases. @default hostname-pid-random */
  replicaId?: string;
}

export interface RunningServer {
  /** `http://host:port/graphql` */
  url: string;
  /** `ws://host:port/graphql` */
  wsUrl: string;
  services: Services;
  metrics: Metrics;
  /** Present with REDIS_URL: the hub and its Redis connections. */
  cluster: { hub: ClusterHub; coordinator: RedisCoordinator } | null;
  simulator: Simulator | null;
  readonly draining: boolean;
  /** Graceful stop: WebSockets closed with 1001, in-flight HTTP requests finished. Idempotent. */
  stop(): Promise<void>;
}

export async function createServer(config: Readonly<Config>, deps: ServerDeps = {}): Promise<RunningServer> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const tracing = config.otel ? await startTracing(config.otel.endpoint, config.otel.serviceName) : null;
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
    resilience: {
      ...config.resilience,
      // Codes, states and numbers only: nothing secret can reach these lines.
      onEvent: (e) => {
        if (e.type === 'retry') metrics.providerRetries.inc({ provider: e.provider });
        if (e.type === 'provider-throttled') metrics.providerThrottled.inc({ provider: e.provider });
        if (e.type === 'rate-limited' && e.rejected) metrics.providerRateLimitRejections.inc({ provider: e.provider });
        if (e.type === 'breaker') metrics.breakerState.set({ provider: e.provider, region: e.region }, BREAKER_GAUGE[e.state]);
        if (e.type === 'breaker') logger.warn(e, 'provider circuit breaker');
        else logger.debug(e, `provider ${e.type}`);
      },
    },
  });
  const registry = new ProviderRegistry({
    clients,
    concurrency: config.providerConcurrency,
    onCall: (e) => {
      metrics.providerCallSeconds.observe({ provider: e.key.provider, outcome: e.outcome }, e.durationMs / 1000);
      const line = {
        requestId: currentScope()?.requestId,
        provider: e.key.provider,
        region: e.key.region,
        projectId: e.key.projectId,
        jobId: e.key.jobId,
        outcome: e.outcome,
        ms: Math.round(e.durationMs),
        providerRequestId: e.requestId,
      };
      if (e.outcome === 'ok') logger.debug(line, 'provider call');
      else logger.warn(line, 'provider call failed');
    },
  });
  const engine = new PollEngine({
    registry,
    minIntervalMs: config.poll.minIntervalMs,
    maxIntervalMs: config.poll.maxIntervalMs,
    terminalTtlMs: config.poll.terminalTtlMs,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    onTransition: (job) => metrics.transitions.inc({ provider: job.provider, state: job.state }),
  });
  const coordinator = config.redis
    ? new RedisCoordinator({
        url: config.redis.url,
        prefix: config.redis.prefix,
        onHealth: (healthy) => {
          metrics.redisUp.set(healthy ? 1 : 0);
          if (healthy) logger.info({ redis: 'up' }, 'redis connections ready');
          else logger.warn({ redis: 'down' }, 'redis unreachable: subscriptions poll locally until it returns');
        },
      })
    : null;
  if (coordinator) metrics.redisUp.set(0);
  const hub = coordinator
    ? new ClusterHub({
        engine,
        coordinator,
        replicaId: deps.replicaId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
        leaseMs: config.redis!.leaseMs,
        terminalTtlMs: config.poll.terminalTtlMs,
        ...(deps.clock ? { clock: deps.clock } : {}),
      })
    : null;
  // Queries: finished jobs from memory, watched jobs from what their poller (or the cluster) saw
  // within the coalesce window, one call per job at a time.
  const watched: WatchedJobs = {
    latest: (id) => fresher(engine.latest(id), hub?.latest(id)),
    observed: (id, job) => engine.observed(id, job),
  };
  const jobs = new JobSource({
    registry,
    watched,
    coalesceMs: config.queryCoalesceMs,
    terminalTtlMs: config.poll.terminalTtlMs,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const services: Services = {
    registry,
    jobs,
    engine,
    watcher: hub ?? engine,
    maxRefs: config.maxRefs,
    metrics,
    defaults: {
      allow: config.allow,
      alibabaRegion: config.alibaba.region ?? (simulated ? SIMULATOR_ALIBABA_REGION : null),
      huaweiRegion: config.huawei.region ?? (simulated ? SIMULATOR_HUAWEI_REGION : null),
      huaweiProjectId: config.huawei.projectId ?? (simulated ? SIMULATOR_HUAWEI_PROJECT_ID : null),
    },
  };

  const schema = createSchema();
  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: config.limits.maxAliases },
    costLimit: { maxCost: config.limits.maxCost },
    // Token limit in the parser instead (parseOptions below): armor's plugin turns every syntax
    // error into HTTP 500 (graphql-armor#571).
    maxTokens: { enabled: false },
    maxDirectives: { n: 50 },
    blockFieldSuggestion: { enabled: config.production },
  }).protect();

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const ws = createWebSocketTransport({
    httpServer,
    schema,
    services,
    metrics,
    validationRules: armor.validationRules,
    maxTokens: config.limits.maxTokens,
    production: config.production,
    keepAliveMs: config.wsKeepAliveMs,
    routerSecret: config.routerSecret,
    connectionsPerIp: config.limits.wsConnectionsPerIp,
    subscriptionsPerConnection: config.limits.wsSubscriptionsPerConnection,
    ...(deps.onConnect ? { onConnect: deps.onConnect } : {}),
  });

  const apollo = new ApolloServer<RequestContext>({
    schema,
    // Apollo's start-up chatter ("Enabling inline tracing…") is debug for us: the first info line
    // must say which mode the server runs in.
    logger: { debug: (m) => logger.debug(m), info: (m) => logger.debug(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
    formatError,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: config.limits.maxTokens },
    // main.ts owns SIGTERM/SIGINT; Apollo's own handler would close the listener at once (no drain
    // delay) and re-raise the signal, killing the process before our shutdown finishes.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    validationRules: armor.validationRules,
    // armor is typed against the CJS build of @apollo/server; the plugin objects are the same.
    plugins: [...(armor.plugins as unknown as ApolloServerPlugin<RequestContext>[]), ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), operationLog(logger)],
  });
  await apollo.start();

  let draining = false;
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const providers = Object.fromEntries(PROVIDERS.map((p) => [p, registry.isConfigured(p)]));
    const anyProvider = Object.values(providers).some(Boolean);
    const redis = coordinator ? coordinator.healthy : undefined;
    const ready = !draining && anyProvider && redis !== false;
    const status = draining ? 'draining' : !anyProvider ? 'no provider configured' : redis === false ? 'redis unreachable' : 'ready';
    res.status(ready ? 200 : 503).json({ status, mode: config.mode, providers, ...(coordinator ? { redis: redis ? 'up' : 'down' } : {}) });
  });
  app.get('/metrics', async (_req, res) => {
    metrics.pollersActive.set(engine.activePollers);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // Every request runs in a scope carrying its id (the router's traceparent when present).
  app.use((req, res, next) => {
    const scope = requestScopeFrom(req.headers);
    res.setHeader('x-request-id', scope.requestId);
    runInScope(scope, () => traceHttpRequest(req, res, next));
  });
  // GraphiQL for browsers (static page and assets, no data): before the secret check and Apollo.
  app.use(createGraphiqlRouter({ enabled: config.graphiql }));
  if (config.routerSecret !== null) app.use('/graphql', requireRouterSecret(config.routerSecret));
  app.use(
    '/graphql',
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, { context: async ({ res }) => createContext(services, abortWhenClientLeaves(res)) }),
  );
  // Malformed JSON or an oversized body: a coded GraphQL-shaped error, not Express's HTML page.
  app.use((err: { status?: number; type?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!err || typeof err.status !== 'number') return next(err);
    const code = err.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
    res.status(err.status).json({ errors: [{ message: code === 'PAYLOAD_TOO_LARGE' ? 'request body too large' : 'malformed request body', extensions: { code } }] });
  });

  httpServer.listen(config.port, config.host);
  await once(httpServer, 'listening');
  const { port } = httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      engine.stop();
      await ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      await hub?.stop();
      await coordinator?.close();
      // Keep answering (readiness says draining) so the router stops sending before we close.
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      await apollo.stop();
      await tracing?.shutdown(); // after the last request's span has ended
      await transport.close();
      if (ownsSimulator && simulator) await simulator.stop();
    })());

  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    services,
    metrics,
    cluster: hub && coordinator ? { hub, coordinator } : null,
    simulator,
    get draining() {
      return draining;
    },
    stop,
  };
}

function fresher(a: Observation | undefined, b: Observation | undefined): Observation | undefined {
  if (!a || !b) return a ?? b;
  return b.observedAt > a.observedAt ? b : a;
}

/** Gauge values of `jobs_provider_breaker_state`. */
const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Cancels provider calls of a request whose client went away before the answer was sent. */
function abortWhenClientLeaves(res: http.ServerResponse): AbortSignal {
  const controller = new AbortController();
  // Every provider call of the request listens on this signal (up to maxRefs × attempts).
  setMaxListeners(0, controller.signal);
  // On the response, not the socket: keep-alive sockets serve many requests, and a listener per
  // request on the socket would pile up.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
