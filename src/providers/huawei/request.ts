/**
 * The one request shape all three Huawei APIs use: a GET on `/{version}/{project_id}/…` with
 * `Content-Type: application/json`, signed with AK/SK (plus `X-Project-Id`, which the SDK sends for
 * project-scoped credentials and some services require,
 * docs/providers.md#huawei-signing-sdk-hmac-sha256) or carrying an IAM token in `X-Auth-Token`
 * (then unsigned).
 */
import { isCredentialSource, type CredentialSource } from '../../credentials/refreshing.js';
import { isJobError, JobError } from '../../errors.js';
import { resolveEndpoint } from '../endpoints.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../http.js';
import type { HuaweiAuth, JobKey, ProviderName } from '../types.js';
import { tryParseJson } from '../wire.js';
import { toHuaweiError } from './errors.js';
import { encodeRfc3986 } from '../signing.js';
import { signHuaweiRequest } from './sign.js';

/** Options every Huawei client takes. */
export interface HuaweiClientOptions {
  transport: HttpTransport;
  /** The account's credential: fixed, or a source that renews it (src/credentials). */
  auth: HuaweiAuth | CredentialSource<HuaweiAuth>;
  /** Base URL; `{region}` is substituted (see resolveEndpoint). */
  endpointOverride?: string | undefined;
  /** Signing clock. @default () => new Date() */
  now?: (() => Date) | undefined;
}

/** The project id of a Huawei job key. @throws JobError BAD_USER_INPUT when it is missing. */
export function requireProjectId(key: JobKey): string {
  if (!key.projectId) {
    throw new JobError('BAD_USER_INPUT', `${key.provider} jobs need a projectId`, { provider: key.provider });
  }
  return key.projectId;
}

export interface HuaweiGetParts {
  provider: ProviderName;
  region: string;
  projectId: string;
  /** Raw path segments after the base URL, e.g. ['v3', projectId, 'jobs', jobId]; each is encoded once. */
  segments: readonly string[];
}

/** Builds the signed (or token-carrying) GET for one call with `auth`. Pure given `options.now`. */
export function buildHuaweiGet(
  options: Pick<HuaweiClientOptions, 'endpointOverride' | 'now'>,
  parts: HuaweiGetParts,
  auth: HuaweiAuth,
): HttpRequest {
  // resolveEndpoint hands out a fresh URL each time, so it can be completed in place.
  const url = resolveEndpoint(parts.provider, parts.region, options.endpointOverride);
  url.pathname = url.pathname + parts.segments.map(encodeRfc3986).join('/');
  if (auth.kind === 'token') {
    return { method: 'GET', url, headers: { 'Content-Type': 'application/json', 'X-Auth-Token': auth.token } };
  }
  const date = (options.now ?? (() => new Date()))();
  const signed = signHuaweiRequest(
    { method: 'GET', url, headers: { 'Content-Type': 'application/json', 'X-Project-Id': parts.projectId } },
    auth,
    date,
  );
  return { method: 'GET', url, headers: signed.headers };
}

export interface HuaweiCallResult {
  /** The parsed JSON body, undefined when it is not JSON. */
  json: unknown;
  /** `X-Request-Id` of the response, if any. */
  requestId: string | null;
  response: HttpResponse;
}

/**
 * Sends one GET and turns any non-2xx answer into a JobError via toHuaweiError. A 2xx body is
 * returned parsed; deciding whether it is a success is the caller's job. When the gateway refuses
 * the credential (an expired token or temporary key, a rotated file), it is renewed and the GET
 * sent once more with the new one, if it differs.
 */
export async function callHuaweiGet(
  options: HuaweiClientOptions,
  parts: HuaweiGetParts,
  signal?: AbortSignal,
): Promise<HuaweiCallResult> {
  const source = options.auth;
  if (!isCredentialSource(source)) return sendGet(options, parts, source, signal);
  const auth = await source.get(signal);
  try {
    return await sendGet(options, parts, auth, signal);
  } catch (err) {
    if (!refusedCredential(err)) throw err;
    source.invalidate(auth);
    const renewed = await source.get(signal);
    if (sameAuth(renewed, auth)) throw err;
    return sendGet(options, parts, renewed, signal);
  }
}

/** APIGW.0301 is the gateway's "IAM authentication information" refusal: token or key expired or unknown. */
function refusedCredential(err: unknown): boolean {
  return isJobError(err) && err.code === 'PROVIDER_AUTH_FAILED' && err.details.providerCode === 'APIGW.0301';
}

function sameAuth(a: HuaweiAuth, b: HuaweiAuth): boolean {
  if (a.kind === 'token') return b.kind === 'token' && a.token === b.token;
  return b.kind === 'aksk' && a.ak === b.ak && a.sk === b.sk && a.securityToken === b.securityToken;
}

async function sendGet(
  options: HuaweiClientOptions,
  parts: HuaweiGetParts,
  auth: HuaweiAuth,
  signal?: AbortSignal,
): Promise<HuaweiCallResult> {
  const req = buildHuaweiGet(options, parts, auth);
  const response = await options.transport.send(parts.provider, req, signal);
  if (response.status < 200 || response.status >= 300) {
    throw toHuaweiError(parts.provider, response.status, response.headers, response.body);
  }
  return { json: tryParseJson(response.body), requestId: response.headers['x-request-id'] ?? null, response };
}
