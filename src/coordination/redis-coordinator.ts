/**
 * Redis Coordinator (ioredis): separate publish and subscribe connections, every key and channel
 * under a required prefix so deployments can share one Redis. Store-and-publish and lease
 * take/renew are Lua scripts, so each is atomic. Commands fail fast while Redis is unreachable
 * (no offline queue, so memory stays bounded) and the connections reconnect by themselves.
 *
 * Channel subscriptions outlive outages: this class, not ioredis, re-subscribes every channel that
 * has listeners each time the subscriber connection is ready again. ioredis's own
 * `autoResubscribe` only knows channels whose SUBSCRIBE succeeded, so a channel asked for while
 * Redis was away would never be subscribed (and its replica would miss every event of the job).
 * The coordinator reports healthy only once that re-subscription is confirmed, so nobody follows
 * a channel that is not subscribed yet.
 */
import { DEFAULTS } from '../config.js';
import { Redis, type RedisOptions } from 'ioredis';
import { decodeEvent, encodeEvent, type Coordinator, type JobEventRecord, type Unsubscribe } from './coordinator.js';

export interface RedisCoordinatorOptions {
  url: string;
  /** Required; e.g. `jobs-subgraph:prod`. */
  prefix: string;
  /** Told about every change of connection health (metrics, readiness, logs). */
  onHealth?: (healthy: boolean) => void;
  /** @default DEFAULTS.redis.connectTimeoutMs */
  connectTimeoutMs?: number;
}

// KEYS[1] latest hash, KEYS[2] channel; ARGV seq, payload, ttl ms.
const PUBLISH_IF_NEWER = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
if stored >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'event', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1`;

// KEYS[1] lease; ARGV owner, ttl ms.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisCoordinator implements Coordinator {
  readonly distributed = true;
  readonly #pub: Redis;
  readonly #sub: Redis;
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
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? DEFAULTS.redis.connectTimeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      lazyConnect: false,
    };
    this.#pub = new Redis(options.url, { ...common, connectionName: 'jobs-subgraph-pub' });
    this.#sub = new Redis(options.url, { ...common, connectionName: 'jobs-subgraph-sub', autoResubscribe: false });
    this.#sub.on('ready', () => void this.#resubscribe());
    this.#sub.on('close', () => (this.#subscribed = false));
    for (const conn of [this.#pub, this.#sub]) {
      conn.on('ready', () => this.#updateHealth());
      conn.on('close', () => this.#updateHealth());
      conn.on('end', () => this.#updateHealth());
      // Connection errors are reported through health; an unhandled 'error' event would crash.
      conn.on('error', () => this.#updateHealth());
    }
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.#dispatch(channel.toString(), message.toString()),
    );
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  async publish(event: JobEventRecord, ttlMs: number): Promise<boolean> {
    const result = await this.#pub.eval(
      PUBLISH_IF_NEWER,
      2,
      this.#key(event.id, 'latest'),
      this.#channel(event.id),
      event.seq,
      encodeEvent(event),
      Math.max(1, Math.round(ttlMs)),
    );
    return result === 1;
  }

  /** Never fails for an outage: the channel is subscribed as soon as Redis is reachable again. */
  async subscribe(id: string, listener: (e: JobEventRecord) => void): Promise<Unsubscribe> {
    const channel = this.#channel(id);
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
    const text = await this.#pub.hget(this.#key(id, 'latest'), 'event');
    return text ? decodeEvent(text) : null;
  }

  async acquire(id: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.#pub.eval(ACQUIRE, 1, this.#key(id, 'lease'), owner, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.#pub.eval(RELEASE, 1, this.#key(id, 'lease'), owner);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#pub.disconnect();
    this.#sub.disconnect();
    this.#updateHealth();
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

  #key(id: string, kind: 'latest' | 'lease'): string {
    return `${this.#prefix}:job:${id}:${kind}`;
  }

  #channel(id: string): string {
    return `${this.#prefix}:events:${id}`;
  }

  /** Subscribes every channel that has listeners on a (re)connected subscriber connection. */
  async #resubscribe(): Promise<void> {
    this.#subscribed = false;
    const channels = [...this.#listeners.keys()];
    try {
      if (channels.length > 0) await this.#sub.subscribe(...channels);
    } catch {
      return; // the connection dropped again; the next 'ready' tries again
    }
    if (this.#sub.status !== 'ready') return;
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
