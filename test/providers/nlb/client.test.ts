import { describe, it, expect } from 'vitest';
import { createNlbClient } from '../../../src/providers/nlb/client.js';
import type { JobKey, NlbJob } from '../../../src/providers/types.js';
import { createNlbFake } from '../../../src/simulator/nlb.js';
import { EMPTY_SHA256, START_MS, popError, rejection, useHarness } from '../alibaba/harness.js';

const h = useHarness(createNlbFake, createNlbClient);

const key = (jobId: string): JobKey => ({ provider: 'NLB', region: 'cn-hangzhou', projectId: null, jobId });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('NLB client against the fake', () => {
  it('sends POST / with JobId and ClientToken in the query, an empty body and a V3 signature', async () => {
    await h.client().fetchJob(key('72dcd26b-f12d-4c27-b3af-18f6aed5****'));
    expect(h.fake.requests).toHaveLength(1);
    const req = h.fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/');
    expect(req.body).toBe('');
    expect(req.rawQuery).toMatch(/^ClientToken=[0-9a-f-]{36}&JobId=72dcd26b-f12d-4c27-b3af-18f6aed5%2A%2A%2A%2A$/);
    expect(req.query.get('ClientToken')).toMatch(UUID);
    expect(req.headers).toMatchObject({
      host: new URL(h.fake.url).host,
      'x-acs-action': 'GetJobStatus',
      'x-acs-version': '2022-04-30',
      'x-acs-date': '2025-01-02T03:04:05Z',
      'x-acs-content-sha256': EMPTY_SHA256,
    });
    expect(req.headers.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=SIMULATORACCESSKEYID,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$/,
    );
  });

  it('uses a fresh ClientToken and nonce on every call', async () => {
    const client = h.client();
    await client.fetchJob(key('job-a'));
    await client.fetchJob(key('job-a'));
    const [a, b] = h.fake.requests;
    expect(a!.query.get('ClientToken')).not.toBe(b!.query.get('ClientToken'));
    expect(a!.headers['x-acs-signature-nonce']).not.toBe(b!.headers['x-acs-signature-nonce']);
  });

  it('follows a job from processing to Succeeded', async () => {
    const client = h.client();
    const running = (await client.fetchJob(key('lifecycle-ok'))) as NlbJob;
    expect(running).toMatchObject({ state: 'RUNNING', terminal: false, status: 'processing', rawStatus: 'processing' });
    expect(running.providerRequestId).toMatch(/^[0-9A-F-]{36}$/);
    h.clock.ms += 1_000;
    const done = await client.fetchJob(key('lifecycle-ok'));
    expect(done).toMatchObject({ id: 'NLB:cn-hangzhou:-:lifecycle-ok', state: 'SUCCEEDED', terminal: true, status: 'Succeeded' });
  });

  it('ends a failing job as FAILED', async () => {
    const client = h.client();
    await client.fetchJob(key('job-fail-1'));
    h.clock.ms += 5_000;
    expect(await client.fetchJob(key('job-fail-1'))).toMatchObject({ state: 'FAILED', terminal: true, rawStatus: 'Failed' });
  });

  it('accepts the zh-doc casing Processing', async () => {
    h.jobs.pin('NLB', 'pinned-zh', 'Processing');
    expect(await h.client().fetchJob(key('pinned-zh'))).toMatchObject({ state: 'RUNNING', rawStatus: 'Processing' });
  });

  it('keeps an unrecognised status as UNKNOWN and not terminal', async () => {
    h.jobs.pin('NLB', 'pinned-odd', 'Rollback');
    expect(await h.client().fetchJob(key('pinned-odd'))).toMatchObject({ state: 'UNKNOWN', terminal: false, rawStatus: 'Rollback' });
  });

  it('maps the documented 404 ResourceNotFound.JobId to JOB_NOT_FOUND', async () => {
    const err = await rejection(h.client().fetchJob(key('job-notfound-1')));
    expect(err).toMatchObject({ code: 'JOB_NOT_FOUND', details: { provider: 'NLB', providerCode: 'ResourceNotFound.JobId', httpStatus: 404 } });
    expect(err.details.requestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('maps the documented 403 Forbidden.NoPermission to PROVIDER_FORBIDDEN', async () => {
    const err = await rejection(h.client().fetchJob(key('job-forbidden-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_FORBIDDEN', details: { providerCode: 'Forbidden.NoPermission', httpStatus: 403 } });
  });

  it('is rejected with SignatureDoesNotMatch (PROVIDER_AUTH_FAILED) when signing with a wrong secret', async () => {
    const client = h.client({ credentials: { accessKeyId: 'SIMULATORACCESSKEYID', accessKeySecret: 'wrong-secret' } });
    const err = await rejection(client.fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'SignatureDoesNotMatch', httpStatus: 400 } });
    expect(err.message).not.toMatch(/wrong-secret|string to sign|Signature=/);
  });

  it('is rejected with InvalidTimeStamp.Expired when the signing clock is 20 minutes ahead', async () => {
    const client = h.client({ now: () => new Date(START_MS + 20 * 60_000) });
    const err = await rejection(client.fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'InvalidTimeStamp.Expired' } });
  });

  it.each([
    [400, 'SystemBusy', 'System is busy, please try again later.', 'PROVIDER_UNAVAILABLE'],
    [403, 'Forbidden.NoPermission', 'You are not authorized to perform this operation.', 'PROVIDER_FORBIDDEN'],
    [404, 'ResourceNotFound.JobId', 'The specified resource JobId is not found.', 'JOB_NOT_FOUND'],
    [400, 'Throttling.User', 'Request was denied due to user flow control.', 'PROVIDER_THROTTLED'],
    [503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.', 'PROVIDER_UNAVAILABLE'],
    [400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.', 'PROVIDER_AUTH_FAILED'],
  ] as const)('maps a documented HTTP %i %s body to %s', async (status, code, message, expected) => {
    h.fake.enqueueFaults({ status, body: popError(code, message) });
    const err = await rejection(h.client().fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: expected, details: { provider: 'NLB', providerCode: code, httpStatus: status } });
  });

  it('maps an XML error body', async () => {
    h.fake.enqueueFaults({
      status: 400,
      headers: { 'content-type': 'text/xml' },
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>X-1</RequestId><Code>Throttling</Code><Message>flow control</Message></Error>',
    });
    const err = await rejection(h.client().fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', details: { providerCode: 'Throttling', requestId: 'X-1' } });
  });

  it('reports a 200 answer without Status as PROVIDER_BAD_RESPONSE', async () => {
    h.fake.enqueueFaults({ status: 200, body: { RequestId: 'R-1' } });
    const err = await rejection(h.client().fetchJob(key('job-1')));
    expect(err).toMatchObject({ code: 'PROVIDER_BAD_RESPONSE', details: { requestId: 'R-1' } });
  });
});
