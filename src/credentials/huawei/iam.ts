/**
 * The four Huawei Cloud IAM calls a credential source needs, written by hand (no SDK dependency).
 * Wire formats:
 * - ID token → IAM token: `POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id`, answer in `X-Subject-Token`
 *   (CreateTokenWithIdToken, https://support.huaweicloud.com/intl/en-us/api-iam/iam_13_0605.html). This is what the
 *   Go SDK does for HUAWEICLOUD_SDK_IDP_ID + HUAWEICLOUD_SDK_ID_TOKEN_FILE (huaweicloud-sdk-go-v3
 *   core/auth/base_credentials.go → core/auth/internal/iam_helper.go); the Node SDK's
 *   OS-FEDERATION/…/oidc/auth variant has no scope and is not used here.
 * - Temporary AK/SK: `POST /v3.0/OS-CREDENTIAL/securitytokens`, methods `token` (CreateTemporaryAccessKeyByToken,
 *   …/api-iam/iam_04_0002.html) or `assume_role` (CreateTemporaryAccessKeyByAgency, …/api-iam/iam_04_0101.html);
 *   both accept an AK/SK signature or `X-Auth-Token`. Answer `{credential:{access,secret,securitytoken,expires_at}}`.
 * - Project id: `GET /v3/projects?name={region}` (KeystoneListProjects; the SDKs' getProjectId). Read only: unlike
 *   the SDKs we never fall back to creating the project.
 * Every failure leaves as a JobError with a fixed message: no credential, token, signature or body text.
 */
import { isJobError, JobError, type JobErrorDetails } from '../../errors.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../providers/http.js';
import { parseRetryAfter } from '../../providers/huawei/errors.js';
import { signHuaweiRequest } from '../../providers/huawei/sign.js';
import { safeIdentifier } from '../../providers/provider-message.js';
import { encodeRfc3986 } from '../../providers/signing.js';
import type { HuaweiAuth } from '../../providers/types.js';
import { asObject, asString, tryParseJson } from '../../providers/wire.js';
import type { Expiring } from '../types.js';

/** A temporary AK/SK; the security token must travel with every call signed by it. */
export interface HuaweiTemporaryKey {
  ak: string;
  sk: string;
  securityToken: string;
}

/** What every IAM call takes. */
export interface IamCallOptions {
  /** IAM base URL, e.g. `https://iam.cn-north-4.myhuaweicloud.com` or `http://127.0.0.1:8080` (a path prefix is kept). */
  endpoint: string;
  transport: Pick<HttpTransport, 'send'>;
  /** Signing clock (and Retry-After dates). @default () => new Date() */
  now?: (() => Date) | undefined;
}

export interface ExchangeIdTokenOptions extends IamCallOptions {
  /** The IAM identity provider id (HUAWEICLOUD_SDK_IDP_ID). */
  idpId: string;
  /** The OIDC ID token's content (what HUAWEICLOUD_SDK_ID_TOKEN_FILE holds). */
  idToken: string;
  /** Scope the token to this project id. With neither this nor `region` the token is unscoped, as the SDK asks. */
  projectId?: string | undefined;
  /** Scope the token to the project named after this region (ignored when `projectId` is set). */
  region?: string | undefined;
}

export interface CreateTemporaryKeysOptions extends IamCallOptions {
  /** The credential to trade: an IAM token (sent as X-Auth-Token) or an AK/SK (the request is signed). */
  auth: HuaweiAuth;
  /** Clamped to IAM's 900…86400 so a misconfigured value does not turn into a permanent 400. */
  durationSeconds: number;
}

/** The agency's owner, by id or by name (IAM takes either). */
export type AgencyDomain = { domainId: string; domainName?: undefined } | { domainName: string; domainId?: undefined };

export type AssumeAgencyOptions = IamCallOptions &
  AgencyDomain & {
    /** The base credential, trusted by the agency: AK/SK (signed) or an IAM token. */
    auth: HuaweiAuth;
    agencyName: string;
    /** Clamped to IAM's 900…86400. */
    durationSeconds: number;
  };

export interface FindProjectIdOptions extends IamCallOptions {
  auth: HuaweiAuth;
  region: string;
}

const IAM = 'IAM';
const MIN_DURATION_S = 900;
const MAX_DURATION_S = 86_400;

