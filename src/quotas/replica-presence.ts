/**
 * How many replicas share the quotas: each replica stamps its id in one sorted set every second
 * and counts the stamps that are recent. The count it last saw is what it divides the
 * limits by while Redis is unreachable (src/quotas/call-budget.ts), so N replicas cut off from
 * Redis together still send about one limit in all, not N.
 */
import type { Cluster, Redis } from 'ioredis';

export interface ReplicaPresenceOptions {
  client: Redis | Cluster;
  prefix: string;
  /** This replica's id (unique per process). */
  id: string;
  /** How often this replica stamps itself. @default 1000 (a new replica counts within a second) */
  intervalMs?: number;
  /** A stamp older than this no longer counts. @default 3 × intervalMs */
  aliveMs?: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

export class ReplicaPresence {
  readonly #o: Required<Omit<ReplicaPresenceOptions, 'now'>> & { now: () => number };
  readonly #key: string;
  #count = 1;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ReplicaPresenceOptions) {
    const intervalMs = options.intervalMs ?? 1_000;
    this.#o = { aliveMs: intervalMs * 3, now: Date.now, ...options, intervalMs };
    this.#key = `${options.prefix}:replicas`;
  }

  readonly #onReady = () => void this.beat();

  /** Replicas seen alive at the last successful stamp, this one included (at least 1). */
  count(): number {
    return this.#count;
  }

  /** Stamps now and then every interval. Resolves after the first stamp (or its failure). */
  async start(): Promise<void> {
    // And at once whenever the connection (re)opens, rather than up to an interval later.
    this.#o.client.on('ready', this.#onReady);
    await this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** One stamp and count; a failure keeps the last count. */
  async beat(): Promise<void> {
    // Not queued behind a reconnect: a stamp only means something when it is sent now.
    if (this.#o.client.status !== 'ready') return;
    const now = this.#o.now();
    try {
      const results = await this.#o.client
        .multi()
        .zadd(this.#key, now, this.#o.id)
        .zremrangebyscore(this.#key, '-inf', now - this.#o.aliveMs)
        .zcard(this.#key)
        .pexpire(this.#key, this.#o.aliveMs * 2)
        .exec();
      const card = results?.[2]?.[1];
      if (typeof card === 'number' && card > 0) this.#count = card;
    } catch {
      // Redis away: keep what was last seen; that is the point of this count.
    }
  }

  /** Stops stamping and removes this replica's stamp (best effort). */
  async stop(): Promise<void> {
    this.#o.client.off('ready', this.#onReady);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#o.client.zrem(this.#key, this.#o.id).catch(() => undefined);
  }
}
