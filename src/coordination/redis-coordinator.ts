/**
 * Redis Coordinator (ioredis): separate publish and subscribe connections, every key and channel
 * under a required prefix so deployments can share one Redis. Store-and-publish and lease
 * take/renew are Lua scripts, so each is atomic. Commands fail fast while Redis is unreachable
 * (no offline queue, so memory stays bounded) and the connections reconnect by themselves.
 * REDIS_URL may name one server, a Sentinel-managed master or a Redis Cluster (redis-connection.ts).
 *
 * Redis Cluster: a script or multi-key command must touch keys of one hash slot. Each script here
 * touches one key, and a job's keys share the hash tag `{prefix:job:ID}` (see {@link jobKeys}), so
 * whatever a script does with one job stays in one slot while different jobs spread over the nodes.
 * Channels are not keys: the event channel goes to the script as an argument, and classic PUBLISH
 * reaches subscribers on every node of a cluster.
 *
 * Channel subscriptions outlive outages: this class, not ioredis, re-subscribes every channel that
 * has listeners each time the subscriber connection is ready again. ioredis's own
 * `autoResubscribe` only knows channels whose SUBSCRIBE succeeded, so a channel asked for while
 * Redis was away would never be subscribed (and its replica would miss every event of the job).
 * The coordinator reports healthy only once that re-subscription is confirmed, so nobody follows
 * a channel that is not subscribed yet. In a cluster the subscriber connection is one node's: when
 * that node goes away the connection moves to another node and the same re-subscription applies
 * (ioredis's cluster subscriber would move too, but without telling anyone, and with the same
 * forgotten-channel gap).
 */
import { DEFAULTS, type RedisNode, type RedisTarget } from '../config.js';
import type { Redis } from 'ioredis';
import { decodeEvent, encodeEvent, type Coordinator, type JobEventRecord, type Unsubscribe } from './coordinator.js';
import {
  clusterNodes,
  openCommands,
  openSubscriber,
  type ConnectionSettings,
  type RedisCommands,
} from './redis-connection.js';

export interface RedisCoordinatorOptions {
  /** Where Redis is: `parseRedisUrl(REDIS_URL)` (src/config.ts). */
  target: RedisTarget;
  /** Required; e.g. `jobs-subgraph:prod`. */
  prefix: string;
  /** Told about every change of connection health (metrics, readiness, logs). */
  onHealth?: (healthy: boolean) => void;
  /** @default DEFAULTS.redis.connectTimeoutMs */
  connectTimeoutMs?: number;
}

/**
 * The Redis names of one job. `latest` and `lease` share the hash tag `{prefix:job:ID}`: one slot
 * per job in a Redis Cluster. (Should an id contain `}`, the tag ends there, for both keys alike.)
 */
export function jobKeys(prefix: string, id: string): { latest: string; lease: string; channel: string } {
  const tag = `{${prefix}:job:${id}}`;
  return { latest: `${tag}:latest`, lease: `${tag}:lease`, channel: `${prefix}:events:${id}` };
}

