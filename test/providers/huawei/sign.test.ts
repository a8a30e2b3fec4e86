import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { canonicalQuery, canonicalUri, formatSdkDate, signHuaweiRequest } from '../../../src/providers/huawei/sign.js';
import { encodeRfc3986 } from '../../../src/providers/signing.js';

const AK = 'QTWAOYTTINDUT2QVKYUC';
const SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('Huawei SDK-HMAC-SHA256 signer', () => {
  describe('official vector H-1', () => {
    const signed = signHuaweiRequest(
      {
        method: 'GET',
        url: new URL(
          'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
        ),
        headers: { 'Content-Type': 'application/json' },
      },
      { ak: AK, sk: SK },
      new Date('2019-11-15T03:36:55Z'),
    );

    it('builds the documented canonical request', () => {
      expect(signed.canonicalRequest).toBe(
        [
          'GET',
          '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/',
          'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
          'content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n',
          'content-type;host;x-sdk-date',
          EMPTY,
        ].join('\n'),
      );
      expect(sha(signed.canonicalRequest)).toBe('b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a');
    });

    it('produces the documented string to sign, signature and Authorization header', () => {
      expect(signed.stringToSign).toBe(
        'SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
      );
      expect(signed.signature).toBe('7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe');
      expect(signed.authorization).toBe(
        'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
      );
    });

    it('returns the headers to send, Host and X-Sdk-Date included', () => {
      expect(signed.headers).toEqual({
        'Content-Type': 'application/json',
        Host: 'service.region.example.com',
        'X-Sdk-Date': '20191115T033655Z',
        Authorization: signed.authorization,
      });
    });
  });

  it('reproduces the oracle-derived DLI vector with X-Project-Id signed', () => {
    const signed = signHuaweiRequest(
      {
        method: 'GET',
        url: new URL(
          'https://dli.cn-north-4.myhuaweicloud.com/v1.0/48cc2c48765f481480c7db940d6409d1/jobs/6d2146a0-c2d5-41bd-8ca0-ca9694ada992/status',
        ),
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': '48cc2c48765f481480c7db940d6409d1' },
      },
      { ak: AK, sk: SK },
      new Date('2025-01-02T03:04:05Z'),
    );
    expect(signed.authorization).toBe(
      'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=712291a3c52c215d7f495d8da05d0686dc1256dca240d44d7420f33fa75c5197',
    );
  });

  it('adds and signs X-Security-Token for STS credentials', () => {
    const signed = signHuaweiRequest(
      { method: 'GET', url: new URL('https://cfw.cn-north-4.myhuaweicloud.com/v3/p/jobs/j'), headers: {} },
      { ak: AK, sk: SK, securityToken: 'sts-token' },
      new Date('2025-01-02T03:04:05Z'),
    );
    expect(signed.headers['X-Security-Token']).toBe('sts-token');
    expect(signed.signedHeaders).toBe('host;x-sdk-date;x-security-token');
    expect(signed.canonicalRequest).toContain('x-security-token:sts-token\n');
  });

  it('lowercases and trims header names and values before signing', () => {
    const signed = signHuaweiRequest(
      { method: 'get', url: new URL('https://h.example.com/a'), headers: { 'X-Custom': '  v  ' } },
      { ak: AK, sk: SK },
      new Date('2025-01-02T03:04:05Z'),
    );
    expect(
      signed.canonicalRequest.startsWith('GET\n/a/\n\nhost:h.example.com\nx-custom:v\nx-sdk-date:20250102T030405Z\n'),
    ).toBe(true);
  });

  it('formats X-Sdk-Date as UTC YYYYMMDDTHHMMSSZ', () => {
    expect(formatSdkDate(new Date('2019-11-15T03:36:55.789Z'))).toBe('20191115T033655Z');
  });

  it('encodes path segments per RFC 3986 exactly once and appends the trailing slash', () => {
    expect(encodeRfc3986("a b!'()*~")).toBe('a%20b%21%27%28%29%2A~');
    expect(canonicalUri('/v1/p/jobs/urn:job:1')).toBe('/v1/p/jobs/urn%3Ajob%3A1/');
    expect(canonicalUri('/v1/p/jobs/urn%3Ajob%3A1')).toBe('/v1/p/jobs/urn%3Ajob%3A1/');
    expect(canonicalUri('/v1/a%20b/')).toBe('/v1/a%20b/');
  });

  it('sorts the query by name then value and keeps empty values as name=', () => {
    expect(canonicalQuery('?b=2&a=z&a=y&c=&B=1')).toBe('B=1&a=y&a=z&b=2&c=');
    expect(canonicalQuery('q=a%20b*')).toBe('q=a%20b%2A');
    expect(canonicalQuery('')).toBe('');
  });
});
