/**
 * Watching jobs: the poll engine (one poller per job in this process), and with REDIS_URL the
 * Redis coordinator and cluster hub (one poller per job in the cluster); plus the query path's job
 * source, which reuses what pollers observed within the freshness window.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { ClusterHub } from '../coordination/cluster-hub.js';
import { RedisCoordinator } from '../coordination/redis-coordinator.js';
import { JobSource } from '../loaders/job-source.js';
import type { JobWatchSource, Observation, WatchedJobs } from '../polling/ports.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../polling/clock.js';
import { PollEngine } from '../polling/engine.js';
import type { ProviderRegistry } from '../providers/registry.js';

export interface Watching {
  engine: PollEngine;
  /** Present with REDIS_URL. */
  cluster: { hub: ClusterHub; coordinator: RedisCoordinator } | null;
  /** What subscriptions watch through: the engine itself, or the hub. */
  watcher: JobWatchSource;
  /** Where queries fetch jobs. */
  jobs: JobSource;
  /** False while Redis is configured and unreachable; undefined without Redis. */
  redisUp(): boolean | undefined;
  stop(): Promise<void>;
}

export interface WatchingOptions {
  registry: ProviderRegistry;
  logger: Logger;
  metrics: Metrics;
  /** Clock of the engine, hub and job source (tests drive it by hand). */
  clock?: Clock | undefined;
  /** Random source for poll jitter. */
  random?: (() => number) | undefined;
  /** Names this replica in Redis leases. @default hostname-pid-random */
  replicaId?: string | undefined;
}

export function buildWatching(config: Readonly<Config>, o: WatchingOptions): Watching {
  const clock = o.clock ? { clock: o.clock } : {};
  const engine = new PollEngine({
    registry: o.registry,
    minIntervalMs: config.poll.minIntervalMs,
    maxIntervalMs: config.poll.maxIntervalMs,
    terminalTtlMs: config.poll.terminalTtlMs,
    maxEntries: config.jobCacheMaxEntries,
    growth: config.poll.growth,
    jitter: config.poll.jitter,
    tickWindowMs: config.poll.batchWindowMs,
    ...clock,
    ...(o.random ? { random: o.random } : {}),
    onTransition: (job) => o.metrics.transitions.inc({ provider: job.provider, state: job.state }),
  });
  const cluster = config.redis ? buildCluster(config, config.redis, engine, o) : null;
  const hub = cluster?.hub;
  const watched: WatchedJobs = {
    latest: (id) => fresher(engine.latest(id), hub?.latest(id)),
    observed: (id, job) => engine.observed(id, job),
  };
  const jobs = new JobSource({
    registry: o.registry,
    watched,
    coalesceMs: config.queryCoalesceMs,
    terminalTtlMs: config.poll.terminalTtlMs,
    maxEntries: config.jobCacheMaxEntries,
    ...clock,
  });
  return {
    engine,
    cluster,
    watcher: hub ?? engine,
    jobs,
    redisUp: () => cluster?.coordinator.healthy,
    async stop() {
      engine.stop();
      await cluster?.hub.stop();
      await cluster?.coordinator.close();
    },
  };
}

function buildCluster(
  config: Readonly<Config>,
  redis: NonNullable<Config['redis']>,
  engine: PollEngine,
  o: WatchingOptions,
) {
  o.metrics.redisUp.set(0);
  const coordinator = new RedisCoordinator({
    url: redis.url,
    prefix: redis.prefix,
    connectTimeoutMs: redis.connectTimeoutMs,
    onHealth: (healthy) => {
      o.metrics.redisUp.set(healthy ? 1 : 0);
      if (healthy) o.logger.info({ redis: 'up' }, 'redis connections ready');
      else o.logger.warn({ redis: 'down' }, 'redis unreachable: subscriptions poll locally until it returns');
    },
  });
  const hub = new ClusterHub({
    engine,
    coordinator,
    replicaId: o.replicaId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    leaseMs: redis.leaseMs,
    stateTtlMs: redis.stateTtlMs,
    terminalTtlMs: config.poll.terminalTtlMs,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  return { hub, coordinator };
}

/** The more recent of two observations of a job (the local poller's, the cluster's). */
function fresher(a: Observation | undefined, b: Observation | undefined): Observation | undefined {
  if (!a || !b) return a ?? b;
  return b.observedAt > a.observedAt ? b : a;
}
