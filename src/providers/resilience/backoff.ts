/**
 * Delay before the next attempt: capped exponential backoff with full jitter, and never sooner
 * than the provider asked (`retryAfterMs` from `x-acs-retry-after` or `Retry-After`). Pure.
 */
import { isJobError } from '../../errors.js';

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseDelayMs: number;
  /** Ceiling of any delay, including one a provider asks for. */
  maxDelayMs: number;
}

/**
 * Full jitter: a uniform draw in [0, min(max, base · 2^(retry−1))). `retry` counts from 1 (the
 * wait before the second attempt). `random` returns [0, 1).
 */
export function fullJitterDelay(retry: number, o: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The wait before retry number `retry` after `err`, or null when the provider asked for a longer
 * wait than `maxDelayMs`: retrying earlier than asked would only be throttled again, so the call
 * gives up and the error's `retryAfterMs` tells the caller (e.g. the poll engine) when to return.
 */
export function retryDelay(err: unknown, retry: number, o: BackoffOptions, random: () => number): number | null {
  const jitter = fullJitterDelay(retry, o, random);
  const asked = isJobError(err) ? err.details.retryAfterMs : undefined;
  if (asked === undefined) return jitter;
  if (asked > o.maxDelayMs) return null;
  return Math.max(asked, jitter);
}
