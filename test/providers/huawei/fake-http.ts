/**
 * Raw HTTP against a Huawei fake, for tests of the fakes themselves: a signed (or deliberately
 * broken) GET without going through a provider client.
 */
import { signHuaweiRequest } from '../../../src/providers/huawei/sign.js';

export interface RawReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface RawGetOptions {
  method?: 'GET' | 'POST';
  /** Signing identity; omit `sign` to send no Authorization at all. */
  sign?: { ak: string; sk: string; date: Date };
  headers?: Record<string, string>;
}

/** Sends one request to `base + path`; signs it (with X-Project-Id = `projectId`) when asked. */
export async function rawGet(
  base: string,
  path: string,
  projectId: string,
  options: RawGetOptions = {},
): Promise<RawReply> {
  const url = new URL(path, base);
  const method = options.method ?? 'GET';
  let headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  if (options.sign) {
    const signed = signHuaweiRequest(
      { method, url, headers: { 'X-Project-Id': projectId, ...headers } },
      options.sign,
      options.sign.date,
    );
    headers = signed.headers;
  }
  delete headers.Host; // fetch sets Host itself (same value)
  const res = await fetch(url, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> };
}
