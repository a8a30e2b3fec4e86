/**
 * The retry loop. Every attempt is a fresh call of `attempt` (for provider clients: a freshly
 * signed request with a new nonce and timestamp). It stops on the first success, on an error
 * classified `never`, after `maxAttempts`, when the wait before the next attempt would not fit in
 * the call's remaining budget, or when the budget's signal aborts.
 *
 * cockatiel's RetryPolicy is not used here: its wait between attempts ignores the abort signal
 * (a cancelled call would sit out the whole backoff) and it cannot stop early when the next wait
 * would overrun the call's deadline; both matter for a call shared with live queries.
 */
import { retryDelay, type BackoffOptions } from './backoff.js';
import { retryClassOf, type RetryClass } from './classify.js';
import { abortableSleep, type Sleep } from './sleep.js';

export interface RetryOptions extends BackoffOptions {
  /** Attempts in total, the first included (1 = no retries). */
  maxAttempts: number;
  /** @default Math.random */
  random?: () => number;
  /** @default abortableSleep */
  sleep?: Sleep;
  /** @default retryClassOf */
  classify?: (err: unknown) => RetryClass;
  /** Called before each wait. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  error: unknown;
}

/** What the loop needs of a deadline. */
export interface RetryBudget {
  readonly signal: AbortSignal;
  remainingMs(): number;
}

/** Runs `attempt(1)`, `attempt(2)`, … as described above; rejects with the last attempt's error. */
export async function retrying<T>(
  attempt: (n: number) => Promise<T>,
  budget: RetryBudget,
  o: RetryOptions,
): Promise<T> {
  const random = o.random ?? Math.random;
  const sleep = o.sleep ?? abortableSleep;
  const classify = o.classify ?? retryClassOf;
  let onceUsed = false;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const kind = classify(err);
      if (kind === 'never' || n >= o.maxAttempts || budget.signal.aborted) throw err;
      if (kind === 'once') {
        if (onceUsed) throw err;
        onceUsed = true;
      }
      const delayMs = retryDelay(err, n, o, random);
      // Waiting only to be cut off by the deadline helps nobody: give up with the real error now.
      if (delayMs === null || delayMs >= budget.remainingMs()) throw err;
      o.onRetry?.({ attempt: n, delayMs, error: err });
      await sleep(delayMs, budget.signal);
      if (budget.signal.aborted) throw err;
    }
  }
}
