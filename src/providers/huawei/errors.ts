/**
 * Huawei error bodies → JobError (../../../../shared/providers.md §A.2, §A.4, §A.5, §A.6).
 * Bodies come as `{error_code, error_msg}` (service and API Gateway), sometimes nested as
 * `{error: {code, message}}`, and DLI also answers `{is_success: false, message}`; all are read
 * defensively. Pure apart from the default clock used to resolve an HTTP-date Retry-After.
 */
import { JobError, type ErrorCode } from '../../errors.js';
import { asObject, asString, tryParseJson } from '../wire.js';

/** Codes whose meaning does not depend on the HTTP status they come with. */
const BY_CODE: Readonly<Record<string, ErrorCode>> = {
  // API Gateway (https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-errorcode.html)
  'APIGW.0101': 'PROVIDER_UNAVAILABLE', // API not found: wrong host, path or method
  'APIGW.0201': 'BAD_USER_INPUT',
  'APIGW.0301': 'PROVIDER_AUTH_FAILED',
  'APIGW.0302': 'PROVIDER_FORBIDDEN',
  'APIGW.0303': 'PROVIDER_AUTH_FAILED', // includes "signature expired" (clock skew > 15 min)
  'APIGW.0308': 'PROVIDER_THROTTLED',
  // DLI (https://support.huaweicloud.com/intl/en-us/api-dli/dli_02_0056.html)
  'DLI.0001': 'BAD_USER_INPUT',
  'DLI.0002': 'JOB_NOT_FOUND', // "The object does not exist."
  'DLI.0003': 'PROVIDER_FORBIDDEN', // permission verification failed
  'DLI.0013': 'PROVIDER_AUTH_FAILED',
  'DLI.0014': 'PROVIDER_AUTH_FAILED',
  'DLI.0015': 'PROVIDER_AUTH_FAILED', // token parsing error
  'DLI.0023': 'JOB_NOT_FOUND',
  'DLI.0999': 'PROVIDER_UNAVAILABLE', // server error, sent as HTTP 400
  // CFW (https://support.huaweicloud.com/intl/en-us/api-cfw/ErrorCode.html)
  'CFW.00200005': 'JOB_NOT_FOUND', // object does not exist
  'CFW.00300001': 'PROVIDER_UNAVAILABLE', // database query failed, sent as HTTP 400
};

/** What a failed call said, read from whichever envelope it used. */
export interface HuaweiErrorEnvelope {
  code: string | null;
  message: string | null;
  requestId: string | null;
}

/** Reads `error_code`/`error_msg`, `{error:{code,message}}` or DLI's `{is_success:false,message}`. */
export function readHuaweiEnvelope(body: unknown): HuaweiErrorEnvelope {
  const json = asObject(typeof body === 'string' ? tryParseJson(body) : body);
  const nested = asObject(json?.error);
  const nonEmpty = (v: unknown): string | null => {
    const s = asString(v)?.trim();
    return s ? s : null;
  };
  return {
    code: nonEmpty(json?.error_code) ?? nonEmpty(nested?.code),
    message: nonEmpty(json?.error_msg) ?? nonEmpty(nested?.message) ?? nonEmpty(json?.message),
    requestId: nonEmpty(json?.request_id),
  };
}

