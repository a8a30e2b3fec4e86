/** In-process Coordinator: the default without REDIS_URL, and the reference for the contract suite. */
import type { Coordinator, JobEventRecord, Unsubscribe } from '../../src/coordination/coordinator.js';

export class MemoryCoordinator implements Coordinator {
  readonly distributed = false;
  readonly healthy = true;
  readonly #listeners = new Map<string, Set<(e: JobEventRecord) => void>>();
  readonly #latest = new Map<string, { event: JobEventRecord; expires: number }>();
  readonly #leases = new Map<string, { owner: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

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
