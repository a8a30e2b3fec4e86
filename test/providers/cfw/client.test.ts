import { describe, it, expect } from 'vitest';
import { createCfwClient } from '../../../src/providers/cfw/client.js';
import type { CfwJob, JobKey } from '../../../src/providers/types.js';
import { createCfwFake } from '../../../src/simulator/cfw.js';
import { AK, PROJECT, REGION, START_MS, TOKEN, rejection, useHarness } from '../huawei/harness.js';

const h = useHarness(createCfwFake, createCfwClient);

const key = (jobId: string): JobKey => ({ provider: 'CFW', region: REGION, projectId: PROJECT, jobId });

describe('CFW client against the fake', () => {
  it('sends GET /v3/{project_id}/jobs/{job_id} with the documented signed headers', async () => {
    await h.client().fetchJob(key('f588ce71-e26c-400d-8981-f854355f6849'));
    expect(h.fake.requests).toHaveLength(1);
    const req = h.fake.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/v3/${PROJECT}/jobs/f588ce71-e26c-400d-8981-f854355f6849`);
    expect(req.rawQuery).toBe('');
    expect(req.body).toBe('');
    expect(req.headers).toMatchObject({
      host: new URL(h.fake.url).host,
      'content-type': 'application/json',
      'x-project-id': PROJECT,
      'x-sdk-date': '20250102T030405Z',
    });
    expect(req.headers.authorization).toMatch(
      new RegExp(`^SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$`),
    );
    expect(req.headers['x-auth-token']).toBeUndefined();
  });

  it('follows a job from Running to Success with times and the request id', async () => {
    const client = h.client();
    const running = (await client.fetchJob(key('cfw-ok'))) as CfwJob;
    expect(running).toMatchObject({ state: 'RUNNING', terminal: false, status: 'Running', endTime: null, finishedAt: null });
    expect(running.beginTime).toEqual(new Date(START_MS));
    expect(running.providerRequestId).toMatch(/^[0-9a-f]{32}$/);
    h.clock.ms += 1_000;
    const done = (await client.fetchJob(key('cfw-ok'))) as CfwJob;
    expect(done).toMatchObject({ state: 'SUCCEEDED', terminal: true, rawStatus: 'Success' });
    expect(done.endTime).toEqual(new Date(START_MS + 1_000));
    expect(done.finishedAt).toEqual(new Date(START_MS + 1_000));
  });

  it('ends a failing job FAILED', async () => {
    await h.client().fetchJob(key('cfw-fail'));
    h.clock.ms += 5_000;
    expect(await h.client().fetchJob(key('cfw-fail'))).toMatchObject({ state: 'FAILED', terminal: true });
  });

  it('maps the fake not-found answer (400 CFW.00200005) to JOB_NOT_FOUND', async () => {
    const e = await rejection(h.client().fetchJob(key('cfw-notfound')));
    expect(e.code).toBe('JOB_NOT_FOUND');
    expect(e.details).toMatchObject({ provider: 'CFW', providerCode: 'CFW.00200005', httpStatus: 400 });
    expect(e.details.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('maps the fake forbidden answer (403 APIGW.0302) to PROVIDER_FORBIDDEN', async () => {
    const e = await rejection(h.client().fetchJob(key('cfw-forbidden')));
    expect(e).toMatchObject({ code: 'PROVIDER_FORBIDDEN', details: { providerCode: 'APIGW.0302', httpStatus: 403 } });
  });

  it('is rejected with APIGW.0301 when signed with the wrong secret', async () => {
    const e = await rejection(h.client({ auth: { kind: 'aksk', ak: AK, sk: 'wrong-secret' } }).fetchJob(key('cfw-ok')));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'APIGW.0301', httpStatus: 401 } });
    expect(e.message).not.toMatch(/canonical/i);
  });

  it('is rejected with APIGW.0303 when its clock is 20 minutes off', async () => {
    const e = await rejection(h.client({ now: () => new Date(START_MS - 20 * 60_000) }).fetchJob(key('cfw-ok')));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'APIGW.0303' } });
  });

  it('authenticates with an IAM token instead of a signature', async () => {
    const job = await h.client({ auth: { kind: 'token', token: TOKEN } }).fetchJob(key('cfw-token'));
    expect(job.state).toBe('RUNNING');
    expect(h.fake.requests[0]!.headers).toMatchObject({ 'x-auth-token': TOKEN, 'content-type': 'application/json' });
    expect(h.fake.requests[0]!.headers.authorization).toBeUndefined();
    const e = await rejection(h.client({ auth: { kind: 'token', token: 'stale' } }).fetchJob(key('cfw-token')));
    expect(e.code).toBe('PROVIDER_AUTH_FAILED');
  });

  it.each([
    [400, { error_code: 'CFW.00200005', error_msg: 'The object does not exist.' }, 'JOB_NOT_FOUND'],
    [400, { error_code: 'CFW.00300001', error_msg: 'Database query failed.' }, 'PROVIDER_UNAVAILABLE'],
    [400, { error_code: 'CFW.00109004', error_msg: 'HTTP request error.' }, 'BAD_USER_INPUT'],
    [404, { error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published in the environment' }, 'PROVIDER_UNAVAILABLE'],
    [500, { error_code: 'APIGW.0705', error_msg: 'Backend unavailable' }, 'PROVIDER_UNAVAILABLE'],
    [200, { error_code: 'CFW.00200005', error_msg: 'The object does not exist.' }, 'JOB_NOT_FOUND'],
  ])('maps a documented HTTP %i body %j to %s', async (status, body, code) => {
    h.fake.enqueueFaults({ status, body, headers: { 'X-Request-Id': 'fault-req' } });
    const e = await rejection(h.client().fetchJob(key('cfw-ok')));
    expect(e.code).toBe(code);
    expect(e.details).toMatchObject({ providerCode: body.error_code, requestId: 'fault-req', httpStatus: status });
  });

  it('maps APIGW.0308 to PROVIDER_THROTTLED with Retry-After', async () => {
    h.fake.enqueueFaults({ status: 429, body: { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' }, headers: { 'Retry-After': '3' } });
    const e = await rejection(h.client().fetchJob(key('cfw-ok')));
    expect(e).toMatchObject({ code: 'PROVIDER_THROTTLED', details: { retryAfterMs: 3_000 } });
  });

  it('reports a 200 that is not JSON as PROVIDER_BAD_RESPONSE', async () => {
    h.fake.enqueueFaults({ status: 200, body: '<html>maintenance</html>' });
    expect((await rejection(h.client().fetchJob(key('cfw-ok')))).code).toBe('PROVIDER_BAD_RESPONSE');
  });

  it('needs a project id', async () => {
    const e = await rejection(h.client().fetchJob({ provider: 'CFW', region: REGION, projectId: null, jobId: 'x' }));
    expect(e.code).toBe('BAD_USER_INPUT');
    expect(h.fake.requests).toHaveLength(0);
  });
});
