import { describe, it, expect } from 'vitest';
import { createDliClient } from '../../../src/providers/dli/client.js';
import type { DliJob, JobKey } from '../../../src/providers/types.js';
import { createDliFake } from '../../../src/simulator/dli.js';
import { AK, PROJECT, REGION, START_MS, rejection, useHarness } from '../huawei/harness.js';

const h = useHarness(createDliFake, createDliClient);

const key = (jobId: string): JobKey => ({ provider: 'DLI', region: REGION, projectId: PROJECT, jobId });

describe('DLI client against the fake', () => {
  it('sends GET /v1.0/{project_id}/jobs/{job_id}/status with the documented signed headers', async () => {
    await h.client().fetchJob(key('6d2146a0-c2d5-41bd-8ca0-ca9694ada992'));
    const req = h.fake.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/v1.0/${PROJECT}/jobs/6d2146a0-c2d5-41bd-8ca0-ca9694ada992/status`);
    expect(req.rawQuery).toBe('');
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', 'x-project-id': PROJECT, 'x-sdk-date': '20250102T030405Z' });
    expect(req.headers.authorization).toMatch(
      new RegExp(`^SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$`),
    );
  });

  it('encodes a job id with reserved characters once, and the fake verifies it', async () => {
    const job = await h.client().fetchJob(key('urn:dli job'));
    expect(h.fake.requests[0]!.path).toBe(`/v1.0/${PROJECT}/jobs/urn%3Adli%20job/status`);
    expect(job.jobId).toBe('urn:dli job');
  });

  it('follows LAUNCHING → RUNNING → SCALING → RUNNING → FINISHED with a growing duration', async () => {
    const client = h.client();
    const seen: DliJob[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push((await client.fetchJob(key('dli-ok'))) as DliJob);
      h.clock.ms += 1_000;
    }
    expect(seen.map((j) => j.rawStatus)).toEqual(['LAUNCHING', 'RUNNING', 'SCALING', 'RUNNING', 'FINISHED']);
    expect(seen.map((j) => j.state)).toEqual(['PENDING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(seen.map((j) => j.durationMs)).toEqual([0, 1_000, 2_000, 3_000, 4_000]);
    const done = seen[4]!;
    expect(done).toMatchObject({ terminal: true, isSuccess: true, jobType: 'QUERY', resultCount: 4, tags: [{ key: 'workload', value: 'simulator' }] });
    expect(done.startedAt).toEqual(new Date(START_MS));
    expect(done.finishedAt).toEqual(new Date(START_MS + 4_000));
    expect(done.columns?.map((c) => c.name)).toEqual(['id', 'name']);
    expect(done.providerRequestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ends a cancelled job CANCELLED', async () => {
    await h.client().fetchJob(key('dli-cancel'));
    h.clock.ms += 10_000;
    expect(await h.client().fetchJob(key('dli-cancel'))).toMatchObject({ state: 'CANCELLED', terminal: true, rawStatus: 'CANCELLED' });
  });

  it('maps the fake not-found (400 DLI.0002) and forbidden (403 APIGW.0302) answers', async () => {
    expect(await rejection(h.client().fetchJob(key('dli-notfound')))).toMatchObject({ code: 'JOB_NOT_FOUND', details: { providerCode: 'DLI.0002' } });
    expect(await rejection(h.client().fetchJob(key('dli-forbidden')))).toMatchObject({ code: 'PROVIDER_FORBIDDEN', details: { providerCode: 'APIGW.0302' } });
  });

  it('is rejected with APIGW.0301 when signed with the wrong secret', async () => {
    const e = await rejection(h.client({ auth: { kind: 'aksk', ak: AK, sk: 'nope' } }).fetchJob(key('dli-ok')));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'APIGW.0301', httpStatus: 401 } });
  });

  it('is rejected with APIGW.0303 when its clock is 20 minutes ahead', async () => {
    const e = await rejection(h.client({ now: () => new Date(START_MS + 20 * 60_000) }).fetchJob(key('dli-ok')));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'APIGW.0303' } });
  });

  it.each([
    [400, { error_code: 'DLI.0001', error_msg: 'Parameter check errors occur.' }, 'BAD_USER_INPUT'],
    [400, { error_code: 'DLI.0002', error_msg: 'The object does not exist.' }, 'JOB_NOT_FOUND'],
    [400, { error_code: 'DLI.0003', error_msg: 'SQL permission verification fails.' }, 'PROVIDER_FORBIDDEN'],
    [401, { error_code: 'DLI.0013', error_msg: 'User authentication errors occur.' }, 'PROVIDER_AUTH_FAILED'],
    [401, { error_code: 'DLI.0014', error_msg: 'Service authentication errors occur.' }, 'PROVIDER_AUTH_FAILED'],
    [404, { error_code: 'DLI.0023', error_msg: 'The resource does not exist.' }, 'JOB_NOT_FOUND'],
    [400, { error_code: 'DLI.0999', error_msg: 'Server-side errors occur.' }, 'PROVIDER_UNAVAILABLE'],
    [429, { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' }, 'PROVIDER_THROTTLED'],
    [200, { is_success: false, message: 'The job does not belong to this project', error_code: 'DLI.0002' }, 'JOB_NOT_FOUND'],
    [200, { is_success: false, message: 'Queue is busy' }, 'BAD_USER_INPUT'],
  ])('maps a documented HTTP %i body %j to %s', async (status, body, code) => {
    h.fake.enqueueFaults({ status, body, headers: { 'X-Request-Id': 'dli-fault' } });
    const e = await rejection(h.client().fetchJob(key('dli-ok')));
    expect(e.code).toBe(code);
    expect(e.details).toMatchObject({ provider: 'DLI', requestId: 'dli-fault', httpStatus: status });
  });

  it('reports a truncated 200 body as PROVIDER_BAD_RESPONSE', async () => {
    h.fake.enqueueFaults({ status: 200, body: '{"is_success":true,"status":' });
    expect((await rejection(h.client().fetchJob(key('dli-ok')))).code).toBe('PROVIDER_BAD_RESPONSE');
  });
});
