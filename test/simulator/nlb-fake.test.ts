import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { HttpTransport } from '../../src/providers/http.js';
import { SimulatedJobs } from '../../src/simulator/jobs.js';
import { SIMULATOR_ALIBABA } from '../../src/simulator/credentials.js';
import { createNlbFake } from '../../src/simulator/nlb.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { rawCall, type RawCall } from '../providers/alibaba/raw-call.js';

const START = Date.parse('2025-01-02T03:04:05Z');
const clock = { ms: START };
const jobs = new SimulatedJobs({ now: () => clock.ms, stepMs: 1_000 });
let fake: FakeProviderServer;
const transport = new HttpTransport();

beforeAll(async () => {
  fake = createNlbFake({ jobs, now: () => clock.ms, credentials: SIMULATOR_ALIBABA });
  await fake.start(0);
});
afterAll(async () => {
  await transport.close();
  await fake.stop();
});

const ok = (over: Partial<RawCall> = {}): RawCall => ({
  method: 'POST',
  action: 'GetJobStatus',
  version: '2022-04-30',
  query: { JobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****', ClientToken: '123e4567-e89b-12d3-a456-426655440000' },
  date: new Date(clock.ms),
  ...over,
});

describe('NLB fake', () => {
  it('answers a valid POST with exactly RequestId and Status', async () => {
    const res = await rawCall(fake, transport, ok());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ RequestId: res.headers['x-acs-request-id'], Status: 'processing' });
  });

  it('moves a job to Succeeded, and a failing one to Failed', async () => {
    await rawCall(fake, transport, ok({ query: { JobId: 'nlb-ok' } }));
    await rawCall(fake, transport, ok({ query: { JobId: 'nlb-fail' } }));
    clock.ms += 2_000;
    const done = await rawCall(fake, transport, ok({ query: { JobId: 'nlb-ok' }, date: new Date(clock.ms) }));
    const failed = await rawCall(fake, transport, ok({ query: { JobId: 'nlb-fail' }, date: new Date(clock.ms) }));
    expect(done.json.Status).toBe('Succeeded');
    expect(failed.json.Status).toBe('Failed');
  });

  it('answers a missing job with the documented 404 ResourceNotFound.JobId envelope', async () => {
    const res = await rawCall(fake, transport, ok({ query: { JobId: 'nlb-notfound' } }));
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({
      Code: 'ResourceNotFound.JobId',
      RequestId: res.headers['x-acs-request-id'],
      HostId: new URL(fake.url).host,
    });
    expect(res.json.Recommend).toContain('q=ResourceNotFound.JobId');
  });

  it('answers a forbidden job with the documented 403 Forbidden.NoPermission', async () => {
    const res = await rawCall(fake, transport, ok({ query: { JobId: 'nlb-forbidden' } }));
    expect(res.status).toBe(403);
    expect(res.json.Code).toBe('Forbidden.NoPermission');
  });

  it('rejects GET with InvalidAction.NotFound (the API is POST only)', async () => {
    const res = await rawCall(fake, transport, ok({ method: 'GET' }));
    expect(res.status).toBe(400);
    expect(res.json.Code).toBe('InvalidAction.NotFound');
  });

  it('rejects the DataWorks version with InvalidVersion', async () => {
    expect((await rawCall(fake, transport, ok({ version: '2024-05-18' }))).json.Code).toBe('InvalidVersion');
  });

  it('rejects a call without JobId with MissingJobId', async () => {
    const res = await rawCall(fake, transport, ok({ query: { ClientToken: 'only-token' } }));
    expect(res.status).toBe(400);
    expect(res.json.Code).toBe('MissingJobId');
  });

  it('rejects a body that differs from the signed payload hash with SignatureDoesNotMatch', async () => {
    const res = await rawCall(
      fake,
      transport,
      ok({
        mutate: (h) => (h['x-acs-content-sha256'] = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856'),
      }),
    );
    expect(res.json.Code).toBe('SignatureDoesNotMatch');
  });

  it('rejects a 20-minute-old timestamp with InvalidTimeStamp.Expired', async () => {
    const res = await rawCall(fake, transport, ok({ date: new Date(clock.ms - 20 * 60_000) }));
    expect(res.status).toBe(400);
    expect(res.json.Code).toBe('InvalidTimeStamp.Expired');
  });
});