// KEYS[1] latest hash; ARGV seq, payload, ttl ms, channel.
const PUBLISH_IF_NEWER = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
if stored >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'event', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1`;

// KEYS[1] lease; ARGV owner, ttl ms.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

// KEYS[1] lease; ARGV owner.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisCoordinator implements Coordinator {
  readonly distributed = true;
  readonly #target: RedisTarget;
  readonly #settings: { connectTimeoutMs: number };
  readonly #pub: RedisCommands;
  /** Replaced in a cluster when its node goes away ({@link RedisCoordinator.#moveSubscriber}). */
  #sub: Redis;
  /** The cluster node #sub talks to; undefined outside a cluster. */
  #subNode: RedisNode | undefined;
  /** Subscriber connections in a row that ended without becoming ready (cluster only). */
  #subFailures = 0;
  #moveTimer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #prefix: string;
  readonly #listeners = new Map<string, Set<(e: JobEventRecord) => void>>();
  readonly #onHealth: ((healthy: boolean) => void) | undefined;
  #healthy = false;
  /** True once every wanted channel is subscribed on the current subscriber connection. */
  #subscribed = false;

  constructor(options: RedisCoordinatorOptions) {
    if (!options.prefix) throw new Error('RedisCoordinator needs a key prefix');
    this.#prefix = options.prefix;
    this.#onHealth = options.onHealth;
    this.#target = options.target;
    this.#settings = { connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.redis.connectTimeoutMs };
    this.#pub = openCommands(this.#target, this.#connection('pub'));
    for (const event of ['ready', 'close', 'end', 'error']) {
      // Connection errors are reported through health; an unhandled 'error' event would crash.
      this.#pub.on(event, () => this.#updateHealth());
    }
    this.#sub = this.#openSubscriber();
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  /**
   * The command connection (a cluster client in a cluster), for features that keep their own
   * keys in the same Redis. Their keys need the same care: one hash slot per script.
   */
  get client(): RedisCommands {
    return this.#pub;
  }

  async publish(event: JobEventRecord, ttlMs: number): Promise<boolean> {
    const keys = jobKeys(this.#prefix, event.id);
    const result = await this.#pub.eval(
      PUBLISH_IF_NEWER,
      1,
      keys.latest,
      event.seq,
      encodeEvent(event),
      Math.max(1, Math.round(ttlMs)),
      keys.channel,
    );
    return result === 1;
  }

  /** Never fails for an outage: the channel is subscribed as soon as Redis is reachable again. */
  async subscribe(id: string, listener: (e: JobEventRecord) => void): Promise<Unsubscribe> {
    const { channel } = jobKeys(this.#prefix, id);
    let set = this.#listeners.get(channel);
    if (!set) {
      this.#listeners.set(channel, (set = new Set()));
      // A failure means the connection is not ready: #resubscribe covers the channel when it is.
      if (this.#sub.status === 'ready') await this.#sub.subscribe(channel).catch(() => undefined);
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(channel) === set) {
        this.#listeners.delete(channel);
        await this.#sub.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async latest(id: string): Promise<JobEventRecord | null> {
    const text = await this.#pub.hget(jobKeys(this.#prefix, id).latest, 'event');
    return text ? decodeEvent(text) : null;
  }

  async acquire(id: string, owner: string, ttlMs: number): Promise<boolean> {
    const lease = jobKeys(this.#prefix, id).lease;
    return (await this.#pub.eval(ACQUIRE, 1, lease, owner, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.#pub.eval(RELEASE, 1, jobKeys(this.#prefix, id).lease, owner);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#moveTimer) clearTimeout(this.#moveTimer);
    this.#listeners.clear();
    this.#pub.disconnect();
    this.#sub.disconnect();
    this.#updateHealth();
  }

  #connection(role: 'pub' | 'sub'): ConnectionSettings {
    return { name: `jobs-subgraph-${role}`, connectTimeoutMs: this.#settings.connectTimeoutMs };
  }

  /** Opens the subscriber connection; events of a connection that was since replaced are ignored. */
  #openSubscriber(): Redis {
    if (this.#target.mode === 'cluster') this.#subNode = this.#nextNode(this.#target.nodes);
    const conn = openSubscriber(this.#target, this.#connection('sub'), this.#subNode);
    const current = () => conn === this.#sub && !this.#closed;
    conn.on('ready', () => {
      if (!current()) return;
      this.#subFailures = 0;
      void this.#resubscribe(conn);
    });
    conn.on('close', () => {
      if (current()) this.#subscribed = false;
      this.#updateHealth();
    });
    // Only a cluster subscriber gives up by itself (see openSubscriber); close() ends the others.
    conn.on('end', () => {
      this.#updateHealth();
      if (current()) this.#moveSubscriber();
    });
    conn.on('error', () => this.#updateHealth());
    conn.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (current()) this.#dispatch(channel.toString(), message.toString());
    });
    return conn;
  }

  /** The subscriber's cluster node went away: another node, after a pause that grows while none answers. */
  #moveSubscriber(): void {
    this.#subFailures++;
    this.#moveTimer = setTimeout(
      () => {
        this.#moveTimer = null;
        if (this.#closed) return;
        this.#sub = this.#openSubscriber();
      },
      Math.min((this.#subFailures - 1) * 200, 2_000),
    );
  }

  /** The node after the current subscriber's in the cluster's node list (seed nodes until it is known). */
  #nextNode(seeds: readonly RedisNode[]): RedisNode {
    const nodes = clusterNodes(this.#pub, seeds);
    const at = this.#subNode;
    // The first pick is random, so the replicas' subscribers spread over the nodes.
    const i = at
      ? nodes.findIndex((n) => n.host === at.host && n.port === at.port)
      : Math.floor(Math.random() * nodes.length) - 1;
    return nodes[(i + 1) % nodes.length]!;
  }

  #dispatch(channel: string, message: string): void {
    const set = this.#listeners.get(channel);
    if (!set) return;
    let event: JobEventRecord;
    try {
      event = decodeEvent(message);
    } catch {
      return; // another writer's garbage must not crash this replica
    }
    for (const l of [...set]) l(event);
  }

  /** Subscribes every channel that has listeners on a (re)connected subscriber connection. */
  async #resubscribe(conn: Redis): Promise<void> {
    this.#subscribed = false;
    const channels = [...this.#listeners.keys()];
    try {
      if (channels.length > 0) await conn.subscribe(...channels);
    } catch {
      return; // the connection dropped again; the next 'ready' tries again
    }
    if (conn !== this.#sub || conn.status !== 'ready') return;
    this.#subscribed = true;
    this.#updateHealth();
  }

  #updateHealth(): void {
    const healthy = this.#pub.status === 'ready' && this.#sub.status === 'ready' && this.#subscribed;
    if (healthy !== this.#healthy) {
      this.#healthy = healthy;
      this.#onHealth?.(healthy);
    }
  }
}