/**
 * Trades an OIDC ID token (e.g. a CCE workload's projected service-account token) for an IAM token.
 * @throws JobError CREDENTIALS_UNAVAILABLE (transient) | PROVIDER_AUTH_FAILED (refused)
 */
export async function exchangeIdToken(
  options: ExchangeIdTokenOptions,
  signal?: AbortSignal,
): Promise<Expiring<string>> {
  const ctx: SourceContext = {
    provider: IAM,
    label: IAM,
    action: 'ID-token exchange',
    hint: 'check the identity provider id, its OIDC configuration and that the ID token is current',
  };
  const auth: Record<string, unknown> = { id_token: { id: options.idToken } };
  if (options.projectId) auth.scope = { project: { id: options.projectId } };
  else if (options.region) auth.scope = { project: { name: options.region } };
  const url = iamUrl(options.endpoint, '/v3.0/OS-AUTH/id-token/tokens');
  const req: HttpRequest = {
    method: 'POST',
    url,
    // Unauthenticated: the ID token in the body is the credential.
    headers: { 'Content-Type': 'application/json;charset=UTF-8', 'X-Idp-Id': options.idpId },
    body: JSON.stringify({ auth }),
  };
  const res = await sendChecked(ctx, options, req, signal);
  const token = res.headers['x-subject-token']?.trim();
  if (!token) throw malformedAnswer(ctx, res, 'no X-Subject-Token header');
  const body = asObject(tryParseJson(res.body));
  const expiresAt = parseHuaweiTime(asObject(body?.token)?.expires_at);
  if (expiresAt === null) throw malformedAnswer(ctx, res, 'no readable token.expires_at');
  return { value: token, expiresAt };
}

/**
 * Trades an IAM token (or an AK/SK) for a temporary AK/SK with security token: the second step of the
 * OIDC flow.
 * @throws JobError CREDENTIALS_UNAVAILABLE | PROVIDER_AUTH_FAILED
 */
export async function createTemporaryKeys(
  options: CreateTemporaryKeysOptions,
  signal?: AbortSignal,
): Promise<Expiring<HuaweiTemporaryKey>> {
  const ctx: SourceContext = {
    provider: IAM,
    label: IAM,
    action: 'temporary key request',
    hint: 'check the token or AK/SK it was given',
  };
  const identity = { methods: ['token'], token: { duration_seconds: clampDuration(options.durationSeconds) } };
  return postSecurityTokens(ctx, options, options.auth, identity, signal);
}

/**
 * Obtains a temporary AK/SK of an agency (another account's, or the caller's own) with a base credential
 * the agency trusts.
 * @throws JobError CREDENTIALS_UNAVAILABLE | PROVIDER_AUTH_FAILED
 */
export async function assumeAgency(
  options: AssumeAgencyOptions,
  signal?: AbortSignal,
): Promise<Expiring<HuaweiTemporaryKey>> {
  const ctx: SourceContext = {
    provider: IAM,
    label: IAM,
    action: 'agency assumption',
    hint: "check the agency name and its account, that the agency trusts the base credential's account, and the base credential",
  };
  const assumeRole: Record<string, unknown> = { agency_name: options.agencyName };
  if (options.domainId) assumeRole.domain_id = options.domainId;
  else if (options.domainName) assumeRole.domain_name = options.domainName;
  else throw new TypeError('assumeAgency needs domainId or domainName');
  assumeRole.duration_seconds = clampDuration(options.durationSeconds);
  const identity = { methods: ['assume_role'], assume_role: assumeRole };
  return postSecurityTokens(ctx, options, options.auth, identity, signal);
}

/**
 * The id of the project named `region` in the caller's account, null when it has none. One GET; never
 * creates anything.
 * @throws JobError CREDENTIALS_UNAVAILABLE | PROVIDER_AUTH_FAILED
 */
