import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../src/providers/types.js';
import { SIMULATOR_HUAWEI_PROJECT_ID } from '../../src/simulator/credentials.js';
import { ALL_JOB_FIELDS } from '../helpers/fragments.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  for (const f of Object.values(server.simulator.fakes)) {
    f.resetRequests();
    f.clearFaults();
    f.latencyMs = 0;
  }
});

const JOB = `query($ref: JobRef!) { job(ref: $ref) { ${ALL_JOB_FIELDS} } }`;
const JOBS = `query($refs: [JobRef!]!) { jobs(refs: $refs) { __typename ... on CloudJob { id jobId state rawStatus } } }`;

describe('Query.job against the simulator', () => {
  it.each(PROVIDERS)('answers a %s job with its typed fields over a signed request', async (provider) => {
    const res = await server.query<{ job: Record<string, unknown> }>(JOB, {
      ref: { provider, jobId: `job-${provider.toLowerCase()}-1` },
    });
    expect(res.errors).toBeUndefined();
    const job = res.data!.job;
    expect(job.provider).toBe(provider);
    expect(job.jobId).toBe(`job-${provider.toLowerCase()}-1`);
    expect(['PENDING', 'RUNNING']).toContain(job.state);
    expect(job.terminal).toBe(false);
    expect(typeof job.rawStatus).toBe('string');
    expect(job.id).toMatch(new RegExp(`^${provider}:[a-z0-9-]+:(-|[0-9a-f]{32}):job-`));
    expect(job.providerRequestId).toEqual(expect.any(String));
    expect(server.simulator.fakes[provider].requests).toHaveLength(1);
  });

  it('reports a job the provider does not know as JOB_NOT_FOUND with the provider and its request id', async () => {
    for (const provider of PROVIDERS) {
      const res = await server.query(JOB, { ref: { provider, jobId: 'job-notfound-1' } });
      expect(res.data?.job).toBeNull();
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'JOB_NOT_FOUND', provider });
      expect(res.errors?.[0]?.path).toEqual(['job']);
    }
  });

  it('reports a forbidden job as PROVIDER_FORBIDDEN', async () => {
    for (const provider of PROVIDERS) {
      const res = await server.query(JOB, { ref: { provider, jobId: 'job-forbidden-1' } });
      expect(res.errors?.[0]?.extensions?.code).toBe('PROVIDER_FORBIDDEN');
    }
  });

  it('rejects a malformed ref with BAD_USER_INPUT before any provider call', async () => {
    const res = await server.query(JOB, { ref: { provider: 'DLI', jobId: '../../etc/passwd' } });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const res2 = await server.query(JOB, { ref: { provider: 'CFW', jobId: 'x', projectId: 'NOT-A-PROJECT' } });
    expect(res2.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(server.providerCalls()).toBe(0);
  });

  it('rejects an unknown provider enum value as a validation error', async () => {
    const res = await server.query(JOB, { ref: { provider: 'AWS', jobId: 'x' } });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('Query.jobs', () => {
  it('keeps input order and nulls only the failed refs, each error at its own index', async () => {
    const refs = [
      { provider: 'DLI', jobId: 'a-1' },
      { provider: 'NLB', jobId: 'b-notfound' },
      { provider: 'CFW', jobId: 'c-1' },
      { provider: 'DLI', jobId: 'bad id' },
      { provider: 'WORKSPACE', jobId: 'e-1' },
    ];
    const res = await server.query<{ jobs: ({ jobId: string } | null)[] }>(JOBS, { refs });
    expect(res.data!.jobs.map((j) => j?.jobId ?? null)).toEqual(['a-1', null, 'c-1', null, 'e-1']);
    const byPath = Object.fromEntries((res.errors ?? []).map((e) => [e.path!.join('.'), e.extensions!.code]));
    expect(byPath).toEqual({ 'jobs.1': 'JOB_NOT_FOUND', 'jobs.3': 'BAD_USER_INPUT' });
  });

  it('keeps the other providers working while one provider is down', async () => {
    const unavailable = {
      status: 503,
      body: {
        RequestId: 'r',
        Code: 'ServiceUnavailable',
        Message: 'The request has failed due to a temporary failure of the server.',
      },
    };
    // More failures than the default 3 attempts, so the retries cannot rescue it.
    server.simulator.fakes.NLB.enqueueFaults(unavailable, unavailable, unavailable, unavailable);
    const refs = PROVIDERS.map((provider) => ({ provider, jobId: `partial-${provider}` }));
    const res = await server.query<{ jobs: ({ jobId: string } | null)[] }>(JOBS, { refs });
    expect(res.data!.jobs.map((j) => j === null)).toEqual(PROVIDERS.map((p) => p === 'NLB'));
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({
      path: ['jobs', 1],
      extensions: { code: 'PROVIDER_UNAVAILABLE', provider: 'NLB' },
    });
  });

  it('fetches the same job once per request however often it is asked for', async () => {
    const ref = { provider: 'DLI', jobId: 'dedup-1' };
    const q = `query($ref: JobRef!, $refs: [JobRef!]!) { a: job(ref: $ref) { __typename } b: job(ref: $ref) { __typename } jobs(refs: $refs) { __typename } }`;
    const res = await server.query(q, {
      ref,
      refs: [ref, ref, { ...ref, projectId: SIMULATOR_HUAWEI_PROJECT_ID, region: 'cn-north-4' }],
    });
    expect(res.errors).toBeUndefined();
    expect(server.simulator.fakes.DLI.requests).toHaveLength(1);
  });

  it('fetches 50 distinct jobs concurrently, capped at JOBS_PROVIDER_CONCURRENCY per provider (about ceil(50/16) round trips)', async () => {
    // The cap is set explicitly: the default (64) is above what 50 refs of one provider need.
    const capped = await startTestServer({ env: { JOBS_PROVIDER_CONCURRENCY: '16' } });
    try {
      const dli = capped.simulator.fakes.DLI;
      dli.latencyMs = 100;
      const refs = Array.from({ length: 50 }, (_, i) => ({ provider: 'DLI', jobId: `conc-${i}` }));
      const res = await capped.query<{ jobs: unknown[] }>(JOBS, { refs });
      expect(res.errors).toBeUndefined();
      expect(res.data!.jobs).toHaveLength(50);
      expect(dli.requests).toHaveLength(50);
      expect(dli.maxConcurrent).toBe(16);
    } finally {
      await capped.stop();
    }
  });

  it('sends a full jobs query (100 refs over the five providers) in one wave with the default cap', async () => {
    // Long enough that every request of the batch is sent before the first answer comes back.
    for (const f of Object.values(server.simulator.fakes)) f.latencyMs = 300;
    const refs = Array.from({ length: 100 }, (_, i) => ({ provider: PROVIDERS[i % 5]!, jobId: `wave-${i}` }));
    const res = await server.query<{ jobs: unknown[] }>(JOBS, { refs });
    expect(res.errors).toBeUndefined();
    expect(res.data!.jobs).toHaveLength(100);
    // 20 refs per provider, all in flight together: none waited for another's round trip.
    for (const f of Object.values(server.simulator.fakes)) expect(f.maxConcurrent).toBe(20);
  });

  it('refuses more refs than configured with BAD_USER_INPUT and no provider call', async () => {
    const refs = Array.from({ length: 101 }, (_, i) => ({ provider: 'NLB', jobId: `many-${i}` }));
    const res = await server.query(JOBS, { refs });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(server.providerCalls()).toBe(0);
  });
});
