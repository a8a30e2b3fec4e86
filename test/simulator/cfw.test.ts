import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { createCfwFake } from '../../src/simulator/cfw.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { scriptedHuaweiError } from '../../src/simulator/huawei-fake.js';
import { SimulatedJobs } from '../../src/simulator/jobs.js';
import { rawGet } from '../providers/huawei/fake-http.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const AK = 'CFWFAKEAK';
const SK = 'cfw-fake-sk';
const P = '09bb24e6fe80d23d2fa2c010b53b418c';
const clock = { ms: START };
let fake: FakeProviderServer;
let tokenlessFake: FakeProviderServer;

beforeAll(async () => {
  const jobs = new SimulatedJobs({ now: () => clock.ms, stepMs: 1_000 });
  fake = createCfwFake({ jobs, now: () => clock.ms, auth: { ak: AK, sk: SK }, token: 'good-token' });
  tokenlessFake = createCfwFake({ jobs, now: () => clock.ms, auth: { ak: AK, sk: SK } });
  await Promise.all([fake.start(), tokenlessFake.start()]);
});
afterAll(async () => {
  await Promise.all([fake.stop(), tokenlessFake.stop()]);
});
beforeEach(() => {
  clock.ms = START;
  fake.clearFaults();
});

const signed = (date = new Date(clock.ms)) => ({ sign: { ak: AK, sk: SK, date } });

describe('CFW fake', () => {
  it('answers a signed lookup with the doc body shape, times as epoch-ms numbers, and X-Request-Id', async () => {
    const running = await rawGet(fake.url, `/v3/${P}/jobs/job-a`, P, signed());
    expect(running.status).toBe(200);
    expect(running.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(running.body).toEqual({ data: { begin_time: START, id: 'job-a', status: 'Running' } });
    clock.ms += 1_000;
    const done = await rawGet(fake.url, `/v3/${P}/jobs/job-a`, P, signed());
    expect(done.body).toEqual({ data: { begin_time: START, end_time: START + 1_000, id: 'job-a', status: 'Success' } });
  });

  it('answers an unknown job with 400 CFW.00200005 and a forbidden one with 403 APIGW.0302', async () => {
    const nf = await rawGet(fake.url, `/v3/${P}/jobs/x-notfound`, P, signed());
    expect(nf.status).toBe(400);
    expect(nf.body).toMatchObject({
      error_code: 'CFW.00200005',
      error_msg: expect.any(String),
      request_id: nf.headers.get('x-request-id'),
    });
    const fb = await rawGet(fake.url, `/v3/${P}/jobs/x-forbidden`, P, signed());
    expect(fb.status).toBe(403);
    expect(fb.body).toMatchObject({ error_code: 'APIGW.0302' });
  });

  it('answers an unknown path or a wrong method with 404 APIGW.0101', async () => {
    for (const [path, method] of [
      [`/v2/${P}/jobs/j`, 'GET'],
      [`/v3/${P}/jobs/j/extra`, 'GET'],
      [`/v3/${P}/jobs/j`, 'POST'],
    ] as const) {
      const res = await rawGet(fake.url, path, P, { ...signed(), method });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error_code: 'APIGW.0101' });
    }
  });

  it('answers a request without credentials with 401 APIGW.0301 "x-auth-token not found"', async () => {
    const res = await rawGet(fake.url, `/v3/${P}/jobs/j`, P);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      error_code: 'APIGW.0301',
      error_msg: expect.stringContaining('x-auth-token not found'),
    });
  });

  it('answers a wrong secret or unknown AK with 401 APIGW.0301 "verify aksk signature fail"', async () => {
    for (const sign of [
      { ak: AK, sk: 'wrong', date: new Date(clock.ms) },
      { ak: 'OTHERAK', sk: SK, date: new Date(clock.ms) },
    ]) {
      const res = await rawGet(fake.url, `/v3/${P}/jobs/j`, P, { sign });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        error_code: 'APIGW.0301',
        error_msg: expect.stringContaining('verify aksk signature fail'),
      });
    }
  });

  it('answers a signature dated 20 minutes ago with 401 APIGW.0303 "signature expired"', async () => {
    const res = await rawGet(fake.url, `/v3/${P}/jobs/j`, P, signed(new Date(clock.ms - 20 * 60_000)));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      error_code: 'APIGW.0303',
      error_msg: expect.stringContaining('signature expired'),
    });
  });

  it('requires X-Project-Id to name the path project for AK/SK calls', async () => {
    const res = await rawGet(fake.url, `/v3/${P}/jobs/j`, 'another-project', signed());
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error_code: 'APIGW.0301' });
  });

  it('accepts only the configured X-Auth-Token, and no token when none is configured', async () => {
    expect((await rawGet(fake.url, `/v3/${P}/jobs/tok`, P, { headers: { 'X-Auth-Token': 'good-token' } })).status).toBe(
      200,
    );
    expect((await rawGet(fake.url, `/v3/${P}/jobs/tok`, P, { headers: { 'X-Auth-Token': 'bad-token' } })).status).toBe(
      401,
    );
    expect(
      (await rawGet(tokenlessFake.url, `/v3/${P}/jobs/tok`, P, { headers: { 'X-Auth-Token': 'good-token' } })).status,
    ).toBe(401);
  });

  it('answers a scripted CFW.00109004 as documented (HTTP 400), then the job again', async () => {
    fake.enqueueAnswers(scriptedHuaweiError('CFW.00109004'));
    const res = await rawGet(fake.url, `/v3/${P}/jobs/job-s`, P, signed());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error_code: 'CFW.00109004', request_id: res.headers.get('x-request-id') });
    expect((await rawGet(fake.url, `/v3/${P}/jobs/job-s`, P, signed())).status).toBe(200);
  });

  it('records every request it receives', async () => {
    fake.resetRequests();
    await rawGet(fake.url, `/v3/${P}/jobs/rec`, P, signed());
    expect(fake.requests.map((r) => [r.method, r.path])).toEqual([['GET', `/v3/${P}/jobs/rec`]]);
  });
});
