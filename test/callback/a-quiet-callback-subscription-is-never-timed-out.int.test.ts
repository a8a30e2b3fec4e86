/**
 * Heartbeats under the receiver's strictest reading: a job that does not change for 10 heartbeat
 * intervals (500 ms) must never leave a gap longer than one interval between two messages
 * *arriving* at the receiver, counting from the router's own POST (where a gateway arms its timer),
 * and then still gets its terminal event and `complete`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { startTestServer } from '../helpers/server.js';

const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { previousRawStatus rawStatus terminal } }`;
const INTERVAL_MS = 500;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('a callback subscription whose job stays quiet', () => {
  it('gets a message at least every heartbeat interval for 10 intervals, then its terminal event and complete', async () => {
    const server = await startTestServer({
      env: { JOBS_POLL_MIN_INTERVAL_MS: '50', JOBS_POLL_MAX_INTERVAL_MS: '100' },
    });
    cleanup.push(() => server.stop());
    const receiver = await CallbackReceiver.start();
    cleanup.push(() => receiver.stop());
    server.simulator.jobs.pin('DLI', 'cb-quiet-1', 'RUNNING');
    const ext = receiver.register(INTERVAL_MS);

    const postedAt = performance.now();
    const answer = await subscribeViaCallback(
      server.url,
      WATCH,
      { refs: [{ provider: 'DLI', jobId: 'cb-quiet-1' }] },
      ext,
    );
    expect(answer.body).toEqual({ data: null });
    await new Promise((r) => setTimeout(r, 10 * INTERVAL_MS));
    server.simulator.jobs.pin('DLI', 'cb-quiet-1', 'FINISHED');
    await receiver.until(() => receiver.for(ext.subscriptionId).some((m) => m.action === 'complete'), 5_000);

    const messages = receiver.for(ext.subscriptionId);
    expect(messages.every((m) => m.status >= 200 && m.status < 300)).toBe(true);
    const arrivals = [postedAt, ...messages.map((m) => m.at)];
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    const silence = messages.filter((m) => m.action === 'check');
    // Ten intervals of silence at a check per half interval: about 20 heartbeats.
    expect(silence.length).toBeGreaterThanOrEqual(15);
    expect(Math.max(...gaps), `gaps ${gaps.map((g) => g.toFixed(0)).join(',')}`).toBeLessThan(INTERVAL_MS);
    const nexts = messages.filter((m) => m.action === 'next').map((m) => m.body!.payload);
    expect(nexts).toEqual([
      { data: { jobStatusChanged: { previousRawStatus: null, rawStatus: 'RUNNING', terminal: false } } },
      { data: { jobStatusChanged: { previousRawStatus: 'RUNNING', rawStatus: 'FINISHED', terminal: true } } },
    ]);
    expect(messages.at(-1)!.action).toBe('complete');
    // No heartbeat after complete.
    const completedAt = messages.at(-1)!.at;
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    expect(receiver.for(ext.subscriptionId).filter((m) => m.at > completedAt)).toEqual([]);
  });
});
