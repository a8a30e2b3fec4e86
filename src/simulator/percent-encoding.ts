/**
 * RFC 3986 percent-encoding for the fakes' own signature checks, done byte by byte over UTF-8
 * (deliberately not via encodeURIComponent, and shared by no client signer).
 */
const UNRESERVED = /[A-Za-z0-9\-_.~]/;

export function rfc3986(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
