/** Provider calls that survive a bad day: retries, one deadline per call, breakers, rate limits. */
export { countsAgainstProvider, retryClassOf, type RetryClass } from './classify.js';
export { fullJitterDelay, retryDelay, type BackoffOptions } from './backoff.js';
export { CallDeadline } from './deadline.js';
export { EndpointBreaker, type BreakerChange, type BreakerOptions, type BreakerState } from './circuit-breaker.js';
export { LocalJobError } from './local-error.js';
export { acquireToken, TokenBucket, type RateLimitOptions } from './rate-limit.js';
export { retrying, type RetryBudget, type RetryInfo, type RetryOptions } from './retry.js';
export { abortableSleep, type Sleep } from './sleep.js';
export {
  DEFAULT_RESILIENCE,
  withResilience,
  type ResilienceEvent,
  type ResilienceOptions,
  type ResilienceSettings,
} from './with-resilience.js';
