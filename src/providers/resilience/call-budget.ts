/**
 * The port through which every provider call asks for its turn: a rate per provider, account and
 * region, and optionally a daily budget. Implemented in src/quotas/ (process-local, or shared by
 * every replica through Redis); the providers only see this interface.
 */
import type { ProviderName } from '../types.js';

/** What a quota is counted per: the providers count per account and region (docs/providers.md). */
export interface BudgetScope {
  provider: ProviderName;
  /** The configured account's name (the cloud's default account included). */
  account: string;
  region: string;
}

export interface CallBudget {
  /**
   * Waits for a call slot, at most `maxWaitMs`. Resolves with the time waited (0: at once); resolves
   * early when `signal` aborts (the slot is given back; the caller checks `signal.aborted`).
   * @throws LocalJobError PROVIDER_THROTTLED when the wait would be longer (no request sent)
   * @throws LocalJobError PROVIDER_QUOTA_EXHAUSTED when the daily budget is spent (`resetsAt` says when it resets)
   */
  acquire(scope: BudgetScope, maxWaitMs: number, signal: AbortSignal): Promise<number>;
  /**
   * Optional fast path: true when a slot is taken at once without any I/O (nothing to wait for);
   * false when the caller must {@link acquire} instead (nothing was counted). Lets the common case
   * skip a promise chain per attempt.
   */
  tryAcquire?(scope: BudgetScope): boolean;
}
