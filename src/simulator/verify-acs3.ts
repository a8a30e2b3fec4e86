/**
 * The simulator's own check of Alibaba V3 (`ACS3-HMAC-SHA256`) signatures, written separately
 * from the client signer on purpose: it rebuilds the canonical request from what actually arrived
 * on the wire (raw query, received headers, received body), so a signer bug shows up as a
 * rejected request instead of being mirrored.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ReceivedRequest } from './fake-server.js';
import { rfc3986 } from './percent-encoding.js';

export type { ReceivedRequest } from './fake-server.js';

export interface ParsedAcs3Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`; null when malformed. */
export function parseAcs3Authorization(value: string | undefined): ParsedAcs3Authorization | null {
  if (!value) return null;
  const m = /^ACS3-HMAC-SHA256 Credential=([^,\s]+),SignedHeaders=([a-z0-9;-]+),Signature=([0-9a-f]{64})$/.exec(
    value.trim(),
  );
  if (!m) return null;
  const [, accessKeyId, signed, signature] = m as unknown as [string, string, string, string];
  return { accessKeyId, signedHeaders: signed.split(';'), signature };
}

/** Decodes `%XX` sequences only; `+` stays a literal plus (RFC 3986, not form encoding). */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Canonical query from the raw query as received: decode, re-encode, sort by name then value. */
export function canonicalQueryFromRaw(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs: Array<[string, string]> = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = eq === -1 ? p : p.slice(0, eq);
      const value = eq === -1 ? '' : p.slice(eq + 1);
      return [rfc3986(percentDecode(name)), rfc3986(percentDecode(value))];
    });
  pairs.sort((a, b) => Buffer.compare(Buffer.from(`${a[0]}\u0000${a[1]}`), Buffer.from(`${b[0]}\u0000${b[1]}`)));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return (Array.isArray(v) ? v.join(',') : v).trim();
}

/**
 * The signature the sender should have produced for `req` with `secret`, over the header names the
 * sender declared. Null when a declared header is absent from the request.
 */
export function expectedAcs3Signature(
  req: ReceivedRequest,
  signedHeaders: readonly string[],
  secret: string,
): string | null {
  let headerBlock = '';
  for (const name of signedHeaders) {
    const value = headerValue(req.headers, name);
    if (value === null) return null;
    headerBlock += `${name}:${value}\n`;
  }
  const payloadHash = createHash('sha256').update(Buffer.from(req.body, 'utf8')).digest('hex');
  const canonical =
    `${req.method}\n${req.path || '/'}\n${canonicalQueryFromRaw(req.rawQuery)}\n` +
    `${headerBlock}\n${signedHeaders.join(';')}\n${payloadHash}`;
  const digest = createHash('sha256').update(canonical, 'utf8').digest('hex');
  return createHmac('sha256', secret).update(`ACS3-HMAC-SHA256\n${digest}`, 'utf8').digest('hex');
}

/** Header names that must be signed: host, every `x-acs-*` that was sent, and the fixed five. */
export function missingSignedHeaders(req: ReceivedRequest, signedHeaders: readonly string[]): string[] {
  const declared = new Set(signedHeaders);
  const required = new Set([
    'host',
    'x-acs-action',
    'x-acs-version',
    'x-acs-date',
    'x-acs-signature-nonce',
    'x-acs-content-sha256',
  ]);
  for (const name of Object.keys(req.headers)) if (name.startsWith('x-acs-')) required.add(name);
  return [...required].filter((n) => !declared.has(n) || headerValue(req.headers, n) === null);
}

/** True when the declared payload hash equals the hash of the body that arrived. */
export function payloadHashMatches(req: ReceivedRequest): boolean {
  const declared = headerValue(req.headers, 'x-acs-content-sha256');
  return declared === createHash('sha256').update(Buffer.from(req.body, 'utf8')).digest('hex');
}

/**
 * Verifies a request's Authorization against `secret`: well-formed, names sorted, every required
 * header signed, body hash honest and the signature equal (compared in constant time).
 */
export function verifyAcs3(req: ReceivedRequest, secret: string): boolean {
  const auth = parseAcs3Authorization(headerValue(req.headers, 'authorization') ?? undefined);
  if (!auth) return false;
  const sorted = [...auth.signedHeaders].sort();
  if (sorted.join(';') !== auth.signedHeaders.join(';')) return false;
  if (missingSignedHeaders(req, auth.signedHeaders).length > 0 || !payloadHashMatches(req)) return false;
  const expected = expectedAcs3Signature(req, auth.signedHeaders, secret);
  if (expected === null) return false;
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(auth.signature, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
