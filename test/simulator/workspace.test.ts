import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { SimulatedJobs } from '../../src/simulator/jobs.js';
import { createWorkspaceFake, WORKSPACE_NOT_FOUND_CODE } from '../../src/simulator/workspace.js';
import { rawGet } from '../providers/huawei/fake-http.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const AK = 'WKSFAKEAK';
const SK = 'wks-fake-sk';
const P = '29dfe82ada564ac2b927e1ff036d9a9b';
const clock = { ms: START };
let fake: FakeProviderServer;

beforeAll(async () => {
  fake = createWorkspaceFake({
    jobs: new SimulatedJobs({ now: () => clock.ms, stepMs: 1_000 }),
    now: () => clock.ms,
    auth: { ak: AK, sk: SK },
  });
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
});

const get = (version: 'v1' | 'v2', jobId: string) =>
  rawGet(fake.url, `/${version}/${P}/job/${jobId}`, P, { sign: { ak: AK, sk: SK, date: new Date(clock.ms) } });

describe('Workspace fake', () => {
  it('serves v1 with integer statuses and the seed JobDetail fields', async () => {
    const res = await get('v1', '575768277444198400');
    expect(res.status).toBe(200);
    const job = res.body.job as Record<string, unknown>;
    expect(job).toMatchObject({
      job_id: '575768277444198400',
      job_type: 1,
      job_status: 3,
      begin_time: '2025-01-02T03:04:05Z',
      expected_end_time: '2025-01-02T03:19:05Z',
    });
    expect(Object.keys(job).sort()).toEqual([
      'begin_time',
      'execute_code',
      'execute_message',
      'expected_end_time',
      'job_id',
      'job_status',
      'job_type',
      'sub_jobs',
    ]);
    const sub = (job.sub_jobs as Array<Record<string, unknown>>)[0]!;
    expect(sub).toMatchObject({ job_type: 2, job_status: 3 });
    expect((sub.entities as Array<Record<string, unknown>>)[0]).toMatchObject({
      is_main_resource: 1,
      spec_type: { shareable: false },
      spec_size: 80,
    });
    clock.ms += 2_000;
    const done = (await get('v1', '575768277444198400')).body.job as Record<string, unknown>;
    expect(done).toMatchObject({
      job_status: 1,
      end_time: '2025-01-02T03:04:07Z',
      execute_code: '0',
      execute_message: 'success',
    });
  });

  it('serves v2 with string statuses and a sub-job carrying its resource', async () => {
    const res = await get('v2', 'v2-job');
    expect(res.body).toMatchObject({ id: 'v2-job', job_type: 'CREATE_SERVER', status: 'WAITING', sub_jobs_total: 1 });
    const sub = (res.body.sub_jobs as Array<Record<string, unknown>>)[0]!;
    expect(sub).toMatchObject({
      id: 'v2-job-1',
      status: 'WAITING',
      project_id: P,
      job_id: 'v2-job',
      job_resource_info: expect.objectContaining({ resource_id: 'appserver-v2-job' }),
    });
    clock.ms += 5_000;
    expect((await get('v2', 'v2-job')).body).toMatchObject({ status: 'SUCCESS', end_time: '2025-01-02T03:04:07Z' });
  });

  it('answers an unknown job with 404 and a WKS code on both versions, and a forbidden one with 403', async () => {
    for (const v of ['v1', 'v2'] as const) {
      const nf = await get(v, 'ws-notfound');
      expect(nf.status).toBe(404);
      expect(nf.body).toMatchObject({ error_code: WORKSPACE_NOT_FOUND_CODE });
      expect((await get(v, 'ws-forbidden')).status).toBe(403);
    }
  });

  it('answers an unknown version with 404 APIGW.0101', async () => {
    const res = await rawGet(fake.url, `/v3/${P}/job/x`, P, { sign: { ak: AK, sk: SK, date: new Date(clock.ms) } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error_code: 'APIGW.0101' });
  });
});
