import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { createDataWorksClient } from '../../../src/providers/dataworks/client.js';
import type { DataWorksJob, JobKey } from '../../../src/providers/types.js';
import { createDataWorksFake } from '../../../src/simulator/dataworks.js';
import { EMPTY_SHA256, START_MS, popError, rejection, startHarness, useHarness, type Harness } from '../alibaba/harness.js';

const h = useHarness(createDataWorksFake, createDataWorksClient);

const key = (jobId: string): JobKey => ({ provider: 'DATAWORKS', region: 'cn-hangzhou', projectId: null, jobId });

describe('DataWorks client against the fake', () => {
  it('sends GET / with Action/Version headers, JobId in the query and a V3 signature', async () => {
    await h.client().fetchJob(key('70ecdaec-bf21-4c11-8ecb-4f77453ceea8'));
    expect(h.fake.requests).toHaveLength(1);
    const req = h.fake.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/');
    expect(req.rawQuery).toBe('JobId=70ecdaec-bf21-4c11-8ecb-4f77453ceea8');
    expect(req.body).toBe('');
    expect(req.headers).toMatchObject({
      host: new URL(h.fake.url).host,
      'x-acs-action': 'GetJobStatus',
      'x-acs-version': '2024-05-18',
      'x-acs-date': '2025-01-02T03:04:05Z',
      'x-acs-content-sha256': EMPTY_SHA256,
    });
    expect(req.headers['x-acs-signature-nonce']).toMatch(/^[0-9a-f]{32}$/);
    expect(req.headers['x-acs-security-token']).toBeUndefined();
    expect(req.headers.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=SIMULATORACCESSKEYID,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$/,
    );
  });

  it('uses a fresh nonce on every call', async () => {
    const client = h.client();
    await client.fetchJob(key('job-a'));
    await client.fetchJob(key('job-a'));
    const [a, b] = h.fake.requests;
    expect(a!.headers['x-acs-signature-nonce']).not.toBe(b!.headers['x-acs-signature-nonce']);
  });

  it('follows a job from Running to Success with every field mapped', async () => {
    const client = h.client();
    const running = (await client.fetchJob(key('lifecycle-ok'))) as DataWorksJob;
    expect(running).toMatchObject({ state: 'RUNNING', terminal: false, completed: false, status: 'Running', jobType: 'Create', error: '' });
    expect(running.createTime).toEqual(new Date(START_MS));
    expect(running.providerRequestId).toMatch(/^[0-9A-F-]{36}$/);
    h.clock.ms += 1_000;
    const done = (await client.fetchJob(key('lifecycle-ok'))) as DataWorksJob;
    expect(done).toMatchObject({ state: 'SUCCEEDED', terminal: true, completed: true, rawStatus: 'Success', startedAt: new Date(START_MS) });
    expect(done.id).toBe('DATAWORKS:cn-hangzhou:-:lifecycle-ok');
  });

  it.each([
    ['job-fail-1', 'FAILED', 'Fail'],
    ['job-cancel-1', 'CANCELLED', 'Cancel'],
  ])('ends %s as %s with an Error message', async (jobId, state, raw) => {
    const client = h.client();
    await client.fetchJob(key(jobId));
    h.clock.ms += 5_000;
    const job = (await client.fetchJob(key(jobId))) as DataWorksJob;
    expect(job).toMatchObject({ state, rawStatus: raw, terminal: true, completed: true });
    expect(job.error).not.toBe('');
  });

  it('keeps an unrecognised status as UNKNOWN and not terminal', async () => {
    h.jobs.pin('DATAWORKS', 'pinned-1', 'Queued');
    const job = await h.client().fetchJob(key('pinned-1'));
    expect(job).toMatchObject({ state: 'UNKNOWN', terminal: false, rawStatus: 'Queued' });
  });

  it('encodes reserved characters in the job id so the signature still verifies', async () => {
    const job = await h.client().fetchJob(key("a b*c!'()~+/=&é"));
    expect(job.jobId).toBe("a b*c!'()~+/=&é");
    expect(h.fake.requests[0]!.rawQuery).toBe('JobId=a%20b%2Ac%21%27%28%29~%2B%2F%3D%26%C3%A9');
  });

  it('maps the not-found answer (404 ResourceNotFound.JobId) to JOB_NOT_FOUND', async () => {
    const err = await rejection(h.client().fetchJob(key('job-notfound-1')));
    expect(err.code).toBe('JOB_NOT_FOUND');
    expect(err.details).toMatchObject({ provider: 'DATAWORKS', providerCode: 'ResourceNotFound.JobId', httpStatus: 404 });
    expect(err.details.requestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('maps the permission answer (403 Forbidden.RAM) to PROVIDER_FORBIDDEN', async () => {
    const err = await rejection(h.client().fetchJob(key('job-forbidden-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_FORBIDDEN', details: { providerCode: 'Forbidden.RAM', httpStatus: 403 } });
  });

  it('is rejected with SignatureDoesNotMatch (PROVIDER_AUTH_FAILED) when signing with a wrong secret', async () => {
    const client = h.client({ credentials: { accessKeyId: 'SIMULATORACCESSKEYID', accessKeySecret: 'wrong-secret' } });
    const err = await rejection(client.fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'SignatureDoesNotMatch', httpStatus: 400 } });
    expect(err.message).not.toMatch(/wrong-secret|string to sign|Signature=/);
  });

  it('is rejected with InvalidAccessKeyId.NotFound for an unknown access key', async () => {
    const client = h.client({ credentials: { accessKeyId: 'NOSUCHKEY', accessKeySecret: 'x' } });
    const err = await rejection(client.fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'InvalidAccessKeyId.NotFound' } });
  });

  it('is rejected with InvalidTimeStamp.Expired when the signing clock is 20 minutes off', async () => {
    const client = h.client({ now: () => new Date(START_MS - 20 * 60_000) });
    const err = await rejection(client.fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'InvalidTimeStamp.Expired' } });
  });

  it.each([
    [400, 'Throttling.User', 'Request was denied due to user flow control.', 'PROVIDER_THROTTLED'],
    [400, 'Throttling.Api', 'Request was denied due to api flow control.', 'PROVIDER_THROTTLED'],
    [503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 'PROVIDER_UNAVAILABLE'],
    [500, 'InternalError', 'The request processing has failed due to some unknown error.', 'PROVIDER_UNAVAILABLE'],
    [400, 'SignatureNonceUsed', 'Specified signature nonce was used already.', 'PROVIDER_AUTH_FAILED'],
    [403, 'Forbidden.RAM', 'User not authorized to operate on the specified resource.', 'PROVIDER_FORBIDDEN'],
  ] as const)('maps a documented HTTP %i %s body to %s', async (status, code, message, expected) => {
    h.fake.enqueueFaults({ status, body: popError(code, message) });
    const err = await rejection(h.client().fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: expected, details: { provider: 'DATAWORKS', providerCode: code, httpStatus: status, requestId: '7C1B2E3A-0000-4000-8000-000000000001' } });
  });

  it('passes x-acs-retry-after through as retryAfterMs', async () => {
    h.fake.enqueueFaults({ status: 400, headers: { 'x-acs-retry-after': '2500' }, body: popError('Throttling', 'Request was denied due to flow control.') });
    const err = await rejection(h.client().fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', details: { retryAfterMs: 2500 } });
  });

  it('reports a 200 answer that is not JSON as PROVIDER_BAD_RESPONSE', async () => {
    h.fake.enqueueFaults({ status: 200, body: '<html>maintenance</html>' });
    const err = await rejection(h.client().fetchJob(key('job-1')));
    expect(err.code).toBe('PROVIDER_BAD_RESPONSE');
  });

  it('takes the request id from the x-acs-request-id header', async () => {
    h.fake.enqueueFaults({
      status: 200,
      headers: { 'x-acs-request-id': 'HEADER-REQ-ID' },
      body: { RequestId: 'BODY-REQ-ID', JobStatus: { Status: 'Running', Completed: 'False', CreateTime: '1729063449802' } },
    });
    const job = await h.client().fetchJob(key('job-1'));
    expect(job.providerRequestId).toBe('HEADER-REQ-ID');
  });
});

describe('DataWorks client with STS credentials', () => {
  const sts = { accessKeyId: 'SIMULATORACCESSKEYID', accessKeySecret: 'simulator-access-key-secret', securityToken: 'sts-token-1' };
  let s: Harness;
  beforeAll(async () => {
    s = await startHarness(createDataWorksFake, createDataWorksClient, sts);
  });
  afterAll(async () => {
    await s.close();
  });

  it('sends and signs x-acs-security-token', async () => {
    const job = await s.client({ credentials: sts }).fetchJob(key('job-1'));
    expect(job.state).toBe('RUNNING');
    expect(s.fake.requests.at(-1)!.headers['x-acs-security-token']).toBe('sts-token-1');
    expect(s.fake.requests.at(-1)!.headers.authorization).toContain('x-acs-security-token;');
  });

  it('is rejected (PROVIDER_AUTH_FAILED) without the token the key requires', async () => {
    const err = await rejection(s.client().fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'InvalidSecurityToken.MismatchWithAccessKey' } });
  });
});
