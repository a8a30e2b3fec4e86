import { describe, expect, it } from 'vitest';
import { JobError, type ErrorCode } from '../../../src/errors.js';
import { toAlibabaError } from '../../../src/providers/alibaba/errors.js';
import { toHuaweiError } from '../../../src/providers/huawei/errors.js';
import { countsAgainstProvider, LocalJobError, retryClassOf } from '../../../src/providers/resilience/index.js';

const ali = (status: number, code: string, headers: Record<string, string> = {}) =>
  toAlibabaError('NLB', status, headers, JSON.stringify({ RequestId: 'R1', Code: code, Message: 'm' }));
const hw = (status: number, code: string, headers: Record<string, string> = {}) =>
  toHuaweiError('DLI', status, headers, { error_code: code, error_msg: 'm' });

describe('which provider answers are retried', () => {
  it.each([
    ['Alibaba Throttling.User sent as HTTP 400', ali(400, 'Throttling.User')],
    ['Alibaba Throttling.Api', ali(400, 'Throttling.Api')],
    ['an Alibaba answer carrying x-acs-retry-after', ali(400, 'SomethingElse', { 'x-acs-retry-after': '200' })],
    ['Huawei APIGW.0308 (429)', hw(429, 'APIGW.0308', { 'retry-after': '1' })],
    ['a bare HTTP 429', hw(429, 'X.1')],
    ['Alibaba ServiceUnavailable (503)', ali(503, 'ServiceUnavailable')],
    ['Alibaba InternalError (500)', ali(500, 'InternalError')],
    ['NLB SystemBusy sent as HTTP 400', ali(400, 'SystemBusy')],
    ['Huawei DLI.0999 sent as HTTP 400', hw(400, 'DLI.0999')],
    ['Huawei DLI.0009 (system limit) sent as HTTP 400', hw(400, 'DLI.0009')],
    ['Huawei DLI.0012 (resource unavailable) sent as HTTP 400', hw(400, 'DLI.0012')],
    ['Huawei DLI.0019 (task timeout) sent as HTTP 400', hw(400, 'DLI.0019')],
    ['Huawei CFW.00109004 (retry later) sent as HTTP 400', hw(400, 'CFW.00109004')],
    ['DataWorks Throttling.User ("too frequent", 429)', ali(429, 'Throttling.User')],
    ['a Huawei 502', hw(502, 'APIGW.0705')],
    [
      'a connection reset',
      new JobError('PROVIDER_UNAVAILABLE', 'NLB connection failed (ECONNRESET)', { provider: 'NLB' }),
    ],
    ['a timeout', new JobError('PROVIDER_TIMEOUT', 'NLB did not answer in time', { provider: 'NLB' })],
  ])('retries %s', (_name, err) => {
    expect(retryClassOf(err)).toBe('retry');
  });

  it.each([
    ['Huawei APIGW.0301 (bad signature: 5 of these lock the AK)', hw(401, 'APIGW.0301')],
    ['Huawei APIGW.0303 (signature expired)', hw(401, 'APIGW.0303')],
    ['Alibaba InvalidTimeStamp.Expired', ali(400, 'InvalidTimeStamp.Expired')],
    ['Alibaba SignatureDoesNotMatch', ali(400, 'SignatureDoesNotMatch')],
    ['Alibaba SignatureNonceUsed', ali(400, 'SignatureNonceUsed')],
    ['Alibaba InvalidAccessKeyId.NotFound', ali(404, 'InvalidAccessKeyId.NotFound')],
    ['Alibaba Forbidden.RAM', ali(403, 'Forbidden.RAM')],
    ['Huawei APIGW.0302', hw(403, 'APIGW.0302')],
    ['a job the provider does not know', ali(404, 'ResourceNotFound.JobId')],
    ['a rejected job id', hw(400, 'DLI.0001')],
    ['Huawei DLI.0016 (agency/role)', hw(400, 'DLI.0016')],
    ['Huawei APIGW.0101 (no such API at this host)', hw(404, 'APIGW.0101')],
    ['an HTTP 405', ali(405, 'UnsupportedHTTPMethod')],
    [
      "DataWorks' daily limit Throttling.Api.Risk (transient, but only when the day turns)",
      ali(429, 'Throttling.Api.Risk'),
    ],
    [
      'a host that does not resolve',
      new JobError('PROVIDER_MISCONFIGURED', 'NLB endpoint host does not resolve (ENOTFOUND)', { provider: 'NLB' }),
    ],
    [
      'our own spent daily budget',
      new JobError('PROVIDER_QUOTA_EXHAUSTED', 'budget spent', { resetsAt: '2025-01-03T00:00:00.000Z' }),
    ],
  ])('never retries %s', (_name, err) => {
    expect(retryClassOf(err)).toBe('never');
  });

  it.each<ErrorCode>([
    'FORBIDDEN',
    'BAD_USER_INPUT',
    'JOB_NOT_FOUND',
    'PROVIDER_NOT_CONFIGURED',
    'INTERNAL_SERVER_ERROR',
  ])('never retries %s', (code) => {
    expect(retryClassOf(new JobError(code, 'x'))).toBe('never');
  });

  it('retries an unreadable body at most once', () => {
    expect(retryClassOf(new JobError('PROVIDER_BAD_RESPONSE', 'DLI answered without a job status'))).toBe('once');
  });

  it('never retries errors raised locally (open breaker, client-side rate limit), nor non-JobErrors', () => {
    expect(retryClassOf(new LocalJobError('PROVIDER_UNAVAILABLE', 'breaker open'))).toBe('never');
    expect(retryClassOf(new LocalJobError('PROVIDER_THROTTLED', 'rate limit'))).toBe('never');
    expect(retryClassOf(new TypeError('boom'))).toBe('never');
    expect(retryClassOf('a string')).toBe('never');
  });
});

describe('which failures count against a provider endpoint', () => {
  it('counts outages and timeouts', () => {
    expect(countsAgainstProvider(ali(503, 'ServiceUnavailable'))).toBe(true);
    expect(countsAgainstProvider(new JobError('PROVIDER_TIMEOUT', 't'))).toBe(true);
  });

  it('does not count answers that prove the provider is up, nor throttling, bodies, or local errors', () => {
    expect(countsAgainstProvider(ali(404, 'ResourceNotFound.JobId'))).toBe(false);
    expect(countsAgainstProvider(hw(401, 'APIGW.0301'))).toBe(false);
    expect(countsAgainstProvider(hw(403, 'APIGW.0302'))).toBe(false);
    expect(countsAgainstProvider(hw(429, 'APIGW.0308'))).toBe(false);
    expect(countsAgainstProvider(new JobError('PROVIDER_BAD_RESPONSE', 'b'))).toBe(false);
    expect(countsAgainstProvider(hw(404, 'APIGW.0101'))).toBe(false);
    expect(countsAgainstProvider(ali(405, 'UnsupportedHTTPMethod'))).toBe(false);
    expect(countsAgainstProvider(new JobError('PROVIDER_MISCONFIGURED', 'host does not resolve'))).toBe(false);
    expect(countsAgainstProvider(ali(429, 'Throttling.Api.Risk'))).toBe(false);
    expect(countsAgainstProvider(new LocalJobError('PROVIDER_TIMEOUT', 'waited for a token'))).toBe(false);
    expect(countsAgainstProvider(new Error('bug'))).toBe(false);
  });
});
