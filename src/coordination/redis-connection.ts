/**
 * Opens ioredis connections for a {@link RedisTarget} (REDIS_URL, parsed in src/config.ts): one
 * server, a master found through Sentinel, or a Redis Cluster. Every connection fails fast while
 * Redis is unreachable (no offline queue, so memory stays bounded) and reconnects by itself.
 */
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisNode, RedisTarget } from '../config.js';

/**
 * Where commands go: one connection (standalone, Sentinel) or a cluster client that routes each
 * command to the node serving its keys' hash slot.
 */
export type RedisCommands = Redis | Cluster;

export interface ConnectionSettings {
  /** Shown by CLIENT LIST, so an operator can tell the coordinator's connections apart. */
  name: string;
  connectTimeoutMs: number;
}

/** Reconnection delay: quick after a blip, at most 2 s while Redis stays away. */
const backoff = (times: number): number => Math.min(times * 200, 2_000);

function common(s: ConnectionSettings): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: s.connectTimeoutMs,
    connectionName: s.name,
    retryStrategy: backoff,
    lazyConnect: false,
  };
}

/** ioredis options for a master found through Sentinel (exported for tests). */
export function sentinelOptions(target: Extract<RedisTarget, { mode: 'sentinel' }>): RedisOptions {
  return {
    sentinels: target.sentinels,
    name: target.masterName,
    db: target.db,
    username: target.auth.username,
    password: target.auth.password,
    sentinelUsername: target.sentinelAuth.username,
    sentinelPassword: target.sentinelAuth.password,
    // Ask the sentinels to report a failover at once instead of learning it from a broken connection.
    failoverDetector: true,
    // A master demoted by a failover answers writes with READONLY: reconnect, which asks the
    // sentinels for the new master.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
  };
}

/** Node connection options inside a cluster: credentials and TLS of the URL. */
function clusterNodeOptions(target: Extract<RedisTarget, { mode: 'cluster' }>): RedisOptions {
  return {
    username: target.auth.username,
    password: target.auth.password,
    ...(target.tls ? { tls: {} } : {}),
  };
}

/** ioredis cluster client options (exported for tests). */
export function clusterOptions(
  target: Extract<RedisTarget, { mode: 'cluster' }>,
  s: ConnectionSettings,
): ClusterOptions {
  // The cluster client retries and queues by itself (its options below); node connections take the rest.
  const { retryStrategy: _retry, enableOfflineQueue: _queue, lazyConnect: _lazy, ...node } = common(s);
  return {
    enableOfflineQueue: false,
    clusterRetryStrategy: backoff,
    redisOptions: { ...node, ...clusterNodeOptions(target) },
  };
}

/** The connection commands (scripts, reads) go through. */
export function openCommands(target: RedisTarget, s: ConnectionSettings): RedisCommands {
  switch (target.mode) {
    case 'standalone':
      return new Redis(target.url, common(s));
    case 'sentinel':
      return new Redis({ ...common(s), ...sentinelOptions(target) });
    case 'cluster':
      return new Cluster(target.nodes as ClusterNode[], clusterOptions(target, s));
  }
}

/**
 * A subscriber connection. Standalone and Sentinel: it reconnects to the same server (or the
 * current master) forever. Cluster: it talks to the one `node` it is given and, after one failed
 * reconnection, gives up ('end'), so the caller can move to another node. In a Redis Cluster a
 * subscriber on any node hears what is published on every node, so any node will do.
 * ioredis's own re-subscription is off: the caller re-subscribes its channels on each 'ready'.
 */
export function openSubscriber(target: RedisTarget, s: ConnectionSettings, node?: RedisNode): Redis {
  const options: RedisOptions = { ...common(s), autoResubscribe: false };
  switch (target.mode) {
    case 'standalone':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis({ ...options, ...sentinelOptions(target) });
    case 'cluster': {
      const at = node ?? target.nodes[0]!;
      return new Redis({
        ...options,
        ...clusterNodeOptions(target),
        host: at.host,
        port: at.port,
        retryStrategy: (times) => (times > 1 ? null : backoff(times)),
      });
    }
  }
}

/** Addresses of the cluster's nodes as the client knows them now; the seed nodes while it knows none. */
export function clusterNodes(commands: RedisCommands, seeds: readonly RedisNode[]): RedisNode[] {
  const known =
    commands instanceof Cluster
      ? commands.nodes('all').flatMap((n) => {
          const { host, port } = n.options;
          return host && port ? [{ host, port }] : [];
        })
      : [];
  return known.length > 0 ? known : [...seeds];
}
