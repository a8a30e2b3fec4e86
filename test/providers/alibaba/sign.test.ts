import { describe, it, expect } from 'vitest';
import {
  canonicalQueryString,
  formatAcsDate,
  signAcs3,
  type Acs3SignInput,
} from '../../../src/providers/alibaba/sign.js';
import { encodeRfc3986 as acsPercentEncode } from '../../../src/providers/signing.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Official vector V3-1 inputs (docs/providers.md#alibaba-signing-acs3-hmac-sha256, doc "Fixed parameter values"). */
const V3_1: Acs3SignInput = {
  method: 'POST',
  host: 'ecs.cn-shanghai.aliyuncs.com',
  action: 'RunInstances',
  version: '2014-05-26',
  query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
  date: new Date('2023-10-26T10:22:32Z'),
  nonce: '3156853299f313e23d1673dc12e1703d',
  credentials: { accessKeyId: 'YourAccessKeyId', accessKeySecret: 'YourAccessKeySecret' },
};

const TEST_CREDS = { accessKeyId: 'testid', accessKeySecret: 'testsecret' };
const ORACLE_DATE = new Date('2025-01-02T03:04:05Z');
const ORACLE_NONCE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

describe('signAcs3 on official vector V3-1', () => {
  const signed = signAcs3(V3_1);

  it('builds the documented canonical request', () => {
    expect(signed.canonicalRequest).toBe(
      [
        'POST',
        '/',
        'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
        'host:ecs.cn-shanghai.aliyuncs.com',
        'x-acs-action:RunInstances',
        `x-acs-content-sha256:${EMPTY_SHA256}`,
        'x-acs-date:2023-10-26T10:22:32Z',
        'x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d',
        'x-acs-version:2014-05-26',
        '',
        'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
        EMPTY_SHA256,
      ].join('\n'),
    );
  });

  it('hashes the canonical request to 7ea06492…', () => {
    expect(signed.hashedCanonicalRequest).toBe('7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259');
  });

  it('produces signature 06563a9e… and the full Authorization value', () => {
    expect(signed.signature).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
    expect(signed.authorization).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
    expect(signed.headers.authorization).toBe(signed.authorization);
  });

  it('returns every signed header to send', () => {
    expect(signed.headers).toMatchObject({
      host: 'ecs.cn-shanghai.aliyuncs.com',
      'x-acs-action': 'RunInstances',
      'x-acs-version': '2014-05-26',
      'x-acs-date': '2023-10-26T10:22:32Z',
      'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
      'x-acs-content-sha256': EMPTY_SHA256,
    });
  });
});

describe('signAcs3 on other vectors', () => {
  it('produces e521358f… for vector V3-2 (date 09:01:01, nonce d410180a…)', () => {
    const signed = signAcs3({
      ...V3_1,
      date: new Date('2023-10-26T09:01:01Z'),
      nonce: 'd410180a5abf7fe235dd9b74aca91fc0',
    });
    expect(signed.signature).toBe('e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804');
  });

  it('matches the oracle signature 0c91b528… for our DataWorks GET', () => {
    const signed = signAcs3({
      method: 'GET',
      host: 'dataworks.cn-hangzhou.aliyuncs.com',
      action: 'GetJobStatus',
      version: '2024-05-18',
      query: { JobId: '70ecdaec-bf21-4c11-8ecb-4f77453ceea8' },
      date: ORACLE_DATE,
      nonce: ORACLE_NONCE,
      credentials: TEST_CREDS,
    });
    expect(signed.signature).toBe('0c91b5287f8f5f6e8e459c8f10943780c7c9e807faad1dc23efb614860567170');
  });

  it('matches the oracle signature f00eda6c… for our NLB POST, encoding * as %2A', () => {
    const signed = signAcs3({
      method: 'POST',
      host: 'nlb.cn-hangzhou.aliyuncs.com',
      action: 'GetJobStatus',
      version: '2022-04-30',
      query: { JobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****', ClientToken: '123e4567-e89b-12d3-a456-426655440000' },
      date: ORACLE_DATE,
      nonce: ORACLE_NONCE,
      credentials: TEST_CREDS,
    });
    expect(signed.canonicalQuery).toBe(
      'ClientToken=123e4567-e89b-12d3-a456-426655440000&JobId=72dcd26b-f12d-4c27-b3af-18f6aed5%2A%2A%2A%2A',
    );
    expect(signed.signature).toBe('f00eda6cff63b130677b30e6c193e7651531efe75683266c7b90f3cf011fc523');
  });

  it('changes the signature when only the method changes', () => {
    expect(signAcs3({ ...V3_1, method: 'GET' }).signature).not.toBe(signAcs3(V3_1).signature);
  });

  it('signs x-acs-security-token when an STS token is configured', () => {
    const signed = signAcs3({ ...V3_1, credentials: { ...V3_1.credentials, securityToken: 'sts-token' } });
    expect(signed.headers['x-acs-security-token']).toBe('sts-token');
    expect(signed.authorization).toContain(
      'SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,',
    );
    expect(signed.canonicalRequest).toContain('\nx-acs-security-token:sts-token\n');
  });

  it('signs content-type when one is given', () => {
    const signed = signAcs3({ ...V3_1, contentType: 'application/json' });
    expect(signed.canonicalRequest.split('\n')[3]).toBe('content-type:application/json');
  });

  it('hashes a non-empty body into x-acs-content-sha256', () => {
    const signed = signAcs3({ ...V3_1, body: 'abc' });
    expect(signed.headers['x-acs-content-sha256']).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('encoding helpers', () => {
  it("percent-encodes per RFC 3986, including !'()* and space, keeping ~", () => {
    expect(acsPercentEncode("a b*c!d'(e)~f+g/h=i&j")).toBe('a%20b%2Ac%21d%27%28e%29~f%2Bg%2Fh%3Di%26j');
    expect(acsPercentEncode('数据')).toBe('%E6%95%B0%E6%8D%AE');
  });

  it('sorts query names by byte order (upper case before lower) and keeps empty values as k=', () => {
    expect(canonicalQueryString({ b: '2', B: '1', a: '' })).toBe('B=1&a=&b=2');
    expect(canonicalQueryString({})).toBe('');
  });

  it('formats x-acs-date in UTC without milliseconds', () => {
    expect(formatAcsDate(new Date('2025-01-02T03:04:05.678Z'))).toBe('2025-01-02T03:04:05Z');
  });
});
