/**
 * What of a provider's error answer may reach a client, for every vendor. An allow-list: the
 * client sees one of our fixed summaries, the HTTP status, and the provider's code and request id
 * cut down to identifier characters. The provider's free text (Alibaba `Message`, Huawei
 * `error_msg`) never does: Alibaba's can echo the string-to-sign, Huawei's APIGW.0301 the
 * canonical request, and no list of forbidden words knows every shape a credential, host name or
 * another tenant's detail can take. Vendor modules may read that text to choose a summary.
 */
import { JobError, type ErrorCode, type JobErrorDetails } from '../errors.js';

/** Every sentence a provider error message can contain after "<PROVIDER> ". */
export const SUMMARIES = {
  throttled: 'throttled the request',
  authFailed: 'rejected the request signature or credentials',
  // Huawei locks an AK for 5 minutes after 5 failed signatures.
  authFailedHuawei:
    'rejected the request signature or credentials; check the AK/SK or token (repeated failures lock the AK for 5 minutes)',
  clockSkew: 'rejected the request time as expired; the system clock must be within 15 minutes of UTC',
  forbidden: 'denied permission for this job',
  notFound: 'has no such job',
  badJobId: 'rejected the job id',
  rejected: 'rejected the request',
  malformedRequest: 'rejected the request as malformed (check the endpoint)',
  noSuchApi: 'has no such API at this endpoint; check the endpoint override, region and API version',
  notInRegion: 'does not offer this API in this region; check the region',
  quotaExhausted: 'reported that the call quota for this API is used up',
  unavailable: 'is unavailable',
  unreadable: 'answered with an unreadable error',
  unexpected: 'sent an unexpected response',
} as const;

export type Summary = keyof typeof SUMMARIES;

/** The summary for a code when the vendor module has nothing more specific to say. */
export const DEFAULT_SUMMARY: Readonly<Record<ErrorCode, Summary>> = {
  JOB_NOT_FOUND: 'notFound',
  BAD_USER_INPUT: 'rejected',
  FORBIDDEN: 'forbidden',
  PROVIDER_AUTH_FAILED: 'authFailed',
  PROVIDER_FORBIDDEN: 'forbidden',
  PROVIDER_THROTTLED: 'throttled',
  PROVIDER_QUOTA_EXHAUSTED: 'quotaExhausted',
  PROVIDER_MISCONFIGURED: 'noSuchApi',
  PROVIDER_UNAVAILABLE: 'unavailable',
  PROVIDER_TIMEOUT: 'unavailable',
  PROVIDER_BAD_RESPONSE: 'unexpected',
  CREDENTIALS_UNAVAILABLE: 'unavailable',
  PROVIDER_NOT_CONFIGURED: 'unavailable',
  INTERNAL_SERVER_ERROR: 'malformedRequest',
};

const MAX_IDENTIFIER = 80;

/**
 * Provider codes and request ids are short identifiers; anything else in them is cut, so a
 * hostile or garbled body cannot smuggle text in. Null when nothing is left.
 */
export function safeIdentifier(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const cleaned = raw.replace(/[^A-Za-z0-9._-]/g, '').slice(0, MAX_IDENTIFIER);
  return cleaned === '' ? null : cleaned;
}

export interface ProviderFailure {
  provider: string;
  /** The HTTP status the provider answered with. */
  status: number;
  errorCode: ErrorCode;
  summary: Summary;
  /** Already passed through {@link safeIdentifier}. */
  providerCode: string | null;
  /** Already passed through {@link safeIdentifier}. */
  requestId: string | null;
  retryAfterMs?: number | undefined;
  /** When an exhausted provider quota resets (ISO 8601), when the answer says. */
  resetsAt?: string | undefined;
}

/** The one way a provider's error answer becomes a {@link JobError}: `<PROVIDER> <summary>: HTTP <status> (<code>)`. */
export function providerError(f: ProviderFailure): JobError {
  const details: JobErrorDetails = { provider: f.provider, httpStatus: f.status };
  if (f.providerCode !== null) details.providerCode = f.providerCode;
  if (f.requestId !== null) details.requestId = f.requestId;
  if (f.retryAfterMs !== undefined) details.retryAfterMs = f.retryAfterMs;
  if (f.resetsAt !== undefined) details.resetsAt = f.resetsAt;
  const codePart = f.providerCode !== null ? ` (${f.providerCode})` : '';
  return new JobError(f.errorCode, `${f.provider} ${SUMMARIES[f.summary]}: HTTP ${f.status}${codePart}`, details);
}
