/**
 * Huawei Cloud API Gateway AK/SK signing, `SDK-HMAC-SHA256` (docs/providers.md#huawei-signing-sdk-hmac-sha256;
 * https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-algorithm-002.html …-005.html).
 * Pure: the same request parts, credentials and date always give the same headers.
 */
import { createHmac } from 'node:crypto';
import { compareBytes, encodeRfc3986, sha256Hex } from '../signing.js';

export const HUAWEI_ALGORITHM = 'SDK-HMAC-SHA256';

/** The parts of a request that the signature covers. */
export interface HuaweiSignableRequest {
  method: string;
  /** Full URL; the host, path and query are signed as they will be sent. */
  url: URL;
  /** Headers to send and sign (e.g. Content-Type, X-Project-Id). Host and X-Sdk-Date are added. */
  headers: Record<string, string>;
  body?: string;
}

/** A permanent AK/SK pair, or a temporary one with its STS security token. */
export interface HuaweiAkSk {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
}

export interface HuaweiSignature {
  /** Everything to send: the input headers plus Host, X-Sdk-Date, X-Security-Token (STS) and Authorization. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  /** Lowercase hex HMAC-SHA256. */
  signature: string;
  authorization: string;
}

/** The last X-Sdk-Date formatted, and its second. */
let lastSdkSecond = NaN;
let lastSdkDate = '';

/** `YYYYMMDDTHHMMSSZ` in UTC, the X-Sdk-Date format. */
export function formatSdkDate(date: Date): string {
  // Calls in the same second share one string: formatting showed up in profiles of busy polling.
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSdkSecond) {
    lastSdkDate = date
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    lastSdkSecond = second;
  }
  return lastSdkDate;
}

function decodeSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a stray '%' is signed as the literal text it is
  }
}

/**
 * Each path segment decoded and re-encoded once (so a pre-encoded `%3A` is not double-encoded),
 * with the trailing '/' the gateway appends before hashing.
 */
export function canonicalUri(pathname: string): string {
  const path = pathname
    .split('/')
    .map((segment) => encodeRfc3986(decodeSafely(segment)))
    .join('/');
  return path.endsWith('/') ? path : `${path}/`;
}

/** Names and values encoded, sorted by name then value (byte order); `name=` for empty values. */
export function canonicalQuery(search: string): string {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (raw === '') return '';
  const pairs = raw
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = eq === -1 ? p : p.slice(0, eq);
      const value = eq === -1 ? '' : p.slice(eq + 1);
      return [encodeRfc3986(decodeSafely(name)), encodeRfc3986(decodeSafely(value))] as const;
    });
  pairs.sort(([an, av], [bn, bv]) => (an === bn ? compareBytes(av, bv) : compareBytes(an, bn)));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

/**
 * Signs a request with AK/SK. Every header passed in is signed (like the official Node SDK), plus
 * `host`, `x-sdk-date` and, for STS credentials, `x-security-token`.
 */
export function signHuaweiRequest(req: HuaweiSignableRequest, cred: HuaweiAkSk, date: Date): HuaweiSignature {
  const sdkDate = formatSdkDate(date);
  const headers: Record<string, string> = { ...req.headers, Host: req.url.host, 'X-Sdk-Date': sdkDate };
  if (cred.securityToken) headers['X-Security-Token'] = cred.securityToken;

  // Lowercase names, trimmed values; a later duplicate (different case) wins, as on the wire.
  const canonical = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) canonical.set(name.toLowerCase(), value.trim());
  const names = [...canonical.keys()].sort(compareBytes);
  const canonicalHeaders = names.map((n) => `${n}:${canonical.get(n) ?? ''}\n`).join('');
  const signedHeaders = names.join(';');

  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(req.url.pathname),
    canonicalQuery(req.url.search),
    canonicalHeaders,
    signedHeaders,
    sha256Hex(req.body ?? ''),
  ].join('\n');
  const stringToSign = `${HUAWEI_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', cred.sk).update(stringToSign, 'utf8').digest('hex');
  const authorization = `${HUAWEI_ALGORITHM} Access=${cred.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return {
    headers: { ...headers, Authorization: authorization },
    canonicalRequest,
    stringToSign,
    signedHeaders,
    signature,
    authorization,
  };
}
