import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { HttpTransport } from '../../src/providers/http.js';
import { SimulatedJobs } from '../../src/simulator/jobs.js';
import { SIMULATOR_ALIBABA } from '../../src/simulator/credentials.js';
import { createDataWorksFake } from '../../src/simulator/dataworks.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { scriptedAlibabaError } from '../../src/simulator/alibaba-fake.js';
import { rawCall, type RawCall } from '../providers/alibaba/raw-call.js';

const START = Date.parse('2025-01-02T03:04:05Z');
const clock = { ms: START };
const jobs = new SimulatedJobs({ now: () => clock.ms, stepMs: 1_000 });
let fake: FakeProviderServer;
const transport = new HttpTransport();

beforeAll(async () => {
  fake = createDataWorksFake({ jobs, now: () => clock.ms, credentials: SIMULATOR_ALIBABA });
  await fake.start(0);
});
afterAll(async () => {
  await transport.close();
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
  fake.clearFaults();
});

const ok = (over: Partial<RawCall> = {}): RawCall => ({
  method: 'GET',
  action: 'GetJobStatus',
  version: '2024-05-18',
  query: { JobId: 'job-1' },
  date: new Date(clock.ms),
  ...over,
});

/** Asserts the documented envelope: all five fields, request id also in x-acs-request-id. */
function expectEnvelope(
  res: { status: number; headers: Record<string, string>; json: Record<string, unknown> },
  status: number,
  code: string,
): void {
  expect(res.status).toBe(status);
  expect(Object.keys(res.json).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
  expect(res.json.Code).toBe(code);
  expect(res.json.RequestId).toBe(res.headers['x-acs-request-id']);
  expect(res.json.HostId).toBe(new URL(fake.url).host);
  expect(res.json.Recommend).toContain(`q=${code}`);
  expect(typeof res.json.Message).toBe('string');
}

describe('DataWorks fake', () => {
  it('answers a valid call with every documented field in its wire type', async () => {
    const res = await rawCall(fake, transport, ok({ query: { JobId: 'wire-types' } }));
    expect(res.status).toBe(200);
    expect(res.json.RequestId).toBe(res.headers['x-acs-request-id']);
    expect(res.json.JobStatus).toEqual({
      JobId: 'wire-types',
      JobType: 'Create',
      Completed: 'False',
      Status: 'Running',
      Error: '',
      CreateTime: START,
    });
  });

  it('keeps CreateTime fixed and sets Completed "True" once the job is done', async () => {
    await rawCall(fake, transport, ok({ query: { JobId: 'stable-time' } }));
    clock.ms += 3_000;
    const res = await rawCall(fake, transport, ok({ query: { JobId: 'stable-time' }, date: new Date(clock.ms) }));
    expect(res.json.JobStatus).toMatchObject({ Status: 'Success', Completed: 'True', CreateTime: START });
  });

  it('answers a missing job with 404 ResourceNotFound.JobId', async () => {
    expectEnvelope(
      await rawCall(fake, transport, ok({ query: { JobId: 'x-notfound' } })),
      404,
      'ResourceNotFound.JobId',
    );
  });

  it('answers a forbidden job with 403 Forbidden.RAM', async () => {
    expectEnvelope(await rawCall(fake, transport, ok({ query: { JobId: 'x-forbidden' } })), 403, 'Forbidden.RAM');
  });

  it('rejects a reused nonce with SignatureNonceUsed', async () => {
    const first = await rawCall(fake, transport, ok({ nonce: 'reused-nonce-1' }));
    expect(first.status).toBe(200);
    expectEnvelope(await rawCall(fake, transport, ok({ nonce: 'reused-nonce-1' })), 400, 'SignatureNonceUsed');
  });

  it('forgets a nonce once it is older than the 15-minute window', async () => {
    expect((await rawCall(fake, transport, ok({ nonce: 'old-nonce-1' }))).status).toBe(200);
    clock.ms += 16 * 60_000;
    expect((await rawCall(fake, transport, ok({ nonce: 'old-nonce-1', date: new Date(clock.ms) }))).status).toBe(200);
  });

  it('does not use up a nonce on a rejected request', async () => {
    const bad = await rawCall(fake, transport, ok({ nonce: 'nonce-after-bad', secret: 'wrong' }));
    expect(bad.json.Code).toBe('SignatureDoesNotMatch');
    expect((await rawCall(fake, transport, ok({ nonce: 'nonce-after-bad' }))).status).toBe(200);
  });

  it('rejects an unknown access key with 404 InvalidAccessKeyId.NotFound', async () => {
    expectEnvelope(
      await rawCall(fake, transport, ok({ accessKeyId: 'UNKNOWNKEY' })),
      404,
      'InvalidAccessKeyId.NotFound',
    );
  });

  it('rejects a wrong secret with 400 SignatureDoesNotMatch', async () => {
    expectEnvelope(await rawCall(fake, transport, ok({ secret: 'not-the-secret' })), 400, 'SignatureDoesNotMatch');
  });

  it('accepts a timestamp 14 minutes off and rejects one 16 minutes off with InvalidTimeStamp.Expired', async () => {
    expect((await rawCall(fake, transport, ok({ date: new Date(START - 14 * 60_000) }))).status).toBe(200);
    expectEnvelope(
      await rawCall(fake, transport, ok({ date: new Date(START + 16 * 60_000) })),
      400,
      'InvalidTimeStamp.Expired',
    );
  });

  it('rejects a malformed x-acs-date with InvalidTimeStamp.Format', async () => {
    const res = await rawCall(fake, transport, ok({ mutate: (h) => (h['x-acs-date'] = '2025-01-02 03:04:05') }));
    expectEnvelope(res, 400, 'InvalidTimeStamp.Format');
  });

  it('rejects a request without Authorization, or missing a signed header, with IncompleteSignature', async () => {
    expectEnvelope(
      await rawCall(fake, transport, ok({ mutate: (h) => delete h.authorization })),
      400,
      'IncompleteSignature',
    );
    expectEnvelope(
      await rawCall(fake, transport, ok({ mutate: (h) => delete h['x-acs-signature-nonce'] })),
      400,
      'IncompleteSignature',
    );
  });

  it('rejects a wrong action, method or path with InvalidAction.NotFound', async () => {
    expectEnvelope(await rawCall(fake, transport, ok({ action: 'ListJobs' })), 400, 'InvalidAction.NotFound');
    expectEnvelope(await rawCall(fake, transport, ok({ method: 'POST' })), 400, 'InvalidAction.NotFound');
    expectEnvelope(await rawCall(fake, transport, ok({ path: '/v1/jobs' })), 400, 'InvalidAction.NotFound');
  });

  it('rejects a wrong version with InvalidVersion', async () => {
    expectEnvelope(await rawCall(fake, transport, ok({ version: '2020-05-18' })), 400, 'InvalidVersion');
  });

  it('rejects a call without JobId with MissingJobId', async () => {
    expectEnvelope(await rawCall(fake, transport, ok({ query: {} })), 400, 'MissingJobId');
  });

  it.each([
    ['Throttling.User', 429],
    ['Throttling.Api.Risk', 429],
    ['Throttling.Resource', 429],
    ['Forbidden.Not.Server', 500],
  ] as const)(
    'answers a scripted %s (HTTP %i) in the documented envelope, once the gateway checks pass',
    async (code, status) => {
      fake.enqueueAnswers(scriptedAlibabaError(code));
      expectEnvelope(await rawCall(fake, transport, ok()), status, code);
      // Used up by that one request: the next is answered from the job again.
      expect((await rawCall(fake, transport, ok())).status).toBe(200);
    },
  );

  it('keeps a scripted answer queued past a request the gateway refuses', async () => {
    fake.enqueueAnswers(scriptedAlibabaError('Throttling.Api.Risk', { 'x-acs-retry-after': '5000' }));
    expectEnvelope(await rawCall(fake, transport, ok({ secret: 'not-the-secret' })), 400, 'SignatureDoesNotMatch');
    const res = await rawCall(fake, transport, ok());
    expectEnvelope(res, 429, 'Throttling.Api.Risk');
    expect(res.headers['x-acs-retry-after']).toBe('5000');
  });

  it("answers a scripted success body with this request's RequestId (the page's sample: Success with an Error)", async () => {
    fake.enqueueAnswers({
      status: 200,
      body: {
        JobStatus: { JobId: 'job-1', JobType: 'Create', Completed: 'False', Status: 'Success', Error: 'Not Found' },
      },
    });
    const res = await rawCall(fake, transport, ok());
    expect(res.status).toBe(200);
    expect(res.json.RequestId).toBe(res.headers['x-acs-request-id']);
    expect(res.json.JobStatus).toMatchObject({ Status: 'Success', Error: 'Not Found' });
  });

  it('records every request it receives', async () => {
    fake.resetRequests();
    await rawCall(fake, transport, ok({ query: { JobId: 'recorded' } }));
    expect(fake.requests.map((r) => r.query.get('JobId'))).toEqual(['recorded']);
  });
});
