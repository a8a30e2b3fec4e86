/**
 * A process-local token bucket that refills `ratePerSec` tokens a second up to `burst`: what a
 * replica keeps to while the shared quota counters in Redis are unreachable (its share of each
 * limit, src/quotas/call-budget.ts). Waits are reservations: tokens may go negative, which
 * queues callers fairly in arrival order.
 */
import { LocalJobError } from './local-error.js';
import { abortableSleep, type Sleep } from './sleep.js';

export interface RateLimitOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket size: calls allowed back to back after a quiet spell. */
  burst: number;
}

/** The bucket itself. Pure given `now`. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  /** @param now monotonic clock in ms @default performance.now */
  constructor(
    readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = options.burst;
    this.#last = now();
  }

  /** Tokens available now (negative while callers wait for reserved ones). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Reserves one token and returns how long to wait before using it (0: at once), or null when
   * that wait would exceed `maxWaitMs` (then nothing is reserved).
   */
  reserve(maxWaitMs: number): number | null {
    const wait = this.waitMs();
    if (wait > maxWaitMs) return null;
    this.#tokens -= 1;
    return wait;
  }

  /** How long a reservation made now would wait. */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.options.ratePerSec) * 1000);
  }

  /** Returns a reserved token that was never used (its caller gave up while waiting). */
  refund(): void {
    this.#refill();
    this.#tokens = Math.min(this.options.burst, this.#tokens + 1);
  }

  #refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.#last);
    this.#last = t;
    this.#tokens = Math.min(this.options.burst, this.#tokens + (elapsed * this.options.ratePerSec) / 1000);
  }
}

/** What happened when a caller asked for a token. */
export interface AcquireOutcome {
  /** How long the caller waited (0 when a token was there). */
  waitedMs: number;
}

/**
 * Takes one token from `bucket` for `provider`, waiting up to `maxWaitMs`.
 * @throws LocalJobError PROVIDER_THROTTLED (raised here, no request sent) when the wait would be longer,
 *   with `retryAfterMs` set to the wait a token would have needed.
 * Resolves early, refunding the token, when `signal` aborts; the caller checks `signal.aborted`.
 */
export async function acquireToken(
  bucket: TokenBucket,
  provider: string,
  maxWaitMs: number,
  signal: AbortSignal,
  sleep: Sleep = abortableSleep,
): Promise<AcquireOutcome> {
  const wait = bucket.reserve(maxWaitMs);
  if (wait === null) {
    throw new LocalJobError(
      'PROVIDER_THROTTLED',
      `${provider}: client-side rate limit of ${bucket.options.ratePerSec}/s reached; no request was sent`,
      { provider, retryAfterMs: bucket.waitMs() },
    );
  }
  if (wait > 0) {
    await sleep(wait, signal);
    if (signal.aborted) bucket.refund();
  }
  return { waitedMs: wait };
}
