/**
 * One signed Alibaba RPC call (V3 signature, parameters in the query string), shared by the
 * DataWorks and NLB clients. Exactly one HTTP exchange: retries live in the shared wrapper.
 */
import { randomUUID } from 'node:crypto';
import { resolveEndpoint } from '../endpoints.js';
import type { HttpTransport } from '../http.js';
import type { AlibabaCredentials, ProviderName } from '../types.js';
import { asObject, asString, tryParseJson } from '../wire.js';
import { toAlibabaError } from './errors.js';
import { signAcs3 } from './sign.js';

/** Options every Alibaba client takes (the lead wires these from configuration). */
export interface AlibabaClientOptions {
  transport: HttpTransport;
  credentials: AlibabaCredentials;
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
 * Signs and sends one call.
 * @throws JobError from the transport, or {@link toAlibabaError} for a non-2xx answer.
 */
export async function callAlibabaRpc(
  options: AlibabaClientOptions,
  call: AlibabaRpcCall,
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
    credentials: options.credentials,
  });
  // The query goes out in exactly the encoding that was signed (URL would otherwise leave `*` raw).
  const url = new URL('/', base);
  url.search = signed.canonicalQuery === '' ? '' : `?${signed.canonicalQuery}`;
  const res = await options.transport.send(
    call.provider,
    { method: call.method, url, headers: signed.headers },
    signal,
  );
  if (res.status < 200 || res.status >= 300) throw toAlibabaError(call.provider, res.status, res.headers, res.body);
  return { body: res.body, requestId: alibabaRequestId(res.headers, res.body) };
}
