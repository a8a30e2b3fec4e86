import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { CLOSE_GOING_AWAY } from '../../src/server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe, type Subscription } from '../helpers/ws-client.js';
import { waitUntil } from '../helpers/wait.js';

const WATCH = /* GraphQL */ `
  subscription ($refs: [JobRef!]!) {
    jobStatusChanged(refs: $refs) {
      previousState
      previousRawStatus
      state
      rawStatus
      terminal
      sequence
      at
      job {
        __typename
        ... on CloudJob {
          jobId
          state
          rawStatus
          terminal
        }
      }
    }
  }
`;

interface Change {
  previousRawStatus: string | null;
  rawStatus: string;
  previousState: string | null;
  state: string;
  sequence: number;
  terminal: boolean;
  job: { jobId: string };
}

const servers: TestServer[] = [];
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) await s.stop();
});

async function start(options: { env?: Record<string, string>; stepMs?: number } = {}) {
  const clock = new ManualClock();
  const server = await startTestServer({ ...options, clock });
  servers.push(server);
  const client = connect(server.wsUrl);
  closers.push(() => client.dispose());
  /** Advances the shared manual clock in steps, letting provider calls and WebSocket traffic settle between. */
  const run = async (ms: number, step = 250) => {
    for (let t = 0; t < ms; t += step) {
      await clock.advance(step, () => server.settled());
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  /** Waits in real time until the server polls something (the subscription reached it). */
  const untilPolling = async (n = 1) => {
    await waitUntil(async () => (await server.pollersActive()) >= n, 2500);
    expect(await server.pollersActive()).toBeGreaterThanOrEqual(n);
  };
  return { clock, server, client, run, untilPolling };
}

/** Every raw-status change of the simulator's default DLI job, from the snapshot on. */
const DLI_LIFECYCLE = ['∅→LAUNCHING', 'LAUNCHING→RUNNING', 'RUNNING→SCALING', 'SCALING→RUNNING', 'RUNNING→FINISHED'];

const transitions = (sub: Subscription, jobId?: string) =>
  sub.results
    .map((r) => r.data?.jobStatusChanged as Change | undefined)
    .filter((c): c is Change => !!c && (!jobId || c.job.jobId === jobId))
    .map((c) => `${c.previousRawStatus ?? '∅'}→${c.rawStatus}`);

describe('jobStatusChanged over graphql-ws', () => {
  it('sends the snapshot first, then every DLI transition once and in order over a ten-minute lifecycle, then completes', async () => {
    const { server, client, run, untilPolling } = await start({ stepMs: 120_000 });
    const sub = subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: 'etl-nightly' }] });
    await untilPolling();
    await run(11 * 60_000, 1_000);
    await sub.completed;
    expect(transitions(sub)).toEqual(DLI_LIFECYCLE);
    const changes = sub.results.map((r) => r.data!.jobStatusChanged as Change);
    expect(changes[0]).toMatchObject({ previousState: null, state: 'PENDING', sequence: 1, terminal: false });
    expect(changes.at(-1)).toMatchObject({ previousState: 'RUNNING', state: 'SUCCEEDED', terminal: true, sequence: 5 });
    expect(changes.map((c) => c.sequence)).toEqual([1, 2, 3, 4, 5]);
    // Adaptive interval: a 10-minute job polled far less often than once a second.
    const polls = server.simulator.fakes.DLI.requests.length;
    console.info(
      `[subscription] 10-minute DLI lifecycle: ${changes.length} events, ${polls} provider calls (a fixed 1 s poll would make ~600)`,
    );
    expect(polls).toBeGreaterThan(5);
    expect(polls).toBeLessThan(80);
  });

  it('follows Workspace v1 3→2→1 and NLB processing→Succeeded in one subscription', async () => {
    const { client, run, untilPolling } = await start({ env: { JOBS_WORKSPACE_API: 'v1' } });
    const sub = subscribe(client, WATCH, {
      refs: [
        { provider: 'WORKSPACE', jobId: '575768277444198400' },
        { provider: 'NLB', jobId: 'nlb-job-1' },
      ],
    });
    await untilPolling(2);
    await run(20_000);
    await sub.completed;
    expect(transitions(sub, '575768277444198400')).toEqual(['∅→3', '3→2', '2→1']);
    expect(transitions(sub, 'nlb-job-1')).toEqual(['∅→processing', 'processing→Succeeded']);
  });

  it('reports refs that cannot be watched with coded errors and goes on with the others', async () => {
    const { client, run, untilPolling } = await start();
    const sub = subscribe(client, WATCH, {
      refs: [
        { provider: 'DLI', jobId: 'job-notfound' },
        { provider: 'CFW', jobId: 'bad id' },
        { provider: 'CFW', jobId: 'job-forbidden' },
        { provider: 'NLB', jobId: 'fine' },
      ],
    });
    await untilPolling(1);
    // A job not found may just not be visible yet: the watch ends once the grace period is over.
    await run(DEFAULTS.poll.notFoundGraceMs + 5_000);
    await sub.completed;
    const errors = sub.results
      .flatMap((r) => r.errors ?? [])
      .map((e) => `${(e.extensions?.ref as { jobId: string }).jobId}:${e.extensions?.code}`);
    expect(errors.sort()).toEqual([
      'bad id:BAD_USER_INPUT',
      'job-forbidden:PROVIDER_FORBIDDEN',
      'job-notfound:JOB_NOT_FOUND',
    ]);
    expect(transitions(sub, 'fine')).toEqual(['∅→processing', 'processing→Succeeded']);
  });

  it('polls a job once per interval however many subscribers watch it (50 subscribers)', async () => {
    const { server, run, untilPolling } = await start({ stepMs: 5_000 });
    const clients = Array.from({ length: 10 }, () => connect(server.wsUrl));
    closers.push(...clients.map((c) => () => c.dispose()));
    const subs = clients.flatMap((c) =>
      Array.from({ length: 5 }, () => subscribe(c, WATCH, { refs: [{ provider: 'CFW', jobId: 'shared-job' }] })),
    );
    await untilPolling(1);
    await waitUntil(() => server.simulator.fakes.CFW.requests.length > 0, 1000);
    await run(30_000);
    await Promise.all(subs.map((s) => s.completed));
    const polls = server.simulator.fakes.CFW.requests.length;
    console.info(
      `[subscription] 50 subscribers on one CFW job: ${polls} provider calls, ${subs.reduce((n, x) => n + x.results.length, 0)} events delivered`,
    );
    // No query ran: every provider call (`/metrics`) was a poll, and each reached the fake once (no retries).
    expect(polls).toBe(await server.metric('jobs_provider_call_duration_seconds_count'));
    expect(polls).toBeLessThan(15);
    for (const s of subs) expect(transitions(s)).toEqual(['∅→Running', 'Running→Success']);
  });

  it('stops the poller when the client unsubscribes, and when the socket closes', async () => {
    const { server, client, run, untilPolling } = await start();
    server.simulator.jobs.pin('DLI', 'forever', 'RUNNING');
    const sub = subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: 'forever' }] });
    await untilPolling();
    await run(3_000);
    sub.unsubscribe();
    await waitUntil(async () => (await server.pollersActive()) === 0, 1000);
    expect(await server.pollersActive()).toBe(0);
    const after = server.simulator.fakes.DLI.requests.length;
    await run(60_000, 5_000);
    expect(server.simulator.fakes.DLI.requests.length).toBe(after);

    const other = connect(server.wsUrl);
    subscribe(other, WATCH, { refs: [{ provider: 'DLI', jobId: 'forever' }] });
    await untilPolling();
    await other.dispose();
    await waitUntil(async () => (await server.pollersActive()) === 0, 1000);
    expect(await server.pollersActive()).toBe(0);
  });

  it('backs off on 5xx and throttling without sending any event, then carries on', async () => {
    // Retries inside one call stay short, so the engine's own (manual-clock) backoff is what we see.
    const { server, client, run, untilPolling } = await start({
      stepMs: 20_000,
      env: { JOBS_RETRY_MAX_ATTEMPTS: '1' },
    });
    const dli = server.simulator.fakes.DLI;
    const sub = subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: 'flaky-dli' }] });
    await untilPolling();
    await run(500);
    expect(transitions(sub)).toEqual(['∅→LAUNCHING']);
    dli.enqueueFaults(
      { status: 500, body: { error_code: 'DLI.0999', error_msg: 'Internal server error' } },
      {
        status: 429,
        headers: { 'retry-after': '3' },
        body: { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' },
      },
      { status: 503, body: '<html><body>Service Unavailable</body></html>' },
    );
    await run(15_000);
    expect(transitions(sub)).toEqual(['∅→LAUNCHING']);
    expect(sub.results.every((r) => !r.errors)).toBe(true);
    await run(120_000, 1_000);
    await sub.completed;
    expect(transitions(sub)).toEqual(DLI_LIFECYCLE);
  });

  it('refuses more than the configured number of refs with BAD_USER_INPUT', async () => {
    const { client } = await start({ env: { JOBS_MAX_REFS: '3' } });
    const refs = Array.from({ length: 4 }, (_, i) => ({ provider: 'NLB', jobId: `r${i}` }));
    const sub = subscribe(client, WATCH, { refs });
    await sub.completed.catch(() => undefined);
    const first = await sub.next(2_000);
    expect(first.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('closes sockets with 1001 on shutdown and stops every poller', async () => {
    const { server, client, clock, untilPolling } = await start();
    server.simulator.jobs.pin('NLB', 'long-nlb', 'processing');
    subscribe(client, WATCH, { refs: [{ provider: 'NLB', jobId: 'long-nlb' }] });
    await untilPolling();
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    await waitUntil(() => client.closeCodes.length > 0, 1000);
    expect(client.closeCodes).toContain(CLOSE_GOING_AWAY);
    // Every poller stopped: no poll is scheduled any more, and time passing calls nobody.
    expect(clock.pending).toBe(0);
    const calls = server.providerCalls();
    await clock.advance(60_000);
    expect(server.providerCalls()).toBe(calls);
  });
});
