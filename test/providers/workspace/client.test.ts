import { describe, it, expect } from 'vitest';
import type { JobKey, WorkspaceJob } from '../../../src/providers/types.js';
import { createWorkspaceClient } from '../../../src/providers/workspace/client.js';
import { createWorkspaceFake } from '../../../src/simulator/workspace.js';
import { AK, PROJECT, REGION, START_MS, rejection, useHarness } from '../huawei/harness.js';

const h = useHarness(createWorkspaceFake, createWorkspaceClient);

const key = (jobId: string): JobKey => ({ provider: 'WORKSPACE', region: REGION, projectId: PROJECT, jobId });
const SIGNED = new RegExp(`^SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$`);

describe('Workspace client against the fake', () => {
  it('calls v2 GET /v2/{project_id}/job/{job_id} by default', async () => {
    const job = (await h.client().fetchJob(key('575768277444198400'))) as WorkspaceJob;
    const req = h.fake.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe(`/v2/${PROJECT}/job/575768277444198400`);
    expect(req.rawQuery).toBe('');
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', 'x-project-id': PROJECT, 'x-sdk-date': '20250102T030405Z' });
    expect(req.headers.authorization).toMatch(SIGNED);
    expect(job).toMatchObject({ apiVersion: 'V2', status: 'WAITING', state: 'PENDING', jobType: 'CREATE_SERVER', subJobsTotal: 1 });
  });

  it('calls v1 GET /v1/{project_id}/job/{job_id} when configured', async () => {
    const job = (await h.client({ apiVersion: 'v1' }).fetchJob(key('575768277444198400'))) as WorkspaceJob;
    expect(h.fake.requests[0]!.path).toBe(`/v1/${PROJECT}/job/575768277444198400`);
    expect(h.fake.requests[0]!.headers.authorization).toMatch(SIGNED);
    expect(job).toMatchObject({ apiVersion: 'V1', rawStatus: '3', jobStatusCode: 3, state: 'PENDING', jobTypeCode: 1 });
  });

  it('follows a v1 job from 3 to 2 to 1 with its sub-job and entity', async () => {
    const client = h.client({ apiVersion: 'v1' });
    const seen: WorkspaceJob[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push((await client.fetchJob(key('ws-v1-ok'))) as WorkspaceJob);
      h.clock.ms += 1_000;
    }
    expect(seen.map((j) => j.rawStatus)).toEqual(['3', '2', '1']);
    expect(seen.map((j) => j.state)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    const done = seen[2]!;
    expect(done).toMatchObject({ terminal: true, executeCode: '0', executeMessage: 'success' });
    expect(done.finishedAt).toEqual(new Date(START_MS + 2_000));
    expect(done.subJobs[0]).toMatchObject({ jobTypeCode: 2, jobStatusCode: 1, state: 'SUCCEEDED' });
    expect(done.subJobs[0]!.entities[0]).toMatchObject({ isMainResource: true, specType: { shareable: false }, measure: 17 });
  });

  it('follows a failing v2 job to FAILED with the sub-job error', async () => {
    const client = h.client();
    await client.fetchJob(key('ws-fail'));
    h.clock.ms += 5_000;
    const job = (await client.fetchJob(key('ws-fail'))) as WorkspaceJob;
    expect(job).toMatchObject({ state: 'FAILED', terminal: true });
    expect(job.subJobs[0]).toMatchObject({ state: 'FAILED', errorCode: 'WKS.00010500', failReason: 'create app server failed' });
    expect(job.subJobs[0]!.entities).toHaveLength(1);
  });

  it('maps the fake not-found (404 WKS) and forbidden (403) answers on both versions', async () => {
    for (const apiVersion of ['v1', 'v2'] as const) {
      expect((await rejection(h.client({ apiVersion }).fetchJob(key('ws-notfound')))).code).toBe('JOB_NOT_FOUND');
      expect((await rejection(h.client({ apiVersion }).fetchJob(key('ws-forbidden')))).code).toBe('PROVIDER_FORBIDDEN');
    }
  });

  it('is rejected with APIGW.0301 when signed with the wrong secret', async () => {
    const e = await rejection(h.client({ auth: { kind: 'aksk', ak: AK, sk: 'bad' } }).fetchJob(key('ws-ok')));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'APIGW.0301' } });
  });

  it('is rejected with APIGW.0303 when its clock is 20 minutes off', async () => {
    const e = await rejection(h.client({ now: () => new Date(START_MS - 20 * 60_000) }).fetchJob(key('ws-ok')));
    expect(e).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', details: { providerCode: 'APIGW.0303' } });
  });

  it.each([
    [400, { error_code: 'WKS.00149901', error_msg: 'The request message is invalid.' }, 'BAD_USER_INPUT'],
    [401, { error_code: 'WKS.00000401', error_msg: 'Authentication failed.' }, 'PROVIDER_AUTH_FAILED'],
    [403, { error_code: 'WKS.00000403', error_msg: 'Permissions required.' }, 'PROVIDER_FORBIDDEN'],
    [404, { error_code: 'WKS.00010404', error_msg: 'Resources not found.' }, 'JOB_NOT_FOUND'],
    [405, { error_code: 'WKS.00000405', error_msg: 'Method not allowed.' }, 'PROVIDER_UNAVAILABLE'],
    [500, { error_code: 'WKS.00000500', error_msg: 'An internal service error occurred.' }, 'PROVIDER_UNAVAILABLE'],
    [503, { error_code: 'WKS.00000503', error_msg: 'Service unavailable.' }, 'PROVIDER_UNAVAILABLE'],
    [200, { error_code: 'WKS.00010404', error_msg: 'Resources not found.' }, 'BAD_USER_INPUT'],
  ])('maps a documented HTTP %i body %j to %s', async (status, body, code) => {
    h.fake.enqueueFaults({ status, body, headers: { 'X-Request-Id': 'ws-fault' } });
    const e = await rejection(h.client().fetchJob(key('ws-ok')));
    expect(e.code).toBe(code);
    expect(e.details).toMatchObject({ provider: 'WORKSPACE', providerCode: body.error_code, requestId: 'ws-fault', httpStatus: status });
  });

  it('reports a v1 answer to a v2 call as PROVIDER_BAD_RESPONSE', async () => {
    h.fake.enqueueFaults({ status: 200, body: { job: { job_status: 1 } } });
    expect((await rejection(h.client().fetchJob(key('ws-ok')))).code).toBe('PROVIDER_BAD_RESPONSE');
  });
});
