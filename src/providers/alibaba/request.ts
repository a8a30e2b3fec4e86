/**
 * One signed Alibaba RPC call (V3 signature, parameters in the query string), shared by the
 * DataWorks and NLB clients. Exactly one HTTP exchange: retries live in the shared wrapper.
 */
import { randomUUID } from 'node:crypto';
import { resolveEndpoint } from '../endpoints.js';
import type { HttpTransport } from '../http.js';
import { isCredentialSource, type CredentialSource } from '../../credentials/refreshing.js';
import { isJobError } from '../../errors.js';
import type { AlibabaCredentials, ProviderName } from '../types.js';
import { asObject, asString, tryParseJson } from '../wire.js';
import { toAlibabaError } from './errors.js';
import { signAcs3 } from './sign.js';

/** Options every Alibaba client takes (the lead wires these from configuration). */
export interface AlibabaClientOptions {
  transport: HttpTransport;
  /** The account's credential: fixed, or a source that renews it (src/credentials). */
  credentials: AlibabaCredentials | CredentialSource<AlibabaCredentials>;
  /** Base URL, `{region}` substituted (resolveEndpoint). */
  endpointOverride?: string;
  /** Signing clock. @default () => new Date() */
  now?: () => Date;
  /** `x-acs-signature-nonce` source; must be unique per attempt. @default random 32-hex */
  nonce?: () => string;
}

/** One RPC action call. */
export interface AlibabaRpcCall {
  provider: ProviderName;
  region: string;
  method: 'GET' | 'POST';
  action: string;
  version: string;
  /** Raw (unencoded) API parameters; all go into the query string, as the SDKs send them. */
  query: Readonly<Record<string, string>>;
}

/** A 2xx answer: the raw body (mappers parse it) and the request id. */
export interface AlibabaRpcResult {
  body: string;
  requestId: string | null;
}

/** A fresh nonce per call: a UUID without dashes (reuse is rejected with SignatureNonceUsed). */
export function defaultNonce(): string {
  return randomUUID().replaceAll('-', '');
}

/** The request id: `x-acs-request-id` header, else the body's `RequestId`. */
export function alibabaRequestId(headers: Readonly<Record<string, string>>, body: string): string | null {
  const header = headers['x-acs-request-id'];
  if (header) return header;
  return asString(asObject(tryParseJson(body))?.RequestId) ?? null;
}

/**
 * Signs and sends one call. When the gateway refuses the credential (expired STS token, rotated
 * key), the credential is renewed and the call sent once more with the new one, if it differs.
 * When it says the nonce was already used, the call is signed again with a fresh nonce and sent
 * once more (see {@link sendWithFreshNonce}).
 * @throws JobError from the transport or the credential source, or {@link toAlibabaError} for a
 *   non-2xx answer.
 */
export async function callAlibabaRpc(
  options: AlibabaClientOptions,
  call: AlibabaRpcCall,
  signal?: AbortSignal,
): Promise<AlibabaRpcResult> {
  const source = options.credentials;
  if (!isCredentialSource(source)) return sendWithFreshNonce(options, call, source, signal);
  const credentials = await source.get(signal);
  try {
    return await sendWithFreshNonce(options, call, credentials, signal);
  } catch (err) {
    if (!refusedCredential(err)) throw err;
    source.invalidate(credentials);
    const renewed = await source.get(signal);
    if (sameCredential(renewed, credentials)) throw err;
    return sendWithFreshNonce(options, call, renewed, signal);
  }
}

/**
 * `SignatureNonceUsed` says the gateway saw this nonce within its window: a collision, or a proxy or
 * middleware that replayed the request. The job was not read, and a request signed afresh (new
 * nonce, new signature) is a different request, so it goes out once more; a second refusal is
 * passed on (PROVIDER_AUTH_FAILED: the nonce source or something on the path needs looking at).
 * Known from users of other clients whose retries re-sent the same nonce (docs/providers.md#alibaba-pop-gateway).
 */
async function sendWithFreshNonce(
  options: AlibabaClientOptions,
  call: AlibabaRpcCall,
  credentials: AlibabaCredentials,
  signal?: AbortSignal,
): Promise<AlibabaRpcResult> {
  try {
    return await sendSigned(options, call, credentials, signal);
  } catch (err) {
    if (!isJobError(err) || err.details.providerCode !== 'SignatureNonceUsed') throw err;
    return sendSigned(options, call, credentials, signal);
  }
}

/** Refusals that a different credential can cure (not clock skew, which re-signing repeats). */
function refusedCredential(err: unknown): boolean {
  return (
    isJobError(err) &&
    err.code === 'PROVIDER_AUTH_FAILED' &&
    /^(InvalidSecurityToken|InvalidAccessKeyId|SignatureDoesNotMatch)/.test(err.details.providerCode ?? '')
  );
}

function sameCredential(a: AlibabaCredentials, b: AlibabaCredentials): boolean {
  return (
    a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken
  );
}

async function sendSigned(
  options: AlibabaClientOptions,
  call: AlibabaRpcCall,
  credentials: AlibabaCredentials,
  signal?: AbortSignal,
): Promise<AlibabaRpcResult> {
  const base = resolveEndpoint(call.provider, call.region, options.endpointOverride);
  const signed = signAcs3({
    method: call.method,
    host: base.host,
    path: '/',
    action: call.action,
    version: call.version,
    query: call.query,
    date: (options.now ?? (() => new Date()))(),
    nonce: (options.nonce ?? defaultNonce)(),
    credentials,
  });
  // The query goes out in exactly the encoding that was signed (URL would otherwise leave `*` raw).
  const url = new URL('/', base);
  url.search = signed.canonicalQuery === '' ? '' : `?${signed.canonicalQuery}`;
  // Every official SDK asks for JSON; without it the RPC protocol's default format is XML, which
  // the mappers do not read. Not signed: only host, content-type and x-acs-* are.
  const headers = { ...signed.headers, accept: 'application/json' };
  const res = await options.transport.send(call.provider, { method: call.method, url, headers }, signal);
  if (res.status < 200 || res.status >= 300) throw toAlibabaError(call.provider, res.status, res.headers, res.body);
  return { body: res.body, requestId: alibabaRequestId(res.headers, res.body) };
}
