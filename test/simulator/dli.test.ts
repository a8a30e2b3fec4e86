import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { createDliFake } from '../../src/simulator/dli.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { DOCUMENTED_HUAWEI_ERRORS, scriptedHuaweiError } from '../../src/simulator/huawei-fake.js';
import { SimulatedJobs } from '../../src/simulator/jobs.js';
import { rawGet } from '../providers/huawei/fake-http.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const AK = 'DLIFAKEAK';
const SK = 'dli-fake-sk';
const P = '48cc2c48765f481480c7db940d6409d1';
const clock = { ms: START };
let fake: FakeProviderServer;

beforeAll(async () => {
  fake = createDliFake({
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
  fake.clearFaults();
});

const get = (jobId: string) =>
  rawGet(fake.url, `/v1.0/${P}/jobs/${jobId}/status`, P, { sign: { ak: AK, sk: SK, date: new Date(clock.ms) } });

describe('DLI fake', () => {
  it('answers with every documented field, in wire types, and a duration that grows', async () => {
    const first = await get('q-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(first.body).sort()).toEqual(
      [
        'bad_row_count',
        'database_name',
        'detail',
        'duration',
        'execution_details_path',
        'input_row_count',
        'input_size',
        'is_success',
        'job_id',
        'job_mode',
        'job_type',
        'message',
        'owner',
        'queue_name',
        'result_count',
        'result_format',
        'result_path',
        'start_time',
        'statement',
        'status',
        'table_name',
        'tags',
        'user_conf',
      ].sort(),
    );
    expect(first.body).toMatchObject({
      is_success: true,
      message: '',
      job_id: 'q-1',
      status: 'LAUNCHING',
      start_time: START,
      duration: 0,
    });
    expect(typeof first.body.detail).toBe('string');
    expect(JSON.parse(first.body.detail as string)).toMatchObject({ type: 'struct', fields: expect.any(Array) });
    expect(typeof first.body.user_conf).toBe('string');
    clock.ms += 2_500;
    expect((await get('q-1')).body).toMatchObject({ status: 'SCALING', duration: 2_500 });
    clock.ms += 60_000;
    expect((await get('q-1')).body).toMatchObject({ status: 'FINISHED', duration: 4_000, result_count: 4 });
  });

  it('answers an unknown job with 400 DLI.0002 and a forbidden one with 403 APIGW.0302', async () => {
    const nf = await get('x-notfound');
    expect(nf.status).toBe(400);
    expect(nf.body).toMatchObject({ error_code: 'DLI.0002' });
    const fb = await get('x-forbidden');
    expect(fb.status).toBe(403);
    expect(fb.body).toMatchObject({ error_code: 'APIGW.0302' });
  });

  it('answers the wrong path or method with 404 APIGW.0101', async () => {
    const res = await rawGet(fake.url, `/v1.0/${P}/jobs/q-1`, P, {
      sign: { ak: AK, sk: SK, date: new Date(clock.ms) },
    });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error_code: 'APIGW.0101' });
  });

  it.each(['DLI.0009', 'DLI.0012', 'DLI.0016', 'DLI.0019'] as const)(
    'answers a scripted %s as documented, with the request id in the body and X-Request-Id',
    async (code) => {
      fake.enqueueAnswers(scriptedHuaweiError(code));
      const res = await get(`scripted-${code}`);
      expect(res.status).toBe(DOCUMENTED_HUAWEI_ERRORS[code].status);
      expect(res.body).toMatchObject({ error_code: code, error_msg: expect.any(String) });
      expect((res.body as { request_id: string }).request_id).toBe(res.headers.get('x-request-id'));
      expect((await get(`scripted-${code}`)).status).toBe(200);
    },
  );

  it('keeps a scripted answer queued past a request the gateway refuses', async () => {
    fake.enqueueAnswers(scriptedHuaweiError('DLI.0009'));
    const denied = await rawGet(fake.url, `/v1.0/${P}/jobs/q-1/status`, P, {
      sign: { ak: AK, sk: 'wrong', date: new Date(clock.ms) },
    });
    expect(denied.body).toMatchObject({ error_code: 'APIGW.0301' });
    expect((await get('q-1')).body).toMatchObject({ error_code: 'DLI.0009' });
  });

  it('rejects a bad signature with 401 APIGW.0301', async () => {
    const res = await rawGet(fake.url, `/v1.0/${P}/jobs/q-1/status`, P, {
      sign: { ak: AK, sk: 'wrong', date: new Date(clock.ms) },
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error_code: 'APIGW.0301' });
  });
});
