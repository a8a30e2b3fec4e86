import { describe, it, expect } from 'vitest';
import { parseRetryAfter, readHuaweiEnvelope, toHuaweiError } from '../../../src/providers/huawei/errors.js';

const err = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  toHuaweiError('DLI', status, headers, typeof body === 'string' ? body : JSON.stringify(body), Date.UTC(2025, 0, 2));

describe('toHuaweiError', () => {
  it.each([
    [401, 'APIGW.0301', 'PROVIDER_AUTH_FAILED'],
    [401, 'APIGW.0303', 'PROVIDER_AUTH_FAILED'],
    [401, 'DLI.0013', 'PROVIDER_AUTH_FAILED'],
    [401, 'DLI.0014', 'PROVIDER_AUTH_FAILED'],
    [403, 'APIGW.0302', 'PROVIDER_FORBIDDEN'],
    [400, 'DLI.0003', 'PROVIDER_FORBIDDEN'],
    [429, 'APIGW.0308', 'PROVIDER_THROTTLED'],
    [400, 'CFW.00200005', 'JOB_NOT_FOUND'],
    [400, 'DLI.0002', 'JOB_NOT_FOUND'],
    [404, 'DLI.0023', 'JOB_NOT_FOUND'],
    [404, 'WKS.00010404', 'JOB_NOT_FOUND'],
    [400, 'DLI.0001', 'BAD_USER_INPUT'],
    [400, 'APIGW.0201', 'BAD_USER_INPUT'],
    [400, 'WKS.00149901', 'BAD_USER_INPUT'],
    [404, 'APIGW.0101', 'PROVIDER_MISCONFIGURED'],
    [400, 'DLI.0999', 'PROVIDER_UNAVAILABLE'],
    [400, 'CFW.00300001', 'PROVIDER_UNAVAILABLE'],
    // The error-code pages' rows that a bare HTTP 400 would have made the user's fault.
    [400, 'CFW.00109004', 'PROVIDER_UNAVAILABLE'],
    [400, 'DLI.0009', 'PROVIDER_THROTTLED'],
    [400, 'DLI.0012', 'PROVIDER_UNAVAILABLE'],
    [400, 'DLI.0019', 'PROVIDER_UNAVAILABLE'],
    [400, 'DLI.0016', 'PROVIDER_FORBIDDEN'],
    [405, 'WKS.00000405', 'PROVIDER_MISCONFIGURED'],
    [500, 'APIGW.0705', 'PROVIDER_UNAVAILABLE'],
    [503, 'WKS.00000503', 'PROVIDER_UNAVAILABLE'],
  ])('maps HTTP %i %s to %s', (status, code, expected) => {
    const e = err(status, { error_code: code, error_msg: 'something' });
    expect(e.code).toBe(expected);
    expect(e.details).toMatchObject({ provider: 'DLI', providerCode: code, httpStatus: status });
    expect(e.message).toContain(code);
  });

  it.each([
    [401, 'PROVIDER_AUTH_FAILED'],
    [403, 'PROVIDER_FORBIDDEN'],
    [429, 'PROVIDER_THROTTLED'],
    [502, 'PROVIDER_UNAVAILABLE'],
    [400, 'BAD_USER_INPUT'],
    [404, 'PROVIDER_MISCONFIGURED'],
    [405, 'PROVIDER_MISCONFIGURED'],
    [302, 'PROVIDER_BAD_RESPONSE'],
  ])('falls back to the HTTP status %i without a code (%s)', (status, expected) => {
    const e = err(status, '<html>gateway</html>');
    expect(e.code).toBe(expected);
    expect(e.details.providerCode).toBeUndefined();
    expect(e.message).toContain(`HTTP ${status}`);
  });

  it('never echoes the canonical request of an APIGW.0301 signature failure', () => {
    const e = err(401, {
      error_code: 'APIGW.0301',
      error_msg:
        'Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest:GET|/v1.0/p/jobs/j/status/||content-type:application/json|',
    });
    expect(e.message).not.toMatch(/canonical|content-type|\/v1\.0|verify aksk/);
    expect(e.message).toContain('APIGW.0301');
  });

  it('explains an APIGW.0303 expired signature as clock skew', () => {
    const e = err(401, {
      error_code: 'APIGW.0303',
      error_msg: 'Incorrect app authentication information: signature expired, signature time:20250102T030405Z',
    });
    expect(e.code).toBe('PROVIDER_AUTH_FAILED');
    expect(e.message).toMatch(/clock/);
    expect(e.message).not.toContain('20250102T030405Z');
  });

  it('hints at the endpoint for APIGW.0101 and for any gateway 404, as a configuration error that is not transient', () => {
    const noApi = err(404, { error_code: 'APIGW.0101', error_msg: 'The API does not exist' });
    expect(noApi.message).toMatch(/endpoint/);
    expect(noApi.transient).toBe(false);
    const other = err(404, { error_code: 'APIGW.0199', error_msg: 'whatever' });
    expect(other.code).toBe('PROVIDER_MISCONFIGURED');
    expect(other.message).toMatch(/endpoint/);
  });

  it('marks DLI.0009 (system limit) and CFW.00109004 (retry later) transient, and DLI.0016 not', () => {
    expect(err(400, { error_code: 'DLI.0009' }).transient).toBe(true);
    expect(err(400, { error_code: 'CFW.00109004' }).transient).toBe(true);
    expect(err(400, { error_code: 'DLI.0016' }).transient).toBe(false);
  });

  // The shared allow-list (src/providers/provider-message.ts): a fixed sentence, never the service's text.
  it('answers with a fixed summary, never the service message', () => {
    const e = err(400, { error_code: 'DLI.0002', error_msg: 'The job\nabc does not exist.' });
    expect(e.message).toBe('DLI has no such job: HTTP 400 (DLI.0002)');
    const long = err(400, { error_code: 'DLI.0001', error_msg: 'x'.repeat(500) });
    expect(long.message.length).toBeLessThan(220);
  });

  it('drops a service message that mentions tokens or signatures', () => {
    const e = err(400, { error_code: 'DLI.0001', error_msg: 'bad X-Auth-Token value MIIabc' });
    expect(e.message).not.toContain('MIIabc');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(err(429, { error_code: 'APIGW.0308' }, { 'retry-after': '7' }).details.retryAfterMs).toBe(7_000);
    expect(
      err(429, { error_code: 'APIGW.0308' }, { 'retry-after': 'Thu, 02 Jan 2025 00:00:30 GMT' }).details.retryAfterMs,
    ).toBe(30_000);
    expect(err(429, { error_code: 'APIGW.0308' }).details.retryAfterMs).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('takes the request id from X-Request-Id, else from the body', () => {
    expect(
      err(400, { error_code: 'DLI.0001', request_id: 'body-id' }, { 'x-request-id': 'hdr-id' }).details.requestId,
    ).toBe('hdr-id');
    expect(err(400, { error_code: 'DLI.0001', request_id: 'body-id' }).details.requestId).toBe('body-id');
  });

  it('reads the nested {error:{code,message}} envelope', () => {
    const e = err(403, { error: { code: 'APIGW.0302', message: 'forbidden' } });
    expect(e.code).toBe('PROVIDER_FORBIDDEN');
    expect(e.details.providerCode).toBe('APIGW.0302');
  });

  it("reads DLI's {is_success:false, message} envelope", () => {
    expect(readHuaweiEnvelope({ is_success: false, message: 'queue busy' })).toEqual({
      code: null,
      message: 'queue busy',
      requestId: null,
    });
    const e = toHuaweiError('DLI', 200, {}, { is_success: false, message: 'queue busy' });
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(e.message).toBe('DLI rejected the request: HTTP 200');
  });

  it('marks throttling and outages transient but not auth or not-found errors', () => {
    expect(err(429, { error_code: 'APIGW.0308' }).transient).toBe(true);
    expect(err(500, {}).transient).toBe(true);
    expect(err(401, { error_code: 'APIGW.0301' }).transient).toBe(false);
    expect(err(400, { error_code: 'DLI.0002' }).transient).toBe(false);
  });
});
