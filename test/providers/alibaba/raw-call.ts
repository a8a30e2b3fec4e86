/**
 * Sends hand-shaped signed requests to an Alibaba fake, for tests of the fake's gateway checks
 * (wrong action, reused nonce, missing headers …) that a correct client never produces.
 */
import type { HttpTransport } from '../../../src/providers/http.js';
import { signAcs3 } from '../../../src/providers/alibaba/sign.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import { SIMULATOR_ALIBABA } from '../../../src/simulator/credentials.js';

export interface RawCall {
  method: 'GET' | 'POST';
  action: string;
  version: string;
  query?: Record<string, string>;
  path?: string;
  body?: string;
  date: Date;
  nonce?: string;
  accessKeyId?: string;
  secret?: string;
  /** Edit the signed headers before sending (drop one, break one). */
  mutate?: (headers: Record<string, string>) => void;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, unknown>;
}

let counter = 0;

export async function rawCall(fake: FakeProviderServer, transport: HttpTransport, call: RawCall): Promise<RawAnswer> {
  const url = new URL(call.path ?? '/', fake.url);
  const signed = signAcs3({
    method: call.method,
    host: url.host,
    path: call.path ?? '/',
    action: call.action,
    version: call.version,
    query: call.query ?? {},
    body: call.body ?? '',
    date: call.date,
    nonce: call.nonce ?? `nonce${Date.now()}${counter++}`,
    credentials: {
      accessKeyId: call.accessKeyId ?? SIMULATOR_ALIBABA.accessKeyId,
      accessKeySecret: call.secret ?? SIMULATOR_ALIBABA.accessKeySecret,
    },
  });
  url.search = signed.canonicalQuery ? `?${signed.canonicalQuery}` : '';
  call.mutate?.(signed.headers);
  const res = await transport.send('TEST', {
    method: call.method,
    url,
    headers: signed.headers,
    ...(call.body ? { body: call.body } : {}),
  });
  return { status: res.status, headers: res.headers, json: JSON.parse(res.body) as Record<string, unknown> };
}
