/**
 * Two things a router can do that must not grow the subgraph without bound: take messages more
 * slowly than the jobs change (the outbox is capped by JOBS_CALLBACK_MAX_QUEUED_BYTES, then the
 * subscription completes with SUBSCRIBER_TOO_SLOW), and subscribe again with a callback URL that is
 * still live (the new subscription replaces the old one instead of doubling every message).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServerAndReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { waitUntil } from '../helpers/wait.js';

const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { previousRawStatus rawStatus job { ... on CloudJob { id } } } }`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(env: Record<string, string> = {}) {
  const started = await startServerAndReceiver({ env });
  cleanup.push(started.stop);
  return started;
}

describe('a callback subscription', () => {
  it('whose receiver falls behind by more than JOBS_CALLBACK_MAX_QUEUED_BYTES completes with SUBSCRIBER_TOO_SLOW and releases its pollers', async () => {
    const { server, receiver } = await setup({ JOBS_CALLBACK_MAX_QUEUED_BYTES: '4096' });
    const ids = Array.from({ length: 10 }, (_, i) => `cb-slow-${i}`);
    for (const id of ids) server.simulator.jobs.pin('DLI', id, 'LAUNCHING');
    const ext = receiver.register(0);
    receiver.delayNext(ext.subscriptionId, 0, 1); // the initial check
    receiver.delayNext(ext.subscriptionId, 1_500, 1); // the first snapshot: everything else waits behind it
    const refs = ids.map((jobId) => ({ provider: 'DLI', jobId }));
    expect((await subscribeViaCallback(server.url, WATCH, { refs }, ext)).body).toEqual({ data: null });
    await receiver.until(() => receiver.for(ext.subscriptionId).some((m) => m.action === 'next'));
    expect(await server.pollersActive()).toBe(10);

    // Ten transitions while the receiver still sits on the first snapshot: more than 4 KB waits.
    for (const id of ids) server.simulator.jobs.pin('DLI', id, 'RUNNING');
    await waitUntil(async () => (await server.pollersActive()) === 0, 5_000, 20);
    expect(await server.pollersActive()).toBe(0);
    await receiver.until(() => receiver.for(ext.subscriptionId).some((m) => m.action === 'complete'), 5_000);

    // The message in flight went; what waited behind it was dropped for the `complete`.
    const messages = receiver.for(ext.subscriptionId);
    expect(messages.map((m) => m.action)).toEqual(['check', 'next', 'complete']);
    expect(messages[2]!.body!.errors).toMatchObject([{ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } }]);
    expect(await server.metricsText()).toMatch(/^jobs_subscriptions_active\{transport="callback"\} 0$/m);
  });

  it('subscribed again with the same callback URL is replaced: one subscription, each transition once', async () => {
    const { server, receiver } = await setup();
    server.simulator.jobs.pin('DLI', 'cb-again', 'LAUNCHING');
    const ext = receiver.register(0);
    const refs = { refs: [{ provider: 'DLI', jobId: 'cb-again' }] };
    const nexts = () => receiver.accepted(ext.subscriptionId).filter((m) => m.action === 'next');
    expect((await subscribeViaCallback(server.url, WATCH, refs, ext)).body).toEqual({ data: null });
    await receiver.until(() => nexts().length === 1);

    // The router retries its subscription request (same id, same URL, same verifier).
    expect((await subscribeViaCallback(server.url, WATCH, refs, ext)).body).toEqual({ data: null });
    await receiver.until(() => nexts().length === 2); // the new subscription's snapshot
    expect(await server.metricsText()).toMatch(/^jobs_subscriptions_active\{transport="callback"\} 1$/m);

    server.simulator.jobs.pin('DLI', 'cb-again', 'RUNNING');
    await receiver.until(() => nexts().length === 3);
    await new Promise((r) => setTimeout(r, 300)); // time for a duplicate to show up, were there one
    const transitions = nexts().map((m) => {
      const c = (
        m.body!.payload as { data: { jobStatusChanged: { previousRawStatus: string | null; rawStatus: string } } }
      ).data.jobStatusChanged;
      return `${c.previousRawStatus ?? '∅'}→${c.rawStatus}`;
    });
    expect(transitions).toEqual(['∅→LAUNCHING', '∅→LAUNCHING', 'LAUNCHING→RUNNING']);
    expect(await server.metricsText()).toMatch(/^jobs_subscriptions_active\{transport="callback"\} 1$/m);
  });
});
