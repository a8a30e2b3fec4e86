/**
 * Alibaba Cloud V3 request signing (`ACS3-HMAC-SHA256`), as a pure function of the request parts,
 * the credentials, the date and the nonce. Rules: docs/providers.md#alibaba-signing-acs3-hmac-sha256 and
 * https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature
 */
import { createHmac } from 'node:crypto';
import { compareBytes, encodeRfc3986, sha256Hex } from '../signing.js';
import type { AlibabaCredentials } from '../types.js';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** Everything that goes into one signed request. `query` values are raw (unencoded). */
export interface Acs3SignInput {
  method: 'GET' | 'POST';
  /** `host[:port]` exactly as the Host header will carry it. */
  host: string;
  /** Always `/` for RPC-style APIs (both of ours). */
  path?: string;
  action: string;
  version: string;
  query: Readonly<Record<string, string>>;
  /** Request body; empty for our calls. */
  body?: string;
  /** Signed when given (the doc signs content-type alongside host and x-acs-*). */
  contentType?: string;
  date: Date;
  nonce: string;
  credentials: AlibabaCredentials;
}

/** The signed headers plus the intermediate values, which the vector tests assert one by one. */
export interface Acs3Signed {
  /** Headers to send, lower-case names, including `host` and `authorization`. */
  headers: Record<string, string>;
  /** Query string to send, in the same encoding that was signed. */
  canonicalQuery: string;
  canonicalRequest: string;
  hashedCanonicalRequest: string;
  signature: string;
  authorization: string;
}

/** `k=v` pairs sorted by encoded name (byte order), joined with `&`; empty values give `k=`. */
export function canonicalQueryString(query: Readonly<Record<string, string>>): string {
  return Object.entries(query)
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** The last x-acs-date formatted, and its second. */
let lastAcsSecond = NaN;
let lastAcsDate = '';

/** `yyyy-MM-ddTHH:mm:ssZ` in UTC (no milliseconds), the only form `x-acs-date` accepts. */
export function formatAcsDate(date: Date): string {
  // Calls in the same second share one string (see formatSdkDate in ../huawei/sign.ts).
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastAcsSecond) {
    lastAcsDate = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastAcsSecond = second;
  }
  return lastAcsDate;
}

/** Signs one request; returns the headers to send (and the intermediates for tests). */
export function signAcs3(input: Acs3SignInput): Acs3Signed {
  const payloadHash = sha256Hex(input.body ?? '');
  const headers: Record<string, string> = {
    host: input.host,
    'x-acs-action': input.action,
    'x-acs-version': input.version,
    'x-acs-date': formatAcsDate(input.date),
    'x-acs-signature-nonce': input.nonce,
    'x-acs-content-sha256': payloadHash,
  };
  if (input.credentials.securityToken) headers['x-acs-security-token'] = input.credentials.securityToken;
  if (input.contentType !== undefined) headers['content-type'] = input.contentType;

  // Every header above is one the rules say to sign (host, content-type, x-acs-*).
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${(headers[n] ?? '').trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalQuery = canonicalQueryString(input.query);
  const canonicalRequest = [
    input.method,
    input.path ?? '/',
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const hashedCanonicalRequest = sha256Hex(canonicalRequest);
  const stringToSign = `${ACS3_ALGORITHM}\n${hashedCanonicalRequest}`;
  const signature = createHmac('sha256', input.credentials.accessKeySecret).update(stringToSign, 'utf8').digest('hex');
  const authorization = `${ACS3_ALGORITHM} Credential=${input.credentials.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
  headers.authorization = authorization;
  return { headers, canonicalQuery, canonicalRequest, hashedCanonicalRequest, signature, authorization };
}
