/**
 * Quotas through the real server against the simulator's fakes: a spent daily budget stops the
 * call before it is sent and tells the client when it resets; the rate holds at the fake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mostInAnySecond } from '../helpers/sliding-window.js';

const JOB = `query($ref: JobRef!) { job(ref: $ref) { ... on CloudJob { id rawStatus } } }`;

let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
});

async function server(env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer({ env });
  servers.push(s);
  return s;
}

describe('quotas at the server', () => {
  it('sends no call past a 3-call daily budget and says when the budget resets', async () => {
    const s = await server({ JOBS_DAILY_BUDGET_DATAWORKS: '3', JOBS_QUERY_COALESCE_MS: '0' });
    const fake = s.simulator.fakes.DATAWORKS;
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await s.query(JOB, { ref: { provider: 'DATAWORKS', jobId: `budget-${i}` } }));
    expect(results.slice(0, 3).map((r) => r.errors)).toEqual([undefined, undefined, undefined]);
    expect(results[3]!.errors?.[0]?.extensions).toMatchObject({
      code: 'PROVIDER_QUOTA_EXHAUSTED',
      transient: true,
      resetsAt: expect.stringMatching(/T16:00:00\.000Z$/),
    });
    expect(fake.requests).toHaveLength(3);
    // Other providers have their own budgets.
    expect((await s.query(JOB, { ref: { provider: 'NLB', jobId: 'other-provider' } })).errors).toBeUndefined();
    const metrics = await (await fetch(s.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/jobs_quota_daily_used\{provider="DATAWORKS",account="default",region="cn-hangzhou"\} 3/);
    expect(metrics).toMatch(/jobs_quota_daily_budget\{provider="DATAWORKS",account="default",region="cn-hangzhou"\} 3/);
  });

  it('keeps 8 concurrent DataWorks refs to 5 calls in any sliding second at the fake', async () => {
    const s = await server({ JOBS_RATE_LIMIT_DATAWORKS_PER_SEC: '5', JOBS_RATE_LIMIT_DATAWORKS_BURST: '1' });
    const fake = s.simulator.fakes.DATAWORKS;
    const refs = Array.from({ length: 8 }, (_, i) => ({ provider: 'DATAWORKS', jobId: `rate-${i}` }));
    const r = await s.query<{ jobs: unknown[] }>(
      `query($refs: [JobRef!]!) { jobs(refs: $refs) { ... on CloudJob { id } } }`,
      { refs },
    );
    // 4 calls a second get through; those that would wait past 2 s are refused without a call.
    const refused = (r.errors ?? []).filter((e) => e.extensions?.code === 'PROVIDER_THROTTLED');
    expect(r.data?.jobs.filter(Boolean).length).toBe(8 - refused.length);
    expect(r.data?.jobs.filter(Boolean).length).toBeGreaterThanOrEqual(7);
    expect(mostInAnySecond(fake.requests.map((q) => q.receivedAt))).toBeLessThanOrEqual(5);
  });
});
