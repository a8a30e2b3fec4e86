import { LRUCache } from 'lru-cache';

/**
 * Time for the poll engine goes through this seam, so tests can run a ten-minute lifecycle in
 * milliseconds with a manual clock (test/helpers/manual-clock.ts).
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` after `ms`; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Pollers must never keep a stopping process alive.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * A bounded cache whose entries live `ttlMs` on `clock` (the least recently used go first when
 * full); null when `ttlMs` is 0 or less (nothing is kept).
 */
export function ttlCache<V extends object>(clock: Clock, ttlMs: number, max: number): LRUCache<string, V> | null {
  if (ttlMs <= 0) return null;
  // ttlResolution 0: ask the clock at every check (the default reuses "now" for 1 ms of real
  // time, which a manual clock outruns).
  return new LRUCache<string, V>({ max, ttl: ttlMs, ttlResolution: 0, perf: { now: () => clock.now() } });
}
