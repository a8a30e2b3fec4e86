/**
 * With REDIS_URL, the Redis side of a replica, built before the parts that share it: the
 * coordinator (events, latest states, leases; its command connection also carries the quota
 * counters) and this replica's presence stamp, which tells each replica how many share the quotas.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { RedisCoordinator } from '../coordination/redis-coordinator.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ReplicaPresence } from '../quotas/replica-presence.js';

export interface RedisSide {
  coordinator: RedisCoordinator;
  presence: ReplicaPresence;
  replicaId: string;
  stop(): Promise<void>;
}

export function buildRedis(
  config: Readonly<Config>,
  o: { logger: Logger; metrics: Metrics; replicaId?: string | undefined },
): RedisSide | null {
  const redis = config.redis;
  if (!redis) return null;
  o.metrics.redisUp.set(0);
  const replicaId = o.replicaId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const coordinator = new RedisCoordinator({
    target: redis.target,
    prefix: redis.prefix,
    connectTimeoutMs: redis.connectTimeoutMs,
    onHealth: (healthy) => {
      o.metrics.redisUp.set(healthy ? 1 : 0);
      if (healthy) o.logger.info({ redis: 'up', mode: redis.target.mode }, 'redis connections ready');
      else o.logger.warn({ redis: 'down' }, 'redis unreachable: subscriptions poll locally until it returns');
    },
  });
  const presence = new ReplicaPresence({ client: coordinator.client, prefix: redis.prefix, id: replicaId });
  // Stamps from now on; the first stamp lands once the connection is ready.
  void presence.start();
  return {
    coordinator,
    presence,
    replicaId,
    async stop() {
      await presence.stop();
      await coordinator.close();
    },
  };
}
