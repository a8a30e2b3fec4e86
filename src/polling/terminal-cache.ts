/**
 * Remembers final snapshots for a while so a late subscriber gets them without a provider call.
 * Bounded by count (oldest evicted first) and by age, on the injected clock.
 */
import type { ProviderJob } from '../providers/types.js';
import type { Clock } from './clock.js';

export class TerminalCache {
  readonly #entries = new Map<string, { job: ProviderJob; seq: number; expires: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  get(id: string): { job: ProviderJob; seq: number } | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    if (e.expires <= this.clock.now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return e;
  }

  set(id: string, job: ProviderJob, seq: number): void {
    if (this.ttlMs <= 0) return;
    this.#entries.delete(id);
    this.#entries.set(id, { job, seq, expires: this.clock.now() + this.ttlMs });
    // Map iteration is insertion order, so the first entries are the oldest.
    for (const [key, e] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && e.expires > this.clock.now()) break;
      this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
