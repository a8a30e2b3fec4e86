/**
 * Quota figures and the arithmetic that turns them into counters: how a rate is split into
 * sub-second windows so that it holds in every sliding second, and where a provider's day ends.
 * Pure: no clock, no I/O.
 */

/** The limits of one provider for one account and region. */
export interface QuotaLimits {
  /** Most calls in any sliding one-second interval (2 or more: see {@link windowPlan}). */
  ratePerSec: number;
  /** Most calls sent back to back, within one counting window (at most `ratePerSec`). */
  burst: number;
  /** Calls per provider day; null: no daily budget. */
  dailyBudget: number | null;
}

/** How a rate is counted: `perWindow` calls in each of the fixed windows of `windowMs`. */
export interface WindowPlan {
  windowMs: number;
  perWindow: number;
  /** Calls per second the plan lets through when every window is used (≤ the rate). */
  sustainedPerSec: number;
}

/** Windows shorter than this would cost a Redis key per few calls for little gain. */
const MAX_WINDOWS_PER_SECOND = 20;

/**
 * Splits each second into k equal windows with P calls each. Fixed windows are what a counter in
 * Redis can do atomically (rate-limiter-flexible's Lua counter), but a plain per-second counter
 * lets 2× the rate through around a window edge. Any one-second interval overlaps at most k+1
 * windows of 1/k s, so P·(k+1) ≤ rate bounds every sliding second; k is chosen to let the most
 * calls through (k·P per second), P never above the burst. A rate below 2 cannot be bounded by
 * fixed windows at all (two windows' calls can always sit side by side), hence the minimum.
 */
export function windowPlan(ratePerSec: number, burst: number): WindowPlan {
  if (!Number.isInteger(ratePerSec) || ratePerSec < 2) throw new RangeError('ratePerSec must be an integer >= 2');
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError('burst must be a positive integer');
  let best = { k: 1, p: Math.min(burst, Math.floor(ratePerSec / 2)) };
  for (let k = 2; k <= MAX_WINDOWS_PER_SECOND; k++) {
    const p = Math.min(burst, Math.floor(ratePerSec / (k + 1)));
    if (p >= 1 && k * p > best.k * best.p) best = { k, p };
  }
  return { windowMs: 1_000 / best.k, perWindow: best.p, sustainedPerSec: best.k * best.p };
}

/**
 * The provider day containing `nowMs`: its label (YYYY-MM-DD in the day's own time zone) and when
 * it ends. `utcOffsetMinutes` is where the provider's day starts (docs/providers.md, "Quotas").
 */
export function providerDay(nowMs: number, utcOffsetMinutes: number): { label: string; endsAt: number } {
  const offsetMs = utcOffsetMinutes * 60_000;
  const local = nowMs + offsetMs;
  const startLocal = Math.floor(local / 86_400_000) * 86_400_000;
  return { label: new Date(startLocal).toISOString().slice(0, 10), endsAt: startLocal + 86_400_000 - offsetMs };
}
