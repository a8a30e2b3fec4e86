/**
 * Huawei error bodies → JobError (docs/providers.md#huawei-api-gateway-and-services).
 * Bodies come as `{error_code, error_msg}` (service and API Gateway), sometimes nested as
 * `{error: {code, message}}`, and DLI also answers `{is_success: false, message}`; all are read
 * defensively. What reaches clients follows the shared allow-list (../provider-message.ts): the
 * message text is read only to tell an expired signature from a bad one. Pure apart from the
 * default clock used to resolve an HTTP-date Retry-After.
 */
import type { ErrorCode, JobError } from '../../errors.js';
import { DEFAULT_SUMMARY, providerError, safeIdentifier, type Summary } from '../provider-message.js';
import { asObject, asString, tryParseJson } from '../wire.js';

/** Codes whose meaning does not depend on the HTTP status they come with. */
const BY_CODE: Readonly<Record<string, ErrorCode>> = {
  // API Gateway (https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-errorcode.html)
  // API not found: wrong host, path, method or version. A configuration error, not an outage:
  // asking again reaches the same wrong place (docs/providers.md#huawei-api-gateway-and-services).
  'APIGW.0101': 'PROVIDER_MISCONFIGURED',
  'APIGW.0201': 'BAD_USER_INPUT',
  'APIGW.0301': 'PROVIDER_AUTH_FAILED',
  'APIGW.0302': 'PROVIDER_FORBIDDEN',
  'APIGW.0303': 'PROVIDER_AUTH_FAILED', // includes "signature expired" (clock skew > 15 min)
  'APIGW.0308': 'PROVIDER_THROTTLED',
  // DLI (https://support.huaweicloud.com/intl/en-us/api-dli/dli_02_0056.html). All of these come as
  // HTTP 400, so without this table they would end a watch as the user's fault.
  'DLI.0001': 'BAD_USER_INPUT',
  'DLI.0002': 'JOB_NOT_FOUND', // "The object does not exist."
  'DLI.0003': 'PROVIDER_FORBIDDEN', // permission verification failed
  'DLI.0009': 'PROVIDER_THROTTLED', // "system limit": a limit of the service, not of the request
  'DLI.0012': 'PROVIDER_UNAVAILABLE', // "resource object unavailable"
  'DLI.0013': 'PROVIDER_AUTH_FAILED',
  'DLI.0014': 'PROVIDER_AUTH_FAILED',
  'DLI.0015': 'PROVIDER_AUTH_FAILED', // token parsing error
  'DLI.0016': 'PROVIDER_FORBIDDEN', // "identity/role error": DLI's agency (service role) is missing or lacks rights
  'DLI.0019': 'PROVIDER_UNAVAILABLE', // "task timeout" on the service side
  'DLI.0023': 'JOB_NOT_FOUND',
  'DLI.0999': 'PROVIDER_UNAVAILABLE', // server error, sent as HTTP 400
  // CFW (https://support.huaweicloud.com/intl/en-us/api-cfw/ErrorCode.html)
  'CFW.00109004': 'PROVIDER_UNAVAILABLE', // "HTTP request error"; the page says: retry later
  'CFW.00200005': 'JOB_NOT_FOUND', // object does not exist
  'CFW.00300001': 'PROVIDER_UNAVAILABLE', // "command parse exception" (zh page): a service-side fault, as HTTP 400
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
  // A service's own 404 (e.g. Workspace WKS.*) is about the job; a bare or gateway 404 and a 405
  // mean we are not talking to the API we think we are: retrying cannot help.
  if (status === 404) {
    return code && !code.startsWith('APIGW.')
      ? { errorCode: 'JOB_NOT_FOUND', endpointHint: false }
      : { errorCode: 'PROVIDER_MISCONFIGURED', endpointHint: true };
  }
  if (status === 405) return { errorCode: 'PROVIDER_MISCONFIGURED', endpointHint: true };
  if (status >= 300 && status < 400) return { errorCode: 'PROVIDER_BAD_RESPONSE', endpointHint: false };
  // 400 parameter errors, and a 2xx whose envelope says the request failed for an unlisted reason.
  return { errorCode: 'BAD_USER_INPUT', endpointHint: false };
}

function summaryOf(errorCode: ErrorCode, endpointHint: boolean, code: string | null, message: string | null): Summary {
  if (errorCode === 'PROVIDER_AUTH_FAILED') {
    return code === 'APIGW.0303' || /expired/i.test(message ?? '') ? 'clockSkew' : 'authFailedHuawei';
  }
  if (endpointHint) return 'noSuchApi';
  return DEFAULT_SUMMARY[errorCode];
}

/**
 * Maps a failed Huawei call (non-2xx, or a 2xx whose envelope reports failure) to a JobError
 * carrying the provider code, request id, HTTP status and any Retry-After.
 */
export function toHuaweiError(
  provider: string,
  status: number,
  headers: Record<string, string>,
  body: unknown,
  nowMs: number = Date.now(),
): JobError {
  const env = readHuaweiEnvelope(body);
  const providerCode = safeIdentifier(env.code);
  const { errorCode, endpointHint } = classify(providerCode, status);
  return providerError({
    provider,
    status,
    errorCode,
    summary: summaryOf(errorCode, endpointHint, providerCode, env.message),
    providerCode,
    requestId: safeIdentifier(headers['x-request-id'] ?? env.requestId),
    retryAfterMs: parseRetryAfter(headers['retry-after'], nowMs),
  });
}
