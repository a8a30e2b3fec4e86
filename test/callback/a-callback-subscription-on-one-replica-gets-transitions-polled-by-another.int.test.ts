/**
 * Scale-out with Redis: a callback subscription held by replica A receives the transitions that
 * replica B polls (B holds the job's lease; A polls nothing), once each and in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/simulator/index.js';
import { CallbackReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { redisSkipReason, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const skip = await redisSkipReason();
const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { previousRawStatus rawStatus } }`;

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const readyz = async (s: TestServer) => (await fetch(s.url.replace('/graphql', '/readyz'))).status;

describe.skipIf(skip !== null)(skip ? `two replicas on Redis — ${skip}` : 'two replicas on Redis', () => {
  it('deliver the transitions replica B polls to a callback subscription on replica A, once each and in order', async () => {
    const simulator = await startSimulator({ stepMs: 60_000 });
    cleanup.push(() => simulator.stop());
    const prefix = uniquePrefix();
    const [a, b] = await Promise.all(
      ['replica-a', 'replica-b'].map((replicaId) =>
        startTestServer({
          simulator,
          replicaId,
          env: {
            REDIS_URL: TEST_REDIS_URL,
            REDIS_PREFIX: prefix,
            JOBS_LEASE_MS: '1000',
            JOBS_POLL_MIN_INTERVAL_MS: '50',
            JOBS_POLL_MAX_INTERVAL_MS: '100',
          },
        }),
      ),
    );
    cleanup.push(
      () => a!.stop(),
      () => b!.stop(),
    );
    for (const s of [a!, b!]) await waitUntil(async () => (await readyz(s)) === 200, 3_000, 20);
    const receiver = await CallbackReceiver.start();
    cleanup.push(() => receiver.stop());
    const refs = [{ provider: 'DLI', jobId: 'cb-scale-1' }];
    simulator.jobs.pin('DLI', 'cb-scale-1', 'LAUNCHING');

    // B watches the job first, so B holds its lease and polls it.
    const client = connect(b!.wsUrl);
    cleanup.push(() => client.dispose());
    const onB = subscribe(client, WATCH, { refs });
    await onB.next();
    expect(await b!.pollersActive()).toBe(1);

    const ext = receiver.register(1_000);
    expect((await subscribeViaCallback(a!.url, WATCH, { refs }, ext)).body).toEqual({ data: null });
    const nexts = () => receiver.accepted(ext.subscriptionId).filter((m) => m.action === 'next');
    await receiver.until(() => nexts().length === 1);
    expect(await a!.pollersActive()).toBe(0);

    for (const status of ['RUNNING', 'SCALING', 'RUNNING', 'FINISHED']) {
      const before = nexts().length;
      simulator.jobs.pin('DLI', 'cb-scale-1', status);
      await receiver.until(() => nexts().length > before, 5_000);
    }
    await receiver.until(() => receiver.for(ext.subscriptionId).some((m) => m.action === 'complete'), 5_000);
    expect(await a!.pollersActive()).toBe(0);
    const seen = nexts().map((m) => {
      const c = (
        m.body!.payload as { data: { jobStatusChanged: { previousRawStatus: string | null; rawStatus: string } } }
      ).data.jobStatusChanged;
      return `${c.previousRawStatus ?? '∅'}→${c.rawStatus}`;
    });
    expect(seen).toEqual([
      '∅→LAUNCHING',
      'LAUNCHING→RUNNING',
      'RUNNING→SCALING',
      'SCALING→RUNNING',
      'RUNNING→FINISHED',
    ]);
    expect(receiver.for(ext.subscriptionId).at(-1)).toMatchObject({ action: 'complete', status: 202 });
    await onB.completed;
  });
});
