/**
 * How fresh an answer is: a query's job says when this service fetched it (a cached answer keeps
 * its original time), and a subscription's events say when the job was observed and when it will
 * be polled next.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const JOB = `query($ref: JobRef!) { job(ref: $ref) { ... on CloudJob { rawStatus observedAt } } }`;
const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { rawStatus terminal at observedAt nextPollAt } }`;

let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
});

describe('freshness', () => {
  it('gives a queried job the time it was fetched, and a cached answer its original time', async () => {
    const s = await startTestServer({ env: { JOBS_QUERY_COALESCE_MS: '5000' } });
    servers.push(s);
    const before = Date.now();
    const first = await s.query<{ job: { observedAt: string } }>(JOB, { ref: { provider: 'NLB', jobId: 'fresh-1' } });
    const after = Date.now();
    const at = Date.parse(first.data!.job.observedAt);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    await new Promise((r) => setTimeout(r, 50));
    const again = await s.query<{ job: { observedAt: string } }>(JOB, { ref: { provider: 'NLB', jobId: 'fresh-1' } });
    expect(again.data!.job.observedAt).toBe(first.data!.job.observedAt);
  });

  it('says on each event when the job was observed and when it will be polled next, null at the end', async () => {
    const s = await startTestServer({
      env: { JOBS_SIMULATOR_STEP_MS: '300', JOBS_POLL_MIN_INTERVAL_MS: '100', JOBS_POLL_MAX_INTERVAL_MS: '200' },
    });
    servers.push(s);
    const client = connect(s.wsUrl);
    const sub = subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: 'fresh-watch' }] });
    await sub.completed;
    await client.dispose();
    const events = sub.results.map(
      (r) =>
        r.data?.jobStatusChanged as { terminal: boolean; at: string; observedAt: string; nextPollAt: string | null },
    );
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) {
      expect(Date.parse(e.observedAt)).toBeLessThanOrEqual(Date.parse(e.at));
      if (e.terminal) expect(e.nextPollAt).toBeNull();
      else expect(Date.parse(e.nextPollAt!)).toBeGreaterThanOrEqual(Date.parse(e.observedAt));
    }
    expect(events.at(-1)!.terminal).toBe(true);
  });
});
