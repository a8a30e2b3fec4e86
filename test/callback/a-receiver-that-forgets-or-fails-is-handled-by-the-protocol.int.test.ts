/**
 * What the emitter does with the receiver's failures: a 404 (the router forgot the subscription)
 * stops it at once and releases its poller; 500s are retried with backoff without losing or
 * reordering a message; a receiver that answers nothing but 5xx is given up on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackReceiver, startServerAndReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { waitUntil } from '../helpers/wait.js';

const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { previousRawStatus rawStatus } }`;
const INTERVAL_MS = 500;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(env: Record<string, string> = {}) {
  const started = await startServerAndReceiver({ env });
  cleanup.push(started.stop);
  return started;
}

const refs = (jobId: string) => ({ refs: [{ provider: 'DLI', jobId }] });
const seen = (receiver: CallbackReceiver, id: string) =>
  receiver
    .accepted(id)
    .filter((m) => m.action === 'next')
    .map((m) => {
      const c = (
        m.body!.payload as { data: { jobStatusChanged: { previousRawStatus: string | null; rawStatus: string } } }
      ).data.jobStatusChanged;
      return `${c.previousRawStatus ?? '∅'}→${c.rawStatus}`;
    });

describe('a callback receiver', () => {
  it('answering 404 stops the subscription and its poller within one heartbeat interval', async () => {
    const { server, receiver } = await setup();
    server.simulator.jobs.pin('DLI', 'cb-forgotten', 'RUNNING');
    const ext = receiver.register(INTERVAL_MS);
    expect((await subscribeViaCallback(server.url, WATCH, refs('cb-forgotten'), ext)).body).toEqual({ data: null });
    await receiver.until(() => receiver.accepted(ext.subscriptionId).some((m) => m.action === 'next'));
    expect(await server.pollersActive()).toBe(1);

    const forgottenAt = performance.now();
    receiver.forget(ext.subscriptionId);
    await waitUntil(async () => (await server.pollersActive()) === 0, 2 * INTERVAL_MS, 10);
    const stoppedAfter = performance.now() - forgottenAt;
    expect(await server.pollersActive()).toBe(0);
    expect(stoppedAfter).toBeLessThan(INTERVAL_MS + 100); // the next heartbeat is due within half of it
    expect(await server.metricsText()).toMatch(/^jobs_subscriptions_active\{transport="callback"\} 0$/m);
    // Exactly one message got the 404, and nothing was sent after it (no complete, no retry).
    const after = receiver.for(ext.subscriptionId).filter((m) => m.at >= forgottenAt);
    expect(after.map((m) => m.status)).toEqual([404]);
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    expect(receiver.for(ext.subscriptionId).filter((m) => m.at >= forgottenAt)).toHaveLength(1);
    expect(await server.metricsText()).toMatch(
      /^jobs_callback_messages_total\{action="check",outcome="not_found"\} 1$/m,
    );
  });

  it('answering 500 twice then 200 loses nothing: every transition arrives once, in order', async () => {
    const { server, receiver } = await setup();
    server.simulator.jobs.pin('DLI', 'cb-flaky', 'LAUNCHING');
    const ext = receiver.register(0);
    expect((await subscribeViaCallback(server.url, WATCH, refs('cb-flaky'), ext)).body).toEqual({ data: null });
    await receiver.until(() => seen(receiver, ext.subscriptionId).length === 1);
    receiver.failNext(ext.subscriptionId, 500, 2);
    // Two transitions while the receiver fails: the second queues behind the first's retries.
    server.simulator.jobs.pin('DLI', 'cb-flaky', 'RUNNING');
    await waitUntil(() => receiver.for(ext.subscriptionId).some((m) => m.status === 500));
    await new Promise((r) => setTimeout(r, 100));
    server.simulator.jobs.pin('DLI', 'cb-flaky', 'FINISHED');
    await receiver.until(() => receiver.for(ext.subscriptionId).some((m) => m.action === 'complete'), 5_000);

    const messages = receiver.for(ext.subscriptionId);
    expect(messages.map((m) => `${m.action}:${m.status}`)).toEqual([
      'check:204',
      'next:200',
      'next:500',
      'next:500',
      'next:200',
      'next:200',
      'complete:202',
    ]);
    expect(seen(receiver, ext.subscriptionId)).toEqual(['∅→LAUNCHING', 'LAUNCHING→RUNNING', 'RUNNING→FINISHED']);
    // The same message, retried with backoff (100 ms, then 200 ms).
    const [first, second, third] = messages.slice(2, 5);
    expect(second!.body).toEqual(first!.body);
    expect(third!.body).toEqual(first!.body);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(90);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(190);
    const metrics = await server.metricsText();
    expect(metrics).toMatch(/^jobs_callback_messages_total\{action="next",outcome="server_error"\} 2$/m);
    expect(metrics).toMatch(/^jobs_callback_messages_total\{action="next",outcome="ok"\} 3$/m);
  });

  it('answering nothing but 500 is given up on after JOBS_CALLBACK_MAX_ATTEMPTS, and the poller is released', async () => {
    const { server, receiver } = await setup({ JOBS_CALLBACK_MAX_ATTEMPTS: '3' });
    server.simulator.jobs.pin('DLI', 'cb-down', 'RUNNING');
    const ext = receiver.register(0);
    receiver.failNext(ext.subscriptionId, 204, 1); // the initial check passes
    receiver.failNext(ext.subscriptionId, 503, 100);
    expect((await subscribeViaCallback(server.url, WATCH, refs('cb-down'), ext)).body).toEqual({ data: null });
    await waitUntil(async () => (await server.pollersActive()) === 0, 3_000, 20);
    expect(await server.pollersActive()).toBe(0);
    expect(receiver.for(ext.subscriptionId).map((m) => `${m.action}:${m.status}`)).toEqual([
      'check:204',
      'next:503',
      'next:503',
      'next:503',
    ]);
  });

  it('answering the initial check with anything but 204 gets the router a 4xx, and no poller or subscription remains', async () => {
    const { server, receiver } = await setup();
    const ext = receiver.register(INTERVAL_MS);
    const wrongVerifier = { ...ext, verifier: 'not-the-verifier' };
    const refused = await subscribeViaCallback(server.url, WATCH, refs('cb-refused'), wrongVerifier);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errors: [{ extensions: { code: 'CALLBACK_CHECK_FAILED' } }] });
    expect(receiver.for(ext.subscriptionId).map((m) => `${m.action}:${m.status}`)).toEqual(['check:401']);

    const ok204 = receiver.register(INTERVAL_MS);
    receiver.failNext(ok204.subscriptionId, 200, 1); // 200 is not 204
    const notExactly = await subscribeViaCallback(server.url, WATCH, refs('cb-refused'), ok204);
    expect(notExactly.status).toBe(400);

    const unknown = { ...receiver.register(INTERVAL_MS), subscriptionId: 'never-registered' };
    unknown.callbackUrl = `${receiver.baseUrl}/callback/never-registered`;
    expect((await subscribeViaCallback(server.url, WATCH, refs('cb-refused'), unknown)).status).toBe(400);

    expect(await server.pollersActive()).toBe(0);
    expect(await server.metricsText()).toMatch(/^jobs_subscriptions_active\{transport="callback"\} 0$/m);
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
    expect(receiver.messages).toHaveLength(3); // no heartbeat for a subscription that never started
  });
});
