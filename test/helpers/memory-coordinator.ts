/**
 * In-process Coordinator for tests: the reference implementation of the contract suite, and the
 * store of replicas in one process, each through its own {@link MemoryConnection} (which a test
 * can cut to make a replica vanish without a goodbye, as a crashed process does).
 */
import type { Coordinator, JobEventRecord, Unsubscribe } from '../../src/coordination/coordinator.js';

export class MemoryCoordinator implements Coordinator {
  readonly distributed = false;
  readonly healthy = true;
  readonly #listeners = new Map<string, Set<(e: JobEventRecord) => void>>();
  readonly #latest = new Map<string, { event: JobEventRecord; expires: number }>();
  readonly #leases = new Map<string, { owner: string; expires: number }>();
  #pending = 0;
  #settledWaiters: (() => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** A replica's own connection to this store. */
  connect(): MemoryConnection {
    return new MemoryConnection(this);
  }

  /** Who holds a job's lease now (an expired lease is nobody's). */
  leaseHolder(id: string): string | undefined {
    const lease = this.#leases.get(id);
    return lease && lease.expires > this.now() ? lease.owner : undefined;
  }

  /**
   * Resolves once no call made through a connection is in progress, then lets the callers' own promise
   * callbacks run: what a test waits for before it moves the clock on.
   */
  async settled(): Promise<void> {
    if (this.#pending > 0) await new Promise<void>((resolve) => this.#settledWaiters.push(resolve));
    await new Promise((r) => setImmediate(r));
  }

  /** Counts a connection's call as in progress until it settles. */
  track<T>(call: Promise<T>): Promise<T> {
    this.#pending++;
    const done = () => {
      if (--this.#pending === 0) for (const resolve of this.#settledWaiters.splice(0)) resolve();
    };
    call.then(done, done);
    return call;
  }

  async publish(event: JobEventRecord, ttlMs: number): Promise<boolean> {
    const stored = await this.latest(event.id);
    if (stored && stored.seq >= event.seq) return false;
    this.#latest.set(event.id, { event, expires: this.now() + ttlMs });
    for (const l of [...(this.#listeners.get(event.id) ?? [])]) l(event);
    return true;
  }

  async subscribe(id: string, listener: (e: JobEventRecord) => void): Promise<Unsubscribe> {
    let set = this.#listeners.get(id);
    if (!set) this.#listeners.set(id, (set = new Set()));
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  async latest(id: string): Promise<JobEventRecord | null> {
    const e = this.#latest.get(id);
    if (!e) return null;
    if (e.expires <= this.now()) {
      this.#latest.delete(id);
      return null;
    }
    return e.event;
  }

  async acquire(id: string, owner: string, ttlMs: number): Promise<boolean> {
    const lease = this.#leases.get(id);
    if (lease && lease.owner !== owner && lease.expires > this.now()) return false;
    this.#leases.set(id, { owner, expires: this.now() + ttlMs });
    return true;
  }

  async release(id: string, owner: string): Promise<void> {
    if (this.#leases.get(id)?.owner === owner) this.#leases.delete(id);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

/**
 * One replica's connection to a {@link MemoryCoordinator}. After {@link cut} every call fails and
 * no event arrives, so the replica can neither release its leases nor hear anything: to the other
 * replicas it looks like a process that died.
 */
export class MemoryConnection implements Coordinator {
  readonly distributed = false;
  #cut = false;

  constructor(private readonly store: MemoryCoordinator) {}

  get healthy(): boolean {
    return !this.#cut;
  }

  cut(): void {
    this.#cut = true;
  }

  publish(event: JobEventRecord, ttlMs: number): Promise<boolean> {
    return this.#call(() => this.store.publish(event, ttlMs));
  }

  subscribe(id: string, listener: (e: JobEventRecord) => void): Promise<Unsubscribe> {
    return this.#call(async () => {
      const unsubscribe = await this.store.subscribe(id, (e) => {
        if (!this.#cut) listener(e);
      });
      return () => this.#call(unsubscribe);
    });
  }

  latest(id: string): Promise<JobEventRecord | null> {
    return this.#call(() => this.store.latest(id));
  }

  acquire(id: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#call(() => this.store.acquire(id, owner, ttlMs));
  }

  release(id: string, owner: string): Promise<void> {
    return this.#call(() => this.store.release(id, owner));
  }

  async close(): Promise<void> {
    this.#cut = true;
  }

  #call<T>(fn: () => Promise<T>): Promise<T> {
    return this.store.track(this.#cut ? Promise.reject(new Error('connection cut')) : fn());
  }
}
