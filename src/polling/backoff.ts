/** Pure interval arithmetic for the poll engine. */
import { DEFAULTS } from '../config.js';

export interface IntervalOptions {
  minIntervalMs: number;
  maxIntervalMs: number;
  /** Growth per unchanged poll. @default DEFAULTS.poll.growth */
  growth?: number;
  /** Spread as a fraction of the interval: 0.2 means ±20 %. @default DEFAULTS.poll.jitter */
  jitter?: number;
}

/** The next base interval: back to the minimum after a change, else grown up to the maximum. */
export function nextInterval(current: number, changed: boolean, o: IntervalOptions): number {
  if (changed) return o.minIntervalMs;
  return Math.min(o.maxIntervalMs, Math.max(o.minIntervalMs, Math.round(current * (o.growth ?? DEFAULTS.poll.growth))));
}

/** After a transient error: double, capped, and never sooner than the provider asked. */
export function errorInterval(current: number, o: IntervalOptions, retryAfterMs?: number): number {
  const doubled = Math.min(o.maxIntervalMs, Math.max(o.minIntervalMs, current * 2));
  return retryAfterMs !== undefined ? Math.max(doubled, Math.min(retryAfterMs, 120_000)) : doubled;
}

/** Spreads a delay by ±jitter so pollers started together drift apart. `random` returns [0, 1). */
export function jittered(ms: number, o: IntervalOptions, random: () => number = Math.random): number {
  const j = o.jitter ?? DEFAULTS.poll.jitter;
  return Math.max(0, Math.round(ms * (1 - j + 2 * j * random())));
}
