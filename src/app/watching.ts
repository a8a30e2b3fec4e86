/**
 * Watching jobs: the poll engine (one poller per job in this process), and with REDIS_URL the
 * Redis coordinator and cluster hub (one poller per job in the cluster); plus the query path's job
 * source, which reuses what pollers observed within the freshness window.
 */
import type { Config } from '../config.js';
import { ClusterHub } from '../coordination/cluster-hub.js';
import type { RedisCoordinator } from '../coordination/redis-coordinator.js';
import { JobSource } from '../loaders/job-source.js';
import type { JobWatchSource, Observation, WatchedJobs } from '../polling/ports.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Clock } from '../polling/clock.js';
import { PollEngine } from '../polling/engine.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { BudgetScope } from '../providers/resilience/call-budget.js';
import type { JobKey, ProviderJob } from '../providers/types.js';
import type { SharedCallBudget } from '../quotas/call-budget.js';
import type { RedisSide } from './redis.js';

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
  /** With REDIS_URL: the Redis side built before (src/app/redis.ts). */
  redis?: RedisSide | null | undefined;
  /** The provider quotas polls are planned within (absent: polls are not budgeted). */
  budget?: SharedCallBudget | undefined;
  /** The configured name of a key's account (null in a key: the cloud's default). */
  accountName?: ((key: JobKey) => string) | undefined;
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
    providerIntervals: config.poll.providers,
    notFoundGraceMs: config.poll.notFoundGraceMs,
    priority: config.poll.priority,
    ...(o.budget ? { pollBudget: pollBudget(o.budget, o) } : {}),
    expectedEndOf,
    ...clock,
    ...(o.random ? { random: o.random } : {}),
    onTransition: (job) => o.metrics.transitions.inc({ provider: job.provider, state: job.state }),
  });
  const cluster = config.redis && o.redis ? buildCluster(config, config.redis, engine, o.redis, o) : null;
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
      await o.redis?.stop();
    },
  };
}

function buildCluster(
  config: Readonly<Config>,
  redis: NonNullable<Config['redis']>,
  engine: PollEngine,
  side: RedisSide,
  o: WatchingOptions,
) {
  const hub = new ClusterHub({
    engine,
    coordinator: side.coordinator,
    replicaId: side.replicaId,
    leaseMs: redis.leaseMs,
    stateTtlMs: redis.stateTtlMs,
    terminalTtlMs: config.poll.terminalTtlMs,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  return { hub, coordinator: side.coordinator };
}

/**
 * The engine's poll budget: each job's polls count against its provider quota's scope, at the rate
 * the quotas allow polling (src/quotas), shared with the replicas seen alive.
 */
function pollBudget(budget: SharedCallBudget, o: WatchingOptions) {
  const scopes = new Map<string, BudgetScope>();
  return {
    scopeOf(key: JobKey): string {
      const scope = { provider: key.provider, account: o.accountName?.(key) ?? 'default', region: key.region };
      const id = `${scope.provider}:${scope.account}:${scope.region}`;
      if (!scopes.has(id)) scopes.set(id, scope);
      return id;
    },
    callsPerSec(id: string): number {
      const scope = scopes.get(id);
      return scope ? budget.pollRate(scope, o.redis?.presence.count() ?? 1) : Infinity;
    },
  };
}

/** Workspace says when a job should end: such jobs are polled first when the budget is tight. */
function expectedEndOf(job: ProviderJob): number | null {
  if (job.provider !== 'WORKSPACE' || !('expectedEndTime' in job) || !job.expectedEndTime) return null;
  const t = new Date(job.expectedEndTime as Date | string).getTime();
  return Number.isFinite(t) ? t : null;
}

/** The more recent of two observations of a job (the local poller's, the cluster's). */
function fresher(a: Observation | undefined, b: Observation | undefined): Observation | undefined {
  if (!a || !b) return a ?? b;
  return b.observedAt > a.observedAt ? b : a;
}
