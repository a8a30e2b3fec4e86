/**
 * The simulator's own check of Huawei `SDK-HMAC-SHA256` signatures, written independently of the
 * client signer (src/providers/huawei/sign.ts) so that a bug there fails here instead of being
 * agreed with. It rebuilds the canonical request from what actually arrived on the socket, using
 * the SignedHeaders list the client declared, as the API Gateway does.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ReceivedRequest } from './fake-server.js';
import { rfc3986 } from './percent-encoding.js';

export type { ReceivedRequest } from './fake-server.js';

export type HuaweiVerifyFailure =
  | 'missing' // no Authorization header
  | 'malformed' // not `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`, or no usable X-Sdk-Date
  | 'expired' // X-Sdk-Date more than the allowed skew from the server clock
  | 'unknown-ak'
  | 'bad-signature';

export type HuaweiVerifyResult =
  { ok: true; ak: string; signedHeaders: string[] } | { ok: false; reason: HuaweiVerifyFailure };

/** Percent-decoding to bytes; malformed escapes are kept literally. */
function unpct(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `20191115T033655Z` → epoch ms; NaN when not that exact shape. */
export function parseSdkDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The gateway's canonical request for what was received, signing exactly `signed` headers. */
export function rebuildCanonicalRequest(req: ReceivedRequest, signed: readonly string[]): string {
  const segments = req.path.split('/').map((s) => rfc3986(unpct(s)));
  let uri = segments.join('/');
  if (!uri.endsWith('/')) uri += '/';

  const params: Array<[string, string]> = [];
  for (const part of req.rawQuery.split('&')) {
    if (!part) continue;
    const at = part.indexOf('=');
    params.push(
      at < 0 ? [rfc3986(unpct(part)), ''] : [rfc3986(unpct(part.slice(0, at))), rfc3986(unpct(part.slice(at + 1)))],
    );
  }
  params.sort((a, b) => Buffer.compare(Buffer.from(`${a[0]}\u0000${a[1]}`), Buffer.from(`${b[0]}\u0000${b[1]}`)));
  const query = params.map(([k, v]) => k + '=' + v).join('&');

  let headerBlock = '';
  for (const name of signed) headerBlock += `${name}:${(headerValue(req.headers, name) ?? '').trim()}\n`;

  const declaredHash = headerValue(req.headers, 'x-sdk-content-sha256');
  const bodyHash =
    declaredHash === 'UNSIGNED-PAYLOAD' ? declaredHash : createHash('sha256').update(req.body).digest('hex');
  return `${req.method.toUpperCase()}\n${uri}\n${query}\n${headerBlock}\n${signed.join(';')}\n${bodyHash}`;
}

/**
 * Verifies a received request. `secretFor` returns the SK of a known AK. `maxSkewMs` defaults to
 * the gateway's 15 minutes. Signatures are compared in constant time, as lowercase hex.
 */
export function verifyHuaweiRequest(
  req: ReceivedRequest,
  secretFor: (ak: string) => string | undefined,
  nowMs: number,
  maxSkewMs = 15 * 60 * 1000,
): HuaweiVerifyResult {
  const auth = headerValue(req.headers, 'authorization');
  if (!auth) return { ok: false, reason: 'missing' };
  const m = /^SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([^,\s]+), Signature=([^,\s]+)$/.exec(auth.trim());
  if (!m) return { ok: false, reason: 'malformed' };
  const [, ak, signedList, given] = m as unknown as [string, string, string, string];
  const signed = signedList.split(';');
  // The date must be signed (or the window means nothing) and so must the host.
  if (!signed.includes('host') || !signed.includes('x-sdk-date') || signed.some((h) => h !== h.toLowerCase())) {
    return { ok: false, reason: 'malformed' };
  }
  const sdkDate = headerValue(req.headers, 'x-sdk-date') ?? '';
  const at = parseSdkDate(sdkDate);
  if (Number.isNaN(at)) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs - at) > maxSkewMs) return { ok: false, reason: 'expired' };
  const sk = secretFor(ak);
  if (sk === undefined) return { ok: false, reason: 'unknown-ak' };

  const canonical = rebuildCanonicalRequest(req, signed);
  const toSign = ['SDK-HMAC-SHA256', sdkDate, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const expected = Buffer.from(createHmac('sha256', sk).update(toSign).digest('hex'), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  const same = actual.length === expected.length && timingSafeEqual(actual, expected);
  return same ? { ok: true, ak, signedHeaders: signed } : { ok: false, reason: 'bad-signature' };
}