export async function findProjectId(options: FindProjectIdOptions, signal?: AbortSignal): Promise<string | null> {
  const ctx: SourceContext = {
    provider: IAM,
    label: IAM,
    action: 'project lookup',
    hint: 'check the AK/SK or token and that it may list projects',
  };
  const url = iamUrl(options.endpoint, '/v3/projects', `name=${encodeRfc3986(options.region)}`);
  const req = authorize({ method: 'GET', url, headers: { 'Content-Type': 'application/json' } }, options);
  const res = await sendChecked(ctx, options, req, signal);
  const projects = asObject(tryParseJson(res.body))?.projects;
  if (!Array.isArray(projects)) throw malformedAnswer(ctx, res, 'no projects list');
  for (const p of projects) {
    const project = asObject(p);
    const id = asString(project?.id);
    if (asString(project?.name) === options.region && id) return id;
  }
  return null;
}

// ---- shared with ./metadata.ts -----------------------------------------------------------------

/** Who answered and what we asked: labels errors, never carries request data. */
export interface SourceContext {
  /** `details.provider`. */
  provider: string;
  /** How messages name the service. */
  label: string;
  /** What was asked, e.g. 'agency assumption'. */
  action: string;
  /** What an operator should check when the service refuses. */
  hint: string;
}

/**
 * An IAM/metadata time (`2020-01-08T03:50:07.574000Z`: microseconds, sometimes no zone, meaning UTC) as
 * epoch ms; null when unreadable.
 */
export function parseHuaweiTime(value: unknown): number | null {
  const text = asString(value)?.trim();
  if (!text) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) return null;
  const [, base, fraction = '', zone = 'Z'] = m;
  // Date.parse is only specified for millisecond precision.
  const ms = fraction.slice(0, 3).padEnd(3, '0');
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const at = Date.parse(`${base}.${ms}${offset}`);
  return Number.isNaN(at) ? null : at;
}

/** Sends one request; transport faults and non-2xx answers leave as JobErrors. */
export async function sendChecked(
  ctx: SourceContext,
  options: { transport: Pick<HttpTransport, 'send'>; now?: (() => Date) | undefined },
  req: HttpRequest,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  let res: HttpResponse;
  try {
    res = await options.transport.send(ctx.provider, req, signal);
  } catch (err) {
    throw unreachable(ctx, err);
  }
  if (res.status < 200 || res.status >= 300) {
    throw refusedOrFailed(ctx, res, (options.now ?? (() => new Date()))().getTime());
  }
  return res;
}

/** A transport fault (timeout, connection, oversized body) as a transient credential failure, cause kept. */
export function unreachable(ctx: SourceContext, err: unknown): JobError {
  // The transport's own messages are fixed sentences; anything else is not shown.
  const why = isJobError(err) ? err.message : `${ctx.label} call failed`;
  const details: JobErrorDetails = { provider: ctx.provider };
  if (isJobError(err) && err.details.httpStatus !== undefined) details.httpStatus = err.details.httpStatus;
  return new JobError('CREDENTIALS_UNAVAILABLE', `${ctx.label} ${ctx.action} failed: ${why}`, details, {
    cause: err,
  });
}

/** A 2xx whose body lacks what the call returns: transient (often a proxy or a cut answer). */
export function malformedAnswer(ctx: SourceContext, res: HttpResponse, what: string): JobError {
  return new JobError(
    'CREDENTIALS_UNAVAILABLE',
    `${ctx.label} answered the ${ctx.action} with an unreadable body: HTTP ${res.status} (${what})`,
    detailsOf(ctx, res, null),
  );
}

/** A non-2xx answer: throttling, 5xx and odd statuses are transient; other 4xx are refusals. */
export function refusedOrFailed(ctx: SourceContext, res: HttpResponse, nowMs: number): JobError {
  const envelope = readErrorEnvelope(res.body);
  const code = safeIdentifier(envelope.code);
  const details = detailsOf(ctx, res, code);
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], nowMs);
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  const status = `HTTP ${res.status}${code ? `, ${code}` : ''}`;
  if (res.status === 429 || code === 'APIGW.0308') {
    return new JobError('CREDENTIALS_UNAVAILABLE', `${ctx.label} throttled the ${ctx.action} (${status})`, details);
  }
  // 5xx, 408, the gateway's backend faults (APIGW.07xx, some sent as 4xx) and non-error statuses (3xx).
  if (res.status >= 500 || res.status === 408 || res.status < 400 || (code && /^APIGW\.07\d\d$/.test(code))) {
    return new JobError(
      'CREDENTIALS_UNAVAILABLE',
      `${ctx.label} could not serve the ${ctx.action} (${status})`,
      details,
    );
  }
  // The message text is read only to tell an expired credential or clock from a wrong one; never shown.
  const expired = code === 'APIGW.0303' || /expire/i.test(envelope.message ?? '');
  const advice = expired
    ? 'a credential or the request time has expired; check the base credential and that the clock is within 15 minutes of UTC'
    : ctx.hint;
  return new JobError('PROVIDER_AUTH_FAILED', `${ctx.label} refused the ${ctx.action} (${status}): ${advice}`, details);
}

