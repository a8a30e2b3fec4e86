/**
 * A router in callback mode (played by the strict receiver in test/helpers/callback-receiver.ts)
 * subscribes over HTTP to the real server on the simulator: check → 204 → `{"data":null}` →
 * snapshot → each transition once, in order → complete; per-ref errors as `next` payloads; request
 * errors answered without a single outbound message; the transport's gauge up and down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackReceiver, startServerAndReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { __typename previousRawStatus rawStatus sequence terminal job { __typename ... on CloudJob { jobId } } } }`;
const LIFECYCLE = ['∅→LAUNCHING', 'LAUNCHING→RUNNING', 'RUNNING→SCALING', 'SCALING→RUNNING', 'RUNNING→FINISHED'];

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(stepMs = 300) {
  // Not found is final at once (no grace for jobs just submitted).
  const started = await startServerAndReceiver({ stepMs, env: { JOBS_NOT_FOUND_GRACE_MS: '0' } });
  cleanup.push(started.stop);
  return started;
}

async function callbackGauge(server: TestServer): Promise<number> {
  const text = await server.metricsText();
  return Number(/^jobs_subscriptions_active\{transport="callback"\} (\d+)/m.exec(text)?.[1]);
}

type Change = { previousRawStatus: string | null; rawStatus: string };
const transitions = (receiver: CallbackReceiver, id: string) =>
  receiver
    .accepted(id)
    .filter((m) => m.action === 'next' && (m.body!.payload as { data: unknown }).data)
    .map((m) => (m.body!.payload as { data: { jobStatusChanged: Change } }).data.jobStatusChanged)
    .map((c) => `${c.previousRawStatus ?? '∅'}→${c.rawStatus}`);

describe('a router in callback mode', () => {
  it('gets a check before its answer, then {"data":null}, the snapshot, each transition once in order, and complete', async () => {
    const { server, receiver } = await setup();
    const ext = receiver.register(0);
    expect(await callbackGauge(server)).toBe(0);
    const answer = await subscribeViaCallback(
      server.url,
      WATCH,
      { refs: [{ provider: 'DLI', jobId: 'cb-life-1' }] },
      ext,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: null });
    const [check] = receiver.for(ext.subscriptionId);
    expect(check).toMatchObject({ action: 'check', status: 204 });
    expect(check!.body).toEqual({
      kind: 'subscription',
      action: 'check',
      id: ext.subscriptionId,
      verifier: ext.verifier,
    });
    expect(check!.at).toBeLessThan(answer.answeredAt);
    expect(await callbackGauge(server)).toBe(1);

    const done = () => receiver.for(ext.subscriptionId).some((m) => m.action === 'complete');
    await receiver.until(done, 10_000);
    const messages = receiver.for(ext.subscriptionId);
    // The strict receiver accepted every message: the header, exact content type, id and verifier.
    expect(messages.map((m) => m.status).filter((s) => s >= 300)).toEqual([]);
    for (const m of messages) {
      expect(m.headers['subscription-protocol']).toBe('callback/1.0');
      expect(m.headers['content-type']).toBe('application/json');
    }
    expect(messages.map((m) => m.action)).toEqual(['check', ...LIFECYCLE.map(() => 'next'), 'complete']);
    expect(transitions(receiver, ext.subscriptionId)).toEqual(LIFECYCLE);
    const nexts = messages.filter((m) => m.action === 'next');
    // A payload is a GraphQL response as a query would have it, __typename included.
    expect(nexts[0]!.body!.payload).toMatchObject({
      data: {
        jobStatusChanged: {
          __typename: 'JobStatusChange',
          sequence: 1,
          job: { __typename: 'DliJob', jobId: 'cb-life-1' },
        },
      },
    });
    expect(nexts.at(-1)!.body!.payload).toMatchObject({ data: { jobStatusChanged: { terminal: true } } });
    const complete = messages.at(-1)!.body!;
    expect(complete).toEqual({
      kind: 'subscription',
      action: 'complete',
      id: ext.subscriptionId,
      verifier: ext.verifier,
    });

    await waitUntil(async () => (await callbackGauge(server)) === 0, 2_000, 20);
    expect(await callbackGauge(server)).toBe(0);
    expect(await server.pollersActive()).toBe(0);
  });

  it('gets a ref that cannot be watched as a next with its coded error, while the other ref goes on', async () => {
    const { server, receiver } = await setup(200);
    const ext = receiver.register(0);
    const refs = [
      { provider: 'DLI', jobId: 'cb-mixed-ok' },
      { provider: 'DLI', jobId: 'cb-mixed-notfound' },
    ];
    const answer = await subscribeViaCallback(server.url, WATCH, { refs }, ext);
    expect(answer.body).toEqual({ data: null });
    await receiver.until(() => receiver.for(ext.subscriptionId).some((m) => m.action === 'complete'), 10_000);
    const nexts = receiver.accepted(ext.subscriptionId).filter((m) => m.action === 'next');
    const errors = nexts.filter((m) => (m.body!.payload as { errors?: unknown }).errors);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.body!.payload).toMatchObject({
      data: null,
      errors: [{ extensions: { code: 'JOB_NOT_FOUND', ref: { provider: 'DLI', jobId: 'cb-mixed-notfound' } } }],
    });
    expect(transitions(receiver, ext.subscriptionId)).toEqual(LIFECYCLE);
    expect(nexts).toHaveLength(6);
    const complete = receiver.for(ext.subscriptionId).at(-1)!;
    expect(complete.action).toBe('complete');
    expect(complete.body!.errors).toBeUndefined();
  });

  it('gets argument errors as a complete with the coded errors, and no poller is left', async () => {
    const { server, receiver } = await setup();
    const ext = receiver.register(0);
    const answer = await subscribeViaCallback(server.url, WATCH, { refs: [] }, ext);
    expect(answer.body).toEqual({ data: null });
    await receiver.until(() => receiver.for(ext.subscriptionId).some((m) => m.action === 'complete'));
    expect(receiver.for(ext.subscriptionId).map((m) => m.action)).toEqual(['check', 'complete']);
    expect(receiver.for(ext.subscriptionId)[1]!.body!.errors).toMatchObject([
      { extensions: { code: 'BAD_USER_INPUT' } },
    ]);
    expect(await server.pollersActive()).toBe(0);
    await waitUntil(async () => (await callbackGauge(server)) === 0, 2_000, 20);
    expect(await callbackGauge(server)).toBe(0);
  });

  it('gets a document that does not validate answered 400 with its coded error, and nothing is sent to the callback URL', async () => {
    const { server, receiver } = await setup();
    const ext = receiver.register(0);
    const answer = await subscribeViaCallback(
      server.url,
      'subscription { jobStatusChanged(refs: []) { nope } }',
      undefined,
      ext,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    const query = await subscribeViaCallback(server.url, '{ __typename }', undefined, ext);
    expect(query.status).toBe(400);
    expect(query.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    const malformed = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: WATCH, extensions: { subscription: { callbackUrl: ext.callbackUrl } } }),
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    expect(receiver.messages).toEqual([]);
  });

  it('still needs the router secret when one is set', async () => {
    const server = await startTestServer({ env: { ROUTER_SECRET: 's3cret' } });
    cleanup.push(() => server.stop());
    const receiver = await CallbackReceiver.start();
    cleanup.push(() => receiver.stop());
    const ext = receiver.register(0);
    const refs = [{ provider: 'DLI', jobId: 'cb-secret' }];
    const without = await subscribeViaCallback(server.url, WATCH, { refs }, ext);
    expect(without.status).toBe(401);
    expect(receiver.messages).toEqual([]);
    const withSecret = await subscribeViaCallback(server.url, WATCH, { refs }, ext, { 'x-router-secret': 's3cret' });
    expect(withSecret.body).toEqual({ data: null });
  });
});
