import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const servers: TestServer[] = [];
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) await s.stop();
});

const WATCH = `subscription($jobId: String!) { jobStatusChanged(refs: [{ provider: DLI, jobId: $jobId }]) { previousRawStatus rawStatus sequence terminal } }`;

async function start() {
  const server = await startTestServer({ env: { JOBS_POLL_MIN_INTERVAL_MS: '20', JOBS_POLL_MAX_INTERVAL_MS: '40' } });
  servers.push(server);
  const client = (lazy = true) => {
    const c = connect(server.wsUrl, { lazy });
    closers.push(() => c.dispose());
    return c;
  };
  return { server, client };
}

type Change = { previousRawStatus: string | null; rawStatus: string; sequence: number; terminal: boolean };
const changes = (results: { data?: Record<string, unknown> | null }[]) =>
  results
    .map((r) => r.data!.jobStatusChanged as Change)
    .map((c) => `${c.previousRawStatus ?? '∅'}→${c.rawStatus}#${c.sequence}`);

describe('identical subscriptions over graphql-ws', () => {
  it('deliver the same events to subscribers on different connections, from one poller', async () => {
    const { server, client } = await start();
    server.simulator.jobs.pin('DLI', 'same-1', 'RUNNING');
    const subs = [client(), client(), client()].map((c) => subscribe(c, WATCH, { jobId: 'same-1' }));
    for (const s of subs) await s.next();
    expect(await server.pollersActive()).toBe(1);
    server.simulator.jobs.pin('DLI', 'same-1', 'FINISHED');
    for (const s of subs) await s.completed;
    for (const s of subs) expect(changes(s.results)).toEqual(['∅→RUNNING#1', 'RUNNING→FINISHED#2']);
  });

  it('give a subscriber who joins later the current state first, as a snapshot', async () => {
    const { server, client } = await start();
    server.simulator.jobs.pin('DLI', 'late-2', 'LAUNCHING');
    const early = subscribe(client(), WATCH, { jobId: 'late-2' });
    await early.next();
    server.simulator.jobs.pin('DLI', 'late-2', 'RUNNING');
    await early.next();
    const late = subscribe(client(), WATCH, { jobId: 'late-2' });
    await late.next();
    server.simulator.jobs.pin('DLI', 'late-2', 'FINISHED');
    await Promise.all([early.completed, late.completed]);
    expect(changes(early.results)).toEqual(['∅→LAUNCHING#1', 'LAUNCHING→RUNNING#2', 'RUNNING→FINISHED#3']);
    expect(changes(late.results)).toEqual(['∅→RUNNING#2', 'RUNNING→FINISHED#3']);
  });

  it('answer a subscription that does not parse with an error message, and keep the connection', async () => {
    const { client } = await start();
    const c = client(false); // one connection for the whole test: a close would show in closeCodes
    const broken = subscribe(c, 'subscription { jobStatusChanged(refs: [');
    await expect(broken.completed).rejects.toSatisfy((errors: unknown) => Array.isArray(errors) && errors.length === 1);
    const ok = subscribe(c, `{ __typename }`);
    expect((await ok.next()).data).toEqual({ __typename: 'Query' });
    expect(c.closeCodes).toEqual([]);
  });
});