function detailsOf(ctx: SourceContext, res: HttpResponse, code: string | null): JobErrorDetails {
  const details: JobErrorDetails = { provider: ctx.provider, httpStatus: res.status };
  if (code) details.providerCode = code;
  const bodyId = asString(asObject(tryParseJson(res.body))?.request_id);
  const requestId = safeIdentifier(res.headers['x-request-id'] ?? bodyId);
  if (requestId) details.requestId = requestId;
  return details;
}

/** `{error_code,error_msg}` (gateway, IAM) or Keystone's `{error:{code,message,title}}`, code possibly a number. */
function readErrorEnvelope(body: string): { code: string | null; message: string | null } {
  const json = asObject(tryParseJson(body));
  const nested = asObject(json?.error);
  const text = (v: unknown): string | null => {
    const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : asString(v)?.trim();
    return s ? s : null;
  };
  return {
    code: text(json?.error_code) ?? text(nested?.code),
    message: text(json?.error_msg) ?? text(nested?.message),
  };
}

// ---- internals ---------------------------------------------------------------------------------

async function postSecurityTokens(
  ctx: SourceContext,
  options: IamCallOptions,
  auth: HuaweiAuth,
  identity: Record<string, unknown>,
  signal: AbortSignal | undefined,
): Promise<Expiring<HuaweiTemporaryKey>> {
  const url = iamUrl(options.endpoint, '/v3.0/OS-CREDENTIAL/securitytokens');
  const req = authorize(
    {
      method: 'POST',
      url,
      headers: { 'Content-Type': 'application/json;charset=UTF-8' },
      body: JSON.stringify({ auth: { identity } }),
    },
    { ...options, auth },
  );
  const res = await sendChecked(ctx, options, req, signal);
  const credential = asObject(asObject(tryParseJson(res.body))?.credential);
  const ak = asString(credential?.access);
  const sk = asString(credential?.secret);
  const securityToken = asString(credential?.securitytoken);
  if (!ak || !sk || !securityToken) throw malformedAnswer(ctx, res, 'no credential access/secret/securitytoken');
  const expiresAt = parseHuaweiTime(credential?.expires_at);
  if (expiresAt === null) throw malformedAnswer(ctx, res, 'no readable credential.expires_at');
  return { value: { ak, sk, securityToken }, expiresAt };
}

/** Adds X-Auth-Token, or signs (adding Host, X-Sdk-Date, X-Security-Token and Authorization). */
function authorize(req: HttpRequest, options: IamCallOptions & { auth: HuaweiAuth }): HttpRequest {
  const auth = options.auth;
  if (auth.kind === 'token') return { ...req, headers: { ...req.headers, 'X-Auth-Token': auth.token } };
  const date = (options.now ?? (() => new Date()))();
  const signed = signHuaweiRequest(
    { method: req.method, url: req.url, headers: req.headers, body: req.body },
    auth,
    date,
  );
  return { ...req, headers: signed.headers };
}

/** `endpoint` + `path`, keeping a base path; only http(s). The endpoint is not echoed (it may hold userinfo). */
function iamUrl(endpoint: string, path: string, query?: string): URL {
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw new TypeError('the IAM endpoint is not a URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError('the IAM endpoint must be an http or https URL');
  }
  const url = new URL(base.origin);
  url.pathname = base.pathname.replace(/\/+$/, '') + path;
  if (query !== undefined) url.search = `?${query}`;
  return url;
}

function clampDuration(seconds: number): number {
  if (!Number.isFinite(seconds)) throw new TypeError('durationSeconds must be a finite number');
  return Math.min(MAX_DURATION_S, Math.max(MIN_DURATION_S, Math.round(seconds)));
}
