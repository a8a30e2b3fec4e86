/** Primitives both vendors' request signers use: RFC 3986 encoding, byte-order sorting, SHA-256. */
import { createHash } from 'node:crypto';

/**
 * RFC 3986 percent-encoding: only `A-Za-z0-9-_.~` stay literal. `encodeURIComponent` leaves
 * `!'()*` alone, which both gateways reject (NLB's documented job ids end in `****`).
 */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Byte order for ASCII canonical strings (uppercase before lowercase), unlike localeCompare. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const EMPTY_SHA256 = createHash('sha256').update('', 'utf8').digest('hex');

/** Lowercase hex SHA-256 of UTF-8 text. */
export function sha256Hex(text: string): string {
  // Most signed requests have no body: its hash is a constant, not worth a hash object per call.
  if (text === '') return EMPTY_SHA256;
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