/** Retry-After as delay seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function classify(code: string | null, status: number): { errorCode: ErrorCode; endpointHint: boolean } {
  const known = code ? BY_CODE[code] : undefined;
  if (known) return { errorCode: known, endpointHint: code === 'APIGW.0101' };
  if (code && /^APIGW\.07\d\d$/.test(code)) return { errorCode: 'PROVIDER_UNAVAILABLE', endpointHint: false };
  if (status === 401) return { errorCode: 'PROVIDER_AUTH_FAILED', endpointHint: false };
  if (status === 403) return { errorCode: 'PROVIDER_FORBIDDEN', endpointHint: false };
  if (status === 429) return { errorCode: 'PROVIDER_THROTTLED', endpointHint: false };
  if (status >= 500) return { errorCode: 'PROVIDER_UNAVAILABLE', endpointHint: false };
  // A service's own 404 (e.g. Workspace WKS.*) is about the job; a bare 404 or a 405 means we are
  // not talking to the API we think we are.
  if (status === 404) {
    return code && !code.startsWith('APIGW.')
      ? { errorCode: 'JOB_NOT_FOUND', endpointHint: false }
      : { errorCode: 'PROVIDER_UNAVAILABLE', endpointHint: true };
  }
  if (status === 405) return { errorCode: 'PROVIDER_UNAVAILABLE', endpointHint: true };
  if (status >= 300 && status < 400) return { errorCode: 'PROVIDER_BAD_RESPONSE', endpointHint: false };
  // 400 parameter errors, and a 2xx whose envelope says the request failed for an unlisted reason.
  return { errorCode: 'BAD_USER_INPUT', endpointHint: false };
}

const DESCRIPTIONS: Readonly<Record<ErrorCode, string>> = {
  JOB_NOT_FOUND: 'job not found',
  BAD_USER_INPUT: 'rejected the request',
  FORBIDDEN: 'access denied',
  PROVIDER_AUTH_FAILED: 'authentication failed; check the AK/SK or token (repeated failures lock the AK for 5 minutes)',
  PROVIDER_FORBIDDEN: 'permission denied for these credentials',
  PROVIDER_THROTTLED: 'throttled the request',
  PROVIDER_UNAVAILABLE: 'is unavailable',
  PROVIDER_TIMEOUT: 'did not answer in time',
  PROVIDER_BAD_RESPONSE: 'sent an unexpected response',
  PROVIDER_NOT_CONFIGURED: 'is not configured',
  INTERNAL_SERVER_ERROR: 'internal error',
};

/** Text that could carry a signature, canonical request or credential never reaches a message. */
const UNSAFE = /canonical|signature|authoriz|token|secret|credential|aksk|x-sdk|access.?key|\bak\b|\bsk\b/i;

function safeSummary(message: string | null): string | null {
  if (!message || UNSAFE.test(message)) return null;
  const flat = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/**
 * Maps a failed Huawei call (non-2xx, or a 2xx whose envelope reports failure) to a JobError.
 * The message carries the provider code and, for non-auth errors, a short sanitized summary;
 * APIGW.0301's message, which echoes the gateway's canonical request, is always dropped.
 */
export function toHuaweiError(
  provider: string,
  status: number,
  headers: Record<string, string>,
  body: unknown,
  nowMs: number = Date.now(),
): JobError {
  const env = readHuaweiEnvelope(body);
  const { errorCode, endpointHint } = classify(env.code, status);
  const requestId = headers['x-request-id'] ?? env.requestId ?? undefined;
  const retryAfterMs = parseRetryAfter(headers['retry-after'], nowMs);

  let text: string;
  if (errorCode === 'PROVIDER_AUTH_FAILED') {
    const expired = env.code === 'APIGW.0303' || /expired/i.test(env.message ?? '');
    text = expired
      ? 'rejected the request time as expired; the system clock must be within 15 minutes of UTC'
      : DESCRIPTIONS.PROVIDER_AUTH_FAILED;
  } else if (endpointHint) {
    text = 'API not found at this endpoint; check the endpoint override, region and API version';
  } else {
    const summary = safeSummary(env.message);
    text = summary ? `${DESCRIPTIONS[errorCode]}: ${summary}` : DESCRIPTIONS[errorCode];
  }
  const tag = env.code ?? `HTTP ${status}`;
  return new JobError(errorCode, `${provider} ${text} (${tag})`, {
    provider,
    ...(env.code ? { providerCode: env.code } : {}),
    ...(requestId ? { requestId } : {}),
    httpStatus: status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
