/**
 * Alibaba Cloud STS (2015-04-01, RPC style): `AssumeRole` and `AssumeRoleWithOIDC`, one HTTP
 * exchange per call (refreshing and retries belong to the caller).
 *
 * - AssumeRole is signed with the base credentials by the project's V3 signer (../../providers/alibaba/sign.ts),
 *   parameters in the query string as ../../providers/alibaba/request.ts sends them.
 * - AssumeRoleWithOIDC is anonymous. As @alicloud/credentials 2.4.7 does
 *   (src/providers/oidc_role_arn.ts), Action/Version/Format/Timestamp go in the query and the
 *   parameters in an `application/x-www-form-urlencoded` body, which keeps the OIDC token out of
 *   URLs and access logs.
 *
 * API pages: https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole
 * and https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerolewithoidc ;
 * error codes: https://help.aliyun.com/zh/ram/developer-reference/api-sts-2015-04-01-errorcodes
 */
import { JobError, isJobError } from '../../errors.js';
import { retryAfterMs, parseAlibabaErrorBody } from '../../providers/alibaba/errors.js';
import { alibabaRequestId, defaultNonce } from '../../providers/alibaba/request.js';
import { formatAcsDate, signAcs3 } from '../../providers/alibaba/sign.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../providers/http.js';
import { safeIdentifier } from '../../providers/provider-message.js';
import type { AlibabaCredentials } from '../../providers/types.js';
import { asObject, asString, tryParseJson } from '../../providers/wire.js';
import type { Expiring } from '../types.js';

export const STS_VERSION = '2015-04-01';
/** Labels errors and transport calls. */
export const STS_PROVIDER = 'STS';
/** STS's own default (the API pages); the role's MaxSessionDuration caps it. */
export const DEFAULT_STS_DURATION_SECONDS = 3600;
export const DEFAULT_ROLE_SESSION_NAME = 'jobs-subgraph';

/** What both exchanges take. */
export interface StsCallOptions {
  /** Base URL: `https://sts.cn-hangzhou.aliyuncs.com`, or `http://127.0.0.1:PORT` for a fake. */
  endpoint: string;
  transport: Pick<HttpTransport, 'send'>;
  /** Signing clock (x-acs-date / Timestamp). @default () => new Date() */
  now?: () => Date;
  /** @default 3600 */
  durationSeconds?: number;
  /** `RoleSessionName`: 2-64 characters of `[\w.@-]`. @default 'jobs-subgraph' */
  sessionName?: string;
}

export interface AssumeRoleOptions extends StsCallOptions {
  /** The base credentials that sign the call (a RAM user's key, or STS credentials with their token). */
  credentials: AlibabaCredentials;
  roleArn: string;
  /** Sent only when given; must equal the role trust policy's `sts:ExternalId`. */
  externalId?: string;
  /** `x-acs-signature-nonce` source. @default random 32-hex */
  nonce?: () => string;
}

export interface AssumeRoleWithOidcOptions extends StsCallOptions {
  roleArn: string;
  oidcProviderArn: string;
  /** The token's text as read from its file (e.g. ALIBABA_CLOUD_OIDC_TOKEN_FILE). */
  oidcToken: string;
}

export type StsAction = 'AssumeRole' | 'AssumeRoleWithOIDC';

/**
 * STS `AssumeRole` into `roleArn`, signed with `options.credentials`.
 * @throws JobError CREDENTIALS_UNAVAILABLE (transient) | PROVIDER_AUTH_FAILED (STS refused)
 */
export async function assumeRole(
  options: AssumeRoleOptions,
  signal?: AbortSignal,
): Promise<Expiring<AlibabaCredentials>> {
  const base = endpointUrl(options.endpoint);
  const params: Record<string, string> = {
    RoleArn: options.roleArn,
    RoleSessionName: options.sessionName ?? DEFAULT_ROLE_SESSION_NAME,
    DurationSeconds: String(options.durationSeconds ?? DEFAULT_STS_DURATION_SECONDS),
  };
  if (options.externalId !== undefined) params.ExternalId = options.externalId;
  const signed = signAcs3({
    method: 'POST',
    host: base.host,
    path: '/',
    action: 'AssumeRole',
    version: STS_VERSION,
    query: params,
    date: (options.now ?? (() => new Date()))(),
    nonce: (options.nonce ?? defaultNonce)(),
    credentials: options.credentials,
  });
  // Sent in exactly the encoding that was signed.
  const url = new URL('/', base);
  url.search = `?${signed.canonicalQuery}`;
  const req: HttpRequest = { method: 'POST', url, headers: { ...signed.headers, accept: 'application/json' } };
  return exchange('AssumeRole', options.transport, req, signal);
}

/**
 * STS `AssumeRoleWithOIDC` (anonymous: the OIDC token is the proof).
 * @throws JobError CREDENTIALS_UNAVAILABLE (transient) | PROVIDER_AUTH_FAILED (STS refused)
 */
export async function assumeRoleWithOidc(
  options: AssumeRoleWithOidcOptions,
  signal?: AbortSignal,
): Promise<Expiring<AlibabaCredentials>> {
  const url = new URL('/', endpointUrl(options.endpoint));
  url.search = `?${new URLSearchParams({
    Action: 'AssumeRoleWithOIDC',
    Version: STS_VERSION,
    Format: 'JSON',
    Timestamp: formatAcsDate((options.now ?? (() => new Date()))()),
  }).toString()}`;
  const body = new URLSearchParams({
    RoleArn: options.roleArn,
    OIDCProviderArn: options.oidcProviderArn,
    OIDCToken: options.oidcToken,
    RoleSessionName: options.sessionName ?? DEFAULT_ROLE_SESSION_NAME,
    DurationSeconds: String(options.durationSeconds ?? DEFAULT_STS_DURATION_SECONDS),
  }).toString();
  const req: HttpRequest = {
    method: 'POST',
    url,
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body,
  };
  return exchange('AssumeRoleWithOIDC', options.transport, req, signal);
}

function endpointUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    // A configuration fault; the endpoint itself is no secret but may be long, so it stays out.
    throw new JobError(
      'PROVIDER_AUTH_FAILED',
      'STS endpoint is not a valid URL',
      { provider: STS_PROVIDER },
      { cause: err },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new JobError('PROVIDER_AUTH_FAILED', 'STS endpoint must be an http(s) URL', { provider: STS_PROVIDER });
  }
  return url;
}

async function exchange(
  action: StsAction,
  transport: Pick<HttpTransport, 'send'>,
  req: HttpRequest,
  signal: AbortSignal | undefined,
): Promise<Expiring<AlibabaCredentials>> {
  let res: HttpResponse;
  try {
    res = await transport.send(STS_PROVIDER, req, signal);
  } catch (err) {
    // The transport's PROVIDER_TIMEOUT / PROVIDER_UNAVAILABLE / PROVIDER_BAD_RESPONSE messages name
    // only the provider and a socket error code, so they can be kept.
    const reason = isJobError(err) ? err.message : `${STS_PROVIDER} call failed`;
    throw new JobError(
      'CREDENTIALS_UNAVAILABLE',
      `${STS_PROVIDER} ${action} failed: ${reason}`,
      { provider: STS_PROVIDER },
      { cause: err },
    );
  }
  if (res.status < 200 || res.status >= 300) throw toStsError(action, res);
  return parseStsCredentials(action, res);
}

/**
 * Codes that go away by themselves: throttling, STS-side faults, and a nonce collision (the next
 * attempt signs with a fresh one). Everything else STS answers with a code is a refusal that
 * repeats until an operator changes keys, roles or trust policies.
 */
const TRANSIENT_CODES =
  /^(Throttling|ServiceUnavailable|InternalError|SystemBusy|ServiceTimeout|SignatureNonceUsed)(\.|$)/;

/** Maps a non-2xx STS answer; only the code, request id and status leave, never STS's Message. */
export function toStsError(action: StsAction, res: HttpResponse): JobError {
  const envelope = parseAlibabaErrorBody(res.body);
  const providerCode = safeIdentifier(envelope.code);
  const requestId = safeIdentifier(res.headers['x-acs-request-id'] ?? envelope.requestId);
  const retryAfter = retryAfterMs(res.headers);
  const details = {
    provider: STS_PROVIDER,
    httpStatus: res.status,
    ...(providerCode !== null ? { providerCode } : {}),
    ...(requestId !== null ? { requestId } : {}),
  };
  const codePart = providerCode !== null ? ` (${providerCode})` : '';
  const transient =
    res.status >= 500 ||
    res.status === 429 ||
    retryAfter !== null ||
    providerCode === null || // an HTML page from a proxy, a truncated body: not STS's verdict
    TRANSIENT_CODES.test(providerCode);
  if (transient) {
    return new JobError(
      'CREDENTIALS_UNAVAILABLE',
      `${STS_PROVIDER} ${action} is unavailable: HTTP ${res.status}${codePart}`,
      {
        ...details,
        ...(retryAfter !== null ? { retryAfterMs: retryAfter } : {}),
      },
    );
  }
  return new JobError(
    'PROVIDER_AUTH_FAILED',
    `${STS_PROVIDER} ${action} was refused: HTTP ${res.status}${codePart}`,
    details,
  );
}

/** `2015-04-09T11:52:19Z` as the API pages show it (fractions and offsets tolerated). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads the documented success body; any missing or mistyped field makes it a bad answer. */
function parseStsCredentials(action: StsAction, res: HttpResponse): Expiring<AlibabaCredentials> {
  const body = asObject(tryParseJson(res.body));
  const requestId = safeIdentifier(alibabaRequestId(res.headers, res.body));
  const bad = (): JobError =>
    new JobError(
      'CREDENTIALS_UNAVAILABLE',
      `${STS_PROVIDER} ${action} sent an unexpected response: HTTP ${res.status}`,
      {
        provider: STS_PROVIDER,
        httpStatus: res.status,
        ...(requestId !== null ? { requestId } : {}),
      },
    );
  if (!body || !nonEmpty(body.RequestId)) throw bad();
  const user = asObject(body.AssumedRoleUser);
  if (!user || !nonEmpty(user.Arn) || !nonEmpty(user.AssumedRoleId)) throw bad();
  const creds = asObject(body.Credentials);
  if (!creds) throw bad();
  const accessKeyId = asString(creds.AccessKeyId);
  const accessKeySecret = asString(creds.AccessKeySecret);
  const securityToken = asString(creds.SecurityToken);
  const expiration = asString(creds.Expiration);
  if (!accessKeyId || !accessKeySecret || !securityToken || !expiration || !ISO_TIME.test(expiration)) throw bad();
  const expiresAt = Date.parse(expiration);
  if (Number.isNaN(expiresAt)) throw bad();
  return { value: { accessKeyId, accessKeySecret, securityToken }, expiresAt };
}

function nonEmpty(value: unknown): boolean {
  const s = asString(value);
  return s !== null && s !== '';
}
