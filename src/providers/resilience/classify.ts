/**
 * Which provider failures are worth another attempt, and which count against a provider's
 * health. Pure: decided from the error's code alone, because the provider modules already map
 * every wire answer (Alibaba `Throttling*` as HTTP 400 and `x-acs-retry-after`, Huawei APIGW.0308
 * / 429 with Retry-After, 5xx, connection resets, timeouts) onto a {@link JobError} code, and
 * which codes are transient is the registry's (src/errors.ts) to say.
 */
import { isJobError, isTransient, type ErrorCode } from '../../errors.js';
import { LocalJobError } from './local-error.js';

/**
 * - `retry`: try again with backoff while attempts and the call's deadline last.
 * - `once`: at most one extra attempt per call.
 * - `never`: the answer will not change by asking again (or asking again does harm).
 */
export type RetryClass = 'retry' | 'once' | 'never';

/**
 * Transient codes the retry budget limits to one extra attempt. A truncated, garbled, oversized
 * or HTML body is often a one-off (a cut connection, a proxy answering for a backend that was
 * restarting), so one more attempt is cheap and often enough. A provider that keeps sending a
 * body we cannot read (an API change, a misrouted gateway, a job whose record has fields of the
 * wrong type) will not heal within one call, and every attempt costs a full body read of up to
 * the size limit: hence one retry, not several.
 */
const ONCE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['PROVIDER_BAD_RESPONSE']);

/**
 * How a failed attempt may be retried: transient codes (the registry's) are retried, others never
 * (an auth failure, for one, is surfaced at once). Errors raised locally (open breaker,
 * client-side rate limit) are never retried within the call; anything that is not a JobError is
 * a bug.
 */
export function retryClassOf(err: unknown): RetryClass {
  if (err instanceof LocalJobError || !isJobError(err) || !isTransient(err.code)) return 'never';
  // Transient, but over hours: a used-up call quota (our daily budget or the provider's daily
  // limit) comes back when it resets, and until then every attempt is refused.
  if (err.code === 'PROVIDER_QUOTA_EXHAUSTED') return 'never';
  return ONCE.has(err.code) ? 'once' : 'retry';
}

/**
 * Whether a failure says the provider endpoint itself is unhealthy, i.e. counts towards opening
 * its circuit breaker. Only outages and timeouts do. A not-found, forbidden or auth answer proves
 * the provider is up; throttling is the provider working as designed and has its own remedy
 * (Retry-After, the client-side rate limit), and an unreadable body is usually about one job's
 * record, not about the endpoint. Errors raised locally (no request sent) never count.
 */
export function countsAgainstProvider(err: unknown): boolean {
  return (
    isJobError(err) &&
    !(err instanceof LocalJobError) &&
    (err.code === 'PROVIDER_UNAVAILABLE' || err.code === 'PROVIDER_TIMEOUT')
  );
}
