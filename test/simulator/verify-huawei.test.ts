import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { signHuaweiRequest } from '../../src/providers/huawei/sign.js';
import {
  parseSdkDate,
  rebuildCanonicalRequest,
  verifyHuaweiRequest,
  type ReceivedRequest,
} from '../../src/simulator/verify-huawei.js';

const AK = 'QTWAOYTTINDUT2QVKYUC';
const SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';
const NOW = Date.UTC(2019, 10, 15, 3, 36, 55);
const secretFor = (ak: string) => (ak === AK ? SK : undefined);

/** The official H-1 request as the gateway would receive it. */
const H1: ReceivedRequest = {
  method: 'GET',
  path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
  rawQuery: 'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
  headers: {
    'content-type': 'application/json',
    host: 'service.region.example.com',
    'x-sdk-date': '20191115T033655Z',
    authorization:
      'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
  },
  body: '',
};

const withHeaders = (h: Record<string, string>): ReceivedRequest => ({ ...H1, headers: { ...H1.headers, ...h } });

describe('verifyHuaweiRequest', () => {
  it('accepts the official H-1 request', () => {
    expect(verifyHuaweiRequest(H1, secretFor, NOW)).toEqual({
      ok: true,
      ak: AK,
      signedHeaders: ['content-type', 'host', 'x-sdk-date'],
    });
  });

  it('rebuilds the documented H-1 canonical request from the received parts', () => {
    const canonical = rebuildCanonicalRequest(H1, ['content-type', 'host', 'x-sdk-date']);
    expect(createHash('sha256').update(canonical).digest('hex')).toBe(
      'b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
    );
  });

  it.each([
    ['a changed query value', { ...H1, rawQuery: 'limit=3&marker=13551d6b-755d-4757-b956-536f674975c0' }],
    ['a changed path', { ...H1, path: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/subnets' }],
    ['a changed method', { ...H1, method: 'POST' }],
    ['a changed signed header', withHeaders({ host: 'evil.example.com' })],
    ['a body added', { ...H1, body: '{}' }],
    ['a flipped signature digit', withHeaders({ authorization: H1.headers.authorization!.replace(/e$/, 'f') })],
    [
      'an uppercase-hex signature',
      withHeaders({
        authorization: H1.headers.authorization!.replace(
          /Signature=(\w+)$/,
          (_m, s: string) => `Signature=${s.toUpperCase()}`,
        ),
      }),
    ],
  ])('rejects the H-1 request with %s', (_label, req) => {
    expect(verifyHuaweiRequest(req as ReceivedRequest, secretFor, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('ignores headers the client did not declare as signed', () => {
    expect(verifyHuaweiRequest(withHeaders({ 'user-agent': 'x', 'x-extra': 'y' }), secretFor, NOW).ok).toBe(true);
  });

  it('checks the SignedHeaders list the client declared (Go-SDK style without content-type)', () => {
    const url = new URL('http://127.0.0.1:9/v1.0/p/jobs/j/status');
    const signed = signHuaweiRequest({ method: 'GET', url, headers: {} }, { ak: AK, sk: SK }, new Date(NOW));
    const req: ReceivedRequest = {
      method: 'GET',
      path: url.pathname,
      rawQuery: '',
      headers: {
        host: '127.0.0.1:9',
        'content-type': 'application/json',
        'x-sdk-date': signed.headers['X-Sdk-Date'],
        authorization: signed.authorization,
      },
      body: '',
    };
    expect(verifyHuaweiRequest(req, secretFor, NOW)).toMatchObject({ ok: true, signedHeaders: ['host', 'x-sdk-date'] });
  });

  it('accepts a clock 14 minutes off and rejects one 16 minutes off as expired', () => {
    expect(verifyHuaweiRequest(H1, secretFor, NOW + 14 * 60_000).ok).toBe(true);
    expect(verifyHuaweiRequest(H1, secretFor, NOW - 16 * 60_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects an unknown access key', () => {
    expect(verifyHuaweiRequest(H1, () => undefined, NOW)).toEqual({ ok: false, reason: 'unknown-ak' });
  });

  it.each([
    ['no Authorization', { authorization: undefined }, 'missing'],
    [
      'an Alibaba-style comma-only header',
      { authorization: 'SDK-HMAC-SHA256 Access=A,SignedHeaders=host;x-sdk-date,Signature=00' },
      'malformed',
    ],
    [
      'an unsigned x-sdk-date',
      { authorization: H1.headers.authorization!.replace('content-type;host;x-sdk-date', 'content-type;host') },
      'malformed',
    ],
    ['a non-compact X-Sdk-Date', { 'x-sdk-date': '2019-11-15T03:36:55Z' }, 'malformed'],
  ])('rejects %s', (_label, headers, reason) => {
    const req = { ...H1, headers: { ...H1.headers, ...headers } } as ReceivedRequest;
    expect(verifyHuaweiRequest(req, secretFor, NOW)).toEqual({ ok: false, reason });
  });

  it('parses only the compact X-Sdk-Date format', () => {
    expect(parseSdkDate('20191115T033655Z')).toBe(NOW);
    expect(parseSdkDate('20191115T033655')).toBeNaN();
  });

  it('decodes and re-encodes path segments once, matching a client that encoded them', () => {
    const canonical = rebuildCanonicalRequest({ ...H1, path: '/v1/p/jobs/urn%3Ajob%20x', rawQuery: 'b=1&a=%7E' }, [
      'host',
    ]);
    expect(canonical.split('\n').slice(0, 3)).toEqual(['GET', '/v1/p/jobs/urn%3Ajob%20x/', 'a=~&b=1']);
  });
});
