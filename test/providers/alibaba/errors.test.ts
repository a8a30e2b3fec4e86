import { describe, it, expect } from 'vitest';
import { parseAlibabaErrorBody, retryAfterMs, toAlibabaError } from '../../../src/providers/alibaba/errors.js';

/** The documented POP envelope (docs/providers.md#alibaba-pop-gateway). */
function envelope(code: string, message = 'some message'): string {
  return JSON.stringify({
    RequestId: '0FA6C5E3-9E4B-5F1B-A1D6-0A2B3C4D5E6F',
    HostId: 'nlb.cn-hangzhou.aliyuncs.com',
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${code}&product=Nlb`,
  });
}

describe('toAlibabaError', () => {
  it.each([
    ['Throttling', 400, 'PROVIDER_THROTTLED'],
    ['Throttling.User', 400, 'PROVIDER_THROTTLED'],
    ['Throttling.User', 429, 'PROVIDER_THROTTLED'],
    ['Throttling.Api', 400, 'PROVIDER_THROTTLED'],
    ['ServiceUnavailable', 503, 'PROVIDER_UNAVAILABLE'],
    ['InternalError', 500, 'PROVIDER_UNAVAILABLE'],
    ['SystemBusy', 400, 'PROVIDER_UNAVAILABLE'],
    ['SignatureDoesNotMatch', 400, 'PROVIDER_AUTH_FAILED'],
    ['SignatureDoesNotMatch', 403, 'PROVIDER_AUTH_FAILED'],
    ['IncompleteSignature', 400, 'PROVIDER_AUTH_FAILED'],
    ['SignatureNonceUsed', 400, 'PROVIDER_AUTH_FAILED'],
    ['InvalidTimeStamp.Expired', 400, 'PROVIDER_AUTH_FAILED'],
    ['InvalidTimeStamp.Format', 400, 'PROVIDER_AUTH_FAILED'],
    ['InvalidAccessKeyId.NotFound', 404, 'PROVIDER_AUTH_FAILED'],
    ['InvalidAccessKeyId.Inactive', 400, 'PROVIDER_AUTH_FAILED'],
    ['InvalidSecurityToken.Expired', 400, 'PROVIDER_AUTH_FAILED'],
    ['Forbidden.RAM', 403, 'PROVIDER_FORBIDDEN'],
    ['Forbidden.NoPermission', 403, 'PROVIDER_FORBIDDEN'],
    ['ResourceNotFound.JobId', 404, 'JOB_NOT_FOUND'],
    ['InvalidJobId.NotFound', 400, 'JOB_NOT_FOUND'],
    ['MissingJobId', 400, 'BAD_USER_INPUT'],
    ['MissingParameter', 400, 'BAD_USER_INPUT'],
    ['InvalidParameter.JobId', 400, 'BAD_USER_INPUT'],
    ['InvalidAction.NotFound', 404, 'INTERNAL_SERVER_ERROR'],
    ['InvalidVersion', 400, 'INTERNAL_SERVER_ERROR'],
    // DataWorks' public error codes (docs/providers.md#dataworks-getjobstatus).
    ['Throttling.User', 429, 'PROVIDER_THROTTLED'],
    ['Throttling.System', 429, 'PROVIDER_THROTTLED'],
    ['Throttling.Api.Risk', 429, 'PROVIDER_QUOTA_EXHAUSTED'],
    ['Throttling.Resource', 429, 'PROVIDER_QUOTA_EXHAUSTED'],
    ['Forbidden.Not.Server', 500, 'PROVIDER_MISCONFIGURED'],
    ['UnsupportedHTTPMethod', 405, 'PROVIDER_MISCONFIGURED'],
  ] as const)('maps %s (HTTP %i) to %s', (code, status, expected) => {
    const err = toAlibabaError('NLB', status, {}, envelope(code));
    expect(err.code).toBe(expected);
    expect(err.details).toMatchObject({
      provider: 'NLB',
      providerCode: code,
      httpStatus: status,
      requestId: '0FA6C5E3-9E4B-5F1B-A1D6-0A2B3C4D5E6F',
    });
    expect(err.message).toContain(code);
  });

  it('treats x-acs-retry-after as throttling even on an HTTP 400 with another code, with the wait in ms', () => {
    const err = toAlibabaError('DATAWORKS', 400, { 'x-acs-retry-after': '1500' }, envelope('SomethingElse'));
    expect(err.code).toBe('PROVIDER_THROTTLED');
    expect(err.details.retryAfterMs).toBe(1500);
    expect(err.transient).toBe(true);
  });

  it("reports DataWorks' daily limit as a used-up quota, not retried and not throttling", () => {
    const err = toAlibabaError('DATAWORKS', 429, {}, envelope('Throttling.Api.Risk'));
    expect(err.code).toBe('PROVIDER_QUOTA_EXHAUSTED');
    expect(err.message).toBe(
      'DATAWORKS reported that the call quota for this API is used up: HTTP 429 (Throttling.Api.Risk)',
    );
    // No page says when the provider's daily count starts again: nothing is guessed.
    expect(err.details.resetsAt).toBeUndefined();
    expect(err.details.retryAfterMs).toBeUndefined();
  });

  it('dates the reset of a used-up quota from x-acs-retry-after when the answer carries it', () => {
    const now = Date.UTC(2025, 0, 2, 3, 4, 5);
    const err = toAlibabaError(
      'DATAWORKS',
      429,
      { 'x-acs-retry-after': '60000' },
      envelope('Throttling.Api.Risk'),
      now,
    );
    expect(err.code).toBe('PROVIDER_QUOTA_EXHAUSTED');
    expect(err.details).toMatchObject({ retryAfterMs: 60_000, resetsAt: '2025-01-02T03:05:05.000Z' });
  });

  it('explains Forbidden.Not.Server as the region, and a 405 as the endpoint, neither transient', () => {
    const region = toAlibabaError('DATAWORKS', 500, {}, envelope('Forbidden.Not.Server'));
    expect(region.message).toMatch(/region/);
    expect(region.transient).toBe(false);
    const method = toAlibabaError('NLB', 405, {}, '<html>405 Not Allowed</html>');
    expect(method.code).toBe('PROVIDER_MISCONFIGURED');
    expect(method.message).toMatch(/endpoint/);
    expect(method.transient).toBe(false);
  });

  it('ignores a zero or non-numeric x-acs-retry-after', () => {
    expect(retryAfterMs({ 'x-acs-retry-after': '0' })).toBeNull();
    expect(retryAfterMs({ 'x-acs-retry-after': 'soon' })).toBeNull();
    expect(toAlibabaError('NLB', 403, { 'x-acs-retry-after': 'soon' }, envelope('Forbidden.RAM')).code).toBe(
      'PROVIDER_FORBIDDEN',
    );
  });

  it('prefers the x-acs-request-id header over the body RequestId', () => {
    const err = toAlibabaError('NLB', 404, { 'x-acs-request-id': 'HEADER-ID' }, envelope('ResourceNotFound.JobId'));
    expect(err.details.requestId).toBe('HEADER-ID');
  });

  it('reads lower-case code/requestId fields as the SDKs do', () => {
    const err = toAlibabaError('NLB', 403, {}, JSON.stringify({ code: 'Forbidden.RAM', requestId: 'r-1' }));
    expect(err.code).toBe('PROVIDER_FORBIDDEN');
    expect(err.details).toMatchObject({ providerCode: 'Forbidden.RAM', requestId: 'r-1' });
  });

  it('reads an XML error body', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>X-1</RequestId><HostId>nlb.cn-hangzhou.aliyuncs.com</HostId>' +
      '<Code>Throttling.User</Code><Message>Request was denied due to user flow control.</Message></Error>';
    const err = toAlibabaError('NLB', 400, {}, xml);
    expect(err.code).toBe('PROVIDER_THROTTLED');
    expect(err.details).toMatchObject({ providerCode: 'Throttling.User', requestId: 'X-1' });
  });

  it.each([
    [502, 'PROVIDER_UNAVAILABLE'],
    [503, 'PROVIDER_UNAVAILABLE'],
    [429, 'PROVIDER_THROTTLED'],
    [400, 'PROVIDER_BAD_RESPONSE'],
    [404, 'PROVIDER_BAD_RESPONSE'],
  ] as const)('maps a non-JSON HTTP %i body to %s without a provider code', (status, expected) => {
    const err = toAlibabaError('DATAWORKS', status, {}, '<html><body>Bad Gateway</body></html>');
    expect(err.code).toBe(expected);
    expect(err.details.providerCode).toBeUndefined();
  });

  it('falls back on the HTTP status for unrecognised codes', () => {
    expect(toAlibabaError('NLB', 404, {}, envelope('Weird.Code')).code).toBe('JOB_NOT_FOUND');
    expect(toAlibabaError('NLB', 403, {}, envelope('Weird.Code')).code).toBe('PROVIDER_FORBIDDEN');
    expect(toAlibabaError('NLB', 400, {}, envelope('Weird.Code')).code).toBe('BAD_USER_INPUT');
    expect(toAlibabaError('NLB', 500, {}, envelope('Weird.Code')).code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('never copies the provider message (which can echo the string to sign) into the error', () => {
    const err = toAlibabaError(
      'NLB',
      400,
      {},
      envelope('SignatureDoesNotMatch', 'server string to sign is: ACS3-HMAC-SHA256\n7ea0'),
    );
    expect(err.message).not.toContain('string to sign');
    expect(err.message).not.toContain('7ea0');
    expect(err.message).toBe('NLB rejected the request signature or credentials: HTTP 400 (SignatureDoesNotMatch)');
  });

  it('strips anything but identifier characters from a hostile code', () => {
    const err = toAlibabaError('NLB', 400, {}, envelope('Throttling <script>alert(1)</script> secret=abc'));
    expect(err.details.providerCode).toBe('Throttlingscriptalert1scriptsecretabc');
    expect(err.message).not.toContain('<');
  });
});

describe('parseAlibabaErrorBody', () => {
  it('returns nulls for a body that is neither JSON nor XML', () => {
    expect(parseAlibabaErrorBody('oops')).toEqual({ code: null, requestId: null });
  });
});
