/**
 * The composition root: one HTTP server with GraphQL over HTTP and WebSocket on `/graphql`. Each
 * part in src/app/ builds one subsystem, in this order (docs/architecture.md): telemetry → Redis
 * (coordinator, presence) → providers (with the quotas on Redis) → watching (poll engine, cluster
 * hub, query job source) → GraphQL → subscriptions (engine, HTTP callbacks) → HTTP, WebSocket.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { buildGraphql } from './app/graphql.js';
import { buildHttp } from './app/http.js';
import { buildProviders } from './app/providers.js';
import { buildRedis } from './app/redis.js';
import { buildSubscriptions } from './app/subscriptions.js';
import { startTelemetry } from './app/telemetry.js';
import { buildWatching } from './app/watching.js';
import { startWebSocket } from './app/websocket.js';
import type { Config } from './config.js';
import type { Services } from './context.js';
import type { Logger } from './logger.js';
import type { Clock } from './polling/clock.js';
import { cloudOf } from './providers/types.js';
import type { Simulator } from './simulator/index.js';
import type { ConnectHook } from './websocket/graphql-ws-server.js';

/** Close code for "server going away": clients should reconnect elsewhere. */
export const CLOSE_GOING_AWAY = 1001;

export interface ServerDeps {
  logger?: Logger;
  /** Use this simulator instead of starting one (tests script its fakes and clock). */
  simulator?: Simulator;
  /** Signing clock for provider clients. @default () => new Date() */
  now?: () => Date;
  /** Clock of the poll engine, cluster hub and query cache (tests drive it by hand). @default systemClock */
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
  simulator: Simulator | null;
  readonly draining: boolean;
  /**
   * Graceful stop: WebSockets closed with 1001, callback subscriptions completed, in-flight HTTP
   * requests finished. Idempotent.
   */
  stop(): Promise<void>;
}

export async function createServer(config: Readonly<Config>, deps: ServerDeps = {}): Promise<RunningServer> {
  const telemetry = await startTelemetry(config, deps.logger);
  const { logger, metrics } = telemetry;
  const redis = buildRedis(config, { logger, metrics, replicaId: deps.replicaId });
  const providers = await buildProviders(config, {
    logger,
    metrics,
    simulator: deps.simulator,
    now: deps.now,
    quotaStore: redis && config.redis ? { client: redis.coordinator.client, prefix: config.redis.prefix } : undefined,
    liveReplicas: redis ? () => redis.presence.count() : undefined,
  });
  const watching = buildWatching(config, {
    registry: providers.registry,
    logger,
    metrics,
    clock: deps.clock,
    random: deps.random,
    redis,
    budget: providers.budget,
    accountName: (key) => providers.refDefaults.accounts.nameOf(cloudOf(key.provider), key.account),
  });
  const services: Services = {
    jobs: watching.jobs,
    watcher: watching.watcher,
    maxRefs: config.maxRefs,
    defaults: providers.refDefaults,
  };
  const graphql = buildGraphql(config);
  // One engine for both subscription transports: identical operations share one execution.
  const subscriptions = buildSubscriptions(config, { graphql, services, logger, metrics });

  let draining = false;
  const httpSide = await buildHttp(config, {
    graphql,
    services,
    logger,
    metrics,
    readiness: () => ({
      draining,
      providers: providers.configured(),
      redis: watching.redisUp(),
      accounts: providers.accountHealth(),
    }),
    activePollers: () => watching.engine.activePollers,
    callbacks: subscriptions.callbacks,
  });
  const ws = startWebSocket(config, {
    httpServer: httpSide.httpServer,
    graphql,
    services,
    metrics,
    onConnect: deps.onConnect,
    engine: subscriptions.engine,
  });

  httpSide.httpServer.listen(config.port, config.host);
  await once(httpSide.httpServer, 'listening');
  const { port } = httpSide.httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      watching.engine.stop();
      // WebSocket clients reconnect elsewhere on 1001; routers in callback mode on `complete`.
      await Promise.all([ws.close(CLOSE_GOING_AWAY, 'server shutting down'), subscriptions.callbacks.close()]);
      await watching.stop();
      // Keep answering (readiness says draining) so the router stops sending before we close.
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      await httpSide.stop();
      await telemetry.stop(); // after the last request's span has ended
      await providers.close();
    })());

  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    services,
    simulator: providers.simulator,
    get draining() {
      return draining;
    },
    stop,
  };
}
