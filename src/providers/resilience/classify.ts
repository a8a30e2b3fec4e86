/**
 * Which provider failures are worth another attempt, and which count against a provider's
 * health. Pure: decided from the error's code alone, because the provider modules already map
 * every wire answer (Alibaba `Throttling*` as HTTP 400 and `x-acs-retry-after`, Huawei APIGW.0308
 * / 429 with Retry-After, 5xx, connection resets, timeouts) onto a {@link JobError} code.
 */
import { isJobError, type ErrorCode } from '../../errors.js';
import { LocalJobError } from './local-error.js';

/**
 * - `retry`: try again with backoff while attempts and the call's deadline last.
 * - `once`: at most one extra attempt per call.
 * - `never`: the answer will not change by asking again (or asking again does harm).
 */
export type RetryClass = 'retry' | 'once' | 'never';

const BY_CODE: Readonly<Record<ErrorCode, RetryClass>> = {
  PROVIDER_THROTTLED: 'retry',
  PROVIDER_UNAVAILABLE: 'retry',
  PROVIDER_TIMEOUT: 'retry',
  // A truncated, garbled, oversized or HTML body is often a one-off (a cut connection, a proxy
  // answering for a backend that was restarting), so one more attempt is cheap and often enough.
  // A provider that keeps sending a body we cannot read (an API change, a misrouted gateway, a
  // job whose record has fields of the wrong type) will not heal within one call, and every
  // attempt costs a full body read of up to the size limit: hence one retry, not several.
  PROVIDER_BAD_RESPONSE: 'once',
  // Huawei locks an AK for 5 minutes after 5 failed signatures, and Alibaba's clock-skew and
  // nonce errors recur on every re-signed attempt: an auth failure is surfaced at once.
  PROVIDER_AUTH_FAILED: 'never',
  PROVIDER_FORBIDDEN: 'never',
  JOB_NOT_FOUND: 'never',
  BAD_USER_INPUT: 'never',
  FORBIDDEN: 'never',
  PROVIDER_NOT_CONFIGURED: 'never',
  INTERNAL_SERVER_ERROR: 'never',
};

/**
 * How a failed attempt may be retried. Errors raised locally (open breaker, client-side rate
 * limit) are never retried within the call; anything that is not a JobError is a bug.
 */
export function retryClassOf(err: unknown): RetryClass {
  if (err instanceof LocalJobError) return 'never';
  return isJobError(err) ? BY_CODE[err.code] : 'never';
}

/**
 * Whether a failure says the provider endpoint itself is unhealthy, i.e. counts towards opening
 * its circuit breaker. Only outages and timeouts do. A not-found, forbidden or auth answer proves
 * the provider is up; throttling is the provider working as designed and has its own remedy
 * (Retry-After, the client-side rate limit), and an unreadable body is usually about one job's
 * record, not about the endpoint. Errors raised locally (no request sent) never count.
 */
export function countsAgainstProvider(err: unknown): boolean {
  return isJobError(err) && !(err instanceof LocalJobError) && (err.code === 'PROVIDER_UNAVAILABLE' || err.code === 'PROVIDER_TIMEOUT');
}
