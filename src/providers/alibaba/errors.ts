/**
 * Alibaba POP gateway error answers → {@link JobError}. The envelope is
 * `{ RequestId, HostId, Code, Message, Recommend }` (XML `<Error>…</Error>` when a caller asked for
 * XML); codes and statuses: docs/providers.md#alibaba-pop-gateway and
 * https://help.aliyun.com/en/openapi/user-guide/api-error-diagnosis .
 *
 * The classification goes by `Code` first and by HTTP status only as a fallback, because Alibaba
 * sends throttling and auth failures as plain HTTP 400. What reaches clients follows the shared
 * allow-list (../provider-message.ts): `Message` can echo the server's string-to-sign.
 */
import type { ErrorCode, JobError } from '../../errors.js';
import { providerError, safeIdentifier, type Summary } from '../provider-message.js';
import { asObject, asString, tryParseJson } from '../wire.js';

/** The fields of an error envelope this module reads (either casing, as the SDKs accept). */
export interface AlibabaErrorEnvelope {
  code: string | null;
  requestId: string | null;
}

/** Reads Code/RequestId from a JSON or XML error body; nulls when the body is neither. */
export function parseAlibabaErrorBody(body: string): AlibabaErrorEnvelope {
  const json = asObject(tryParseJson(body));
  if (json) {
    return {
      code: asString(json.Code) ?? asString(json.code),
      requestId: asString(json.RequestId) ?? asString(json.requestId),
    };
  }
  // `Format=XML` (V2's default) and some gateway paths answer `<Error><Code>…</Code>…</Error>`.
  const xmlField = (name: string): string | null => {
    const m = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(body);
    return m?.[1] ? m[1] : null;
  };
  return { code: xmlField('Code'), requestId: xmlField('RequestId') };
}

/** `x-acs-retry-after`: a positive integer of milliseconds (darabonba-openapi getThrottlingTimeLeft). */
export function retryAfterMs(headers: Readonly<Record<string, string>>): number | null {
  const raw = headers['x-acs-retry-after']?.trim();
  if (!raw || !/^\d+$/.test(raw)) return null;
  const ms = Number(raw);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

/**
 * Codes that mean our own request was malformed (wrong action, version or method). They are
 * neither the user's fault nor transient: a bug or a misconfigured endpoint override.
 */
const REQUEST_SHAPE_CODES = /^(InvalidAction|InvalidApi|InvalidVersion|UnsupportedHTTPMethod|InvalidHttpMethod)(\.|$)/;

/**
 * Throttling codes that mean a quota of calls is used up rather than "too many at once" (DataWorks
 * public error codes, docs/providers.md#dataworks-getjobstatus): `Throttling.Api.Risk` "exceeded
 * your daily available limit", `Throttling.Resource` "the number of API calls … has reached the
 * upper limit" (upgrade the edition). Retrying within seconds cannot help: every extra call is
 * refused until the quota resets.
 */
const QUOTA_CODES = new Set(['Throttling.Api.Risk', 'Throttling.Resource']);

function classify(code: string | null, status: number, retryAfter: number | null): [ErrorCode, Summary] {
  const c = code ?? '';
  if (QUOTA_CODES.has(c)) return ['PROVIDER_QUOTA_EXHAUSTED', 'quotaExhausted'];
  // `Throttling.User` is DataWorks' "Your request is too frequent", `Throttling.Api` a per-API rate.
  if (c.startsWith('Throttling') || retryAfter !== null) return ['PROVIDER_THROTTLED', 'throttled'];
  // The signed x-acs-date was more than 15 minutes off the gateway's clock.
  if (c === 'InvalidTimeStamp.Expired') return ['PROVIDER_AUTH_FAILED', 'clockSkew'];
  if (
    /^(Signature|IncompleteSignature|InvalidTimeStamp|InvalidAccessKeyId|InvalidSecurityToken)/.test(c) ||
    c === 'InvalidAuthorization'
  ) {
    return ['PROVIDER_AUTH_FAILED', 'authFailed'];
  }
  // DataWorks, HTTP 500: "The dataworksAPI service is not available in this area": the region, not
  // a permission and not an outage.
  if (c === 'Forbidden.Not.Server') return ['PROVIDER_MISCONFIGURED', 'notInRegion'];
  if (c.startsWith('Forbidden')) return ['PROVIDER_FORBIDDEN', 'forbidden'];
  // No API answers this method at this endpoint: an override pointing at something else.
  if (status === 405) return ['PROVIDER_MISCONFIGURED', 'noSuchApi'];
  if (REQUEST_SHAPE_CODES.test(c)) return ['INTERNAL_SERVER_ERROR', 'malformedRequest'];
  // Job-level not-found codes: ResourceNotFound.JobId and the `<Job...>.NotFound` family.
  if (c.startsWith('ResourceNotFound') || /job[^.]*\.NotFound$/i.test(c) || /^(Job|JobId)NotFound$/i.test(c)) {
    return ['JOB_NOT_FOUND', 'notFound'];
  }
  if (/^(InvalidParameter|MissingParameter|Missing|IllegalParam)/.test(c)) return ['BAD_USER_INPUT', 'badJobId'];
  if (/^(ServiceUnavailable|InternalError|SystemBusy|ServiceTimeout)/.test(c) || status >= 500) {
    return ['PROVIDER_UNAVAILABLE', 'unavailable'];
  }
  if (status === 429) return ['PROVIDER_THROTTLED', 'throttled'];
  if (status === 401) return ['PROVIDER_AUTH_FAILED', 'authFailed'];
  if (status === 403) return ['PROVIDER_FORBIDDEN', 'forbidden'];
  if (code === null) return ['PROVIDER_BAD_RESPONSE', 'unreadable'];
  // An unrecognised code on a job-status call: the job id is the only input, so 404 is about it
  // and other 4xx are about its form.
  if (status === 404) return ['JOB_NOT_FOUND', 'notFound'];
  return ['BAD_USER_INPUT', 'rejected'];
}

/**
 * Maps a non-2xx answer (or a throttling answer of any status) to a JobError carrying the
 * provider, its code, request id, HTTP status and, when given, the requested wait. A used-up
 * quota says when it resets only if the answer carries `x-acs-retry-after`: no page documents
 * when DataWorks' daily count starts again, so none is guessed.
 */
export function toAlibabaError(
  provider: string,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  nowMs: number = Date.now(),
): JobError {
  const envelope = parseAlibabaErrorBody(body);
  const providerCode = safeIdentifier(envelope.code);
  const retryAfter = retryAfterMs(headers);
  const [errorCode, summary] = classify(providerCode, status, retryAfter);
  const quota = errorCode === 'PROVIDER_QUOTA_EXHAUSTED';
  const wait = retryAfter !== null && (quota || errorCode === 'PROVIDER_THROTTLED') ? retryAfter : undefined;
  return providerError({
    provider,
    status,
    errorCode,
    summary,
    providerCode,
    requestId: safeIdentifier(headers['x-acs-request-id'] ?? envelope.requestId),
    retryAfterMs: wait,
    resetsAt: quota && wait !== undefined ? new Date(nowMs + wait).toISOString() : undefined,
  });
}
