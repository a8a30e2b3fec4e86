import { describe, it, expect } from 'vitest';
import {
  canonicalQueryFromRaw,
  parseAcs3Authorization,
  verifyAcs3,
  type ReceivedRequest,
} from '../../src/simulator/verify-acs3.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SIGNED = 'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version';

/** Official vector V3-1 as it would arrive on the wire, written out by hand (not via the client signer). */
function v31(
  overrides: Partial<ReceivedRequest> = {},
  headerOverrides: Record<string, string | undefined> = {},
): ReceivedRequest {
  return {
    method: 'POST',
    path: '/',
    rawQuery: 'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
    body: '',
    headers: {
      host: 'ecs.cn-shanghai.aliyuncs.com',
      'x-acs-action': 'RunInstances',
      'x-acs-version': '2014-05-26',
      'x-acs-date': '2023-10-26T10:22:32Z',
      'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
      'x-acs-content-sha256': EMPTY_SHA256,
      authorization: `ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=${SIGNED},Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0`,
      'user-agent': 'not-signed/1.0',
      ...headerOverrides,
    },
    ...overrides,
  };
}

const SECRET = 'YourAccessKeySecret';

describe('verifyAcs3', () => {
  it('accepts the official V3-1 request', () => {
    expect(verifyAcs3(v31(), SECRET)).toBe(true);
  });

  it('accepts the V3-2 request (date 09:01:01, nonce d410180a…, signature e521358f…)', () => {
    const req = v31(
      {},
      {
        'x-acs-date': '2023-10-26T09:01:01Z',
        'x-acs-signature-nonce': 'd410180a5abf7fe235dd9b74aca91fc0',
        authorization: `ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=${SIGNED},Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804`,
      },
    );
    expect(verifyAcs3(req, SECRET)).toBe(true);
  });

  it('accepts the same parameters sent in another order or with unreserved characters percent-encoded', () => {
    expect(
      verifyAcs3(
        v31({ rawQuery: 'RegionId=cn-shanghai&ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd' }),
        SECRET,
      ),
    ).toBe(true);
    expect(
      verifyAcs3(
        v31({ rawQuery: 'ImageId=win2019_1809_x64_dtc_zh%2Dcn_40G_alibase_20230811.vhd&RegionId=cn-shanghai' }),
        SECRET,
      ),
    ).toBe(true);
  });

  it.each([
    [
      'the signature',
      {},
      {
        authorization: `ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=${SIGNED},Signature=16563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0`,
      },
    ],
    [
      'a query value',
      { rawQuery: 'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghaj' },
      {},
    ],
    ['the method', { method: 'POSt' }, {}],
    ['the path', { path: '/a' }, {}],
    ['the date header', {}, { 'x-acs-date': '2023-10-26T10:22:33Z' }],
    ['the nonce header', {}, { 'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703e' }],
    ['the action header', {}, { 'x-acs-action': 'RunInstancez' }],
    ['the host header', {}, { host: 'ecs.cn-shanghai.aliyuncs.con' }],
  ])('rejects a one-character change in %s', (_label, overrides, headers) => {
    expect(verifyAcs3(v31(overrides as Partial<ReceivedRequest>, headers), SECRET)).toBe(false);
  });

  it('rejects a one-character change in the secret', () => {
    expect(verifyAcs3(v31(), 'YourAccessKeySecreT')).toBe(false);
  });

  it('rejects a body that does not match x-acs-content-sha256', () => {
    expect(verifyAcs3(v31({ body: 'x' }), SECRET)).toBe(false);
  });

  it('rejects an x-acs-* header that was sent but not signed', () => {
    expect(verifyAcs3(v31({}, { 'x-acs-security-token': 'smuggled' }), SECRET)).toBe(false);
  });

  it('rejects a request that leaves a required header out of SignedHeaders', () => {
    const auth =
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-date,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0';
    expect(verifyAcs3(v31({}, { authorization: auth }), SECRET)).toBe(false);
  });

  it('rejects SignedHeaders that are not sorted', () => {
    const auth = `ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=x-acs-action;host;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0`;
    expect(verifyAcs3(v31({}, { authorization: auth }), SECRET)).toBe(false);
  });

  it('rejects a missing Authorization header', () => {
    expect(verifyAcs3(v31({}, { authorization: undefined }), SECRET)).toBe(false);
  });
});

describe('parseAcs3Authorization', () => {
  it('reads access key, signed header names and signature', () => {
    expect(parseAcs3Authorization(v31().headers.authorization as string)).toEqual({
      accessKeyId: 'YourAccessKeyId',
      signedHeaders: SIGNED.split(';'),
      signature: '06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    });
  });

  it.each([
    'ACS3-HMAC-SHA256 Credential=a, SignedHeaders=host,Signature=' + 'a'.repeat(64),
    'HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=' + 'a'.repeat(64),
    'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=xyz',
    '',
  ])('returns null for malformed value %j', (value) => {
    expect(parseAcs3Authorization(value)).toBeNull();
  });
});

describe('canonicalQueryFromRaw', () => {
  it('re-encodes what arrived in RFC 3986 form and sorts it', () => {
    expect(canonicalQueryFromRaw('b=x*y&a=1%202&c')).toBe('a=1%202&b=x%2Ay&c=');
  });
});
