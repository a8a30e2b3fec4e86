import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const servers: TestServer[] = [];
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) await s.stop();
});

async function start(env: Record<string, string> = {}) {
  const server = await startTestServer({ env });
  servers.push(server);
  return server;
}

async function post(server: TestServer, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  return { cacheControl: res.headers.get('cache-control'), ...body };
}

const JOB = `query($jobId: String!) { job(ref: { provider: DLI, jobId: $jobId }) { ... on CloudJob { id state terminal } } }`;

describe('queries answered without a provider call, with cache hints', () => {
  it('serves a finished job from memory and tells caches they may keep it', async () => {
    const server = await start();
    server.simulator.jobs.pin('DLI', 'done-1', 'FINISHED');
    const first = await post(server, JOB, { jobId: 'done-1' });
    const second = await post(server, JOB, { jobId: 'done-1' });
    expect(first.data).toMatchObject({ job: { state: 'SUCCEEDED', terminal: true } });
    expect(second.data).toEqual(first.data);
    expect(server.simulator.fakes.DLI.requests).toHaveLength(1);
    expect(first.cacheControl).toBe('max-age=3600, public');
    expect(second.cacheControl).toBe('max-age=3600, public');
  });

  it('marks a running job uncacheable, and a response mixing running and finished jobs too', async () => {
    const server = await start();
    server.simulator.jobs.pin('DLI', 'run-1', 'RUNNING');
    server.simulator.jobs.pin('DLI', 'done-2', 'FINISHED');
    expect((await post(server, JOB, { jobId: 'run-1' })).cacheControl).toBe('no-store');
    const mixed = await post(
      server,
      `{ jobs(refs: [{ provider: DLI, jobId: "done-2" }, { provider: DLI, jobId: "run-1" }]) { ... on CloudJob { state } } }`,
    );
    expect(mixed.errors).toBeUndefined();
    expect(mixed.cacheControl).toBe('no-store');
  });

  it('keeps a finished job cacheable when the query selects its nested objects', async () => {
    const server = await start();
    server.simulator.jobs.pin('DLI', 'done-3', 'FINISHED');
    server.simulator.jobs.pin('WORKSPACE', 'done-4', 'SUCCESS');
    const res = await post(
      server,
      `{ jobs(refs: [{ provider: DLI, jobId: "done-3" }, { provider: WORKSPACE, jobId: "done-4" }]) {
          ... on DliJob { tags { key } columns { name } }
          ... on WorkspaceJob { subJobs { status entities { resourceId } } }
        } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.cacheControl).toBe('max-age=3600, public');
  });

  it('gives federation entity lookups of finished jobs the same hint', async () => {
    const server = await start();
    server.simulator.jobs.pin('DLI', 'done-5', 'FINISHED');
    const id = ((await post(server, JOB, { jobId: 'done-5' })).data as { job: { id: string } }).job.id;
    const res = await post(
      server,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on DliJob { state } } }`,
      { r: [{ __typename: 'DliJob', id }] },
    );
    expect(res.data).toEqual({ _entities: [{ state: 'SUCCEEDED' }] });
    expect(res.cacheControl).toBe('max-age=3600, public');
  });

  it('makes one provider call for many clients asking for the same running job at once', async () => {
    const server = await start();
    server.simulator.jobs.pin('DLI', 'hot-1', 'RUNNING');
    server.simulator.fakes.DLI.latencyMs = 100;
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(server, JOB, { jobId: 'hot-1' })));
    for (const a of answers) expect(a.data).toMatchObject({ job: { state: 'RUNNING' } });
    expect(server.simulator.fakes.DLI.requests).toHaveLength(1);
  });

  it('answers a job a subscription is watching from its poller, without a provider call, while the poll is recent', async () => {
    const server = await start({ JOBS_QUERY_COALESCE_MS: '5000' });
    server.simulator.jobs.pin('DLI', 'watched-1', 'RUNNING');
    const client = connect(server.wsUrl);
    closers.push(() => client.dispose());
    const sub = subscribe(
      client,
      `subscription { jobStatusChanged(refs: [{ provider: DLI, jobId: "watched-1" }]) { rawStatus } }`,
    );
    expect((await sub.next()).data).toEqual({ jobStatusChanged: { rawStatus: 'RUNNING' } });
    server.simulator.fakes.DLI.resetRequests();
    for (let i = 0; i < 3; i++)
      expect((await post(server, JOB, { jobId: 'watched-1' })).data).toMatchObject({ job: { state: 'RUNNING' } });
    expect(server.simulator.fakes.DLI.requests).toHaveLength(0);
  });

  it('never answers a watched running job from a poll older than the coalesce window, and lets watchers hear what the query found', async () => {
    // The poller is at a long interval; queries must not wait for it.
    const server = await start({
      JOBS_QUERY_COALESCE_MS: '1000',
      JOBS_POLL_MIN_INTERVAL_MS: '20000',
      JOBS_POLL_MAX_INTERVAL_MS: '30000',
    });
    server.simulator.jobs.pin('DLI', 'watched-2', 'RUNNING');
    const client = connect(server.wsUrl);
    closers.push(() => client.dispose());
    const sub = subscribe(
      client,
      `subscription { jobStatusChanged(refs: [{ provider: DLI, jobId: "watched-2" }]) { previousRawStatus rawStatus } }`,
    );
    expect((await sub.next()).data).toEqual({ jobStatusChanged: { previousRawStatus: null, rawStatus: 'RUNNING' } });
    server.simulator.jobs.pin('DLI', 'watched-2', 'SCALING');
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await post(server, JOB, { jobId: 'watched-2' })).data).toMatchObject({ job: { state: 'RUNNING' } }); // SCALING is RUNNING
    const raw = await post(
      server,
      `{ job(ref: { provider: DLI, jobId: "watched-2" }) { ... on DliJob { rawStatus } } }`,
    );
    expect(raw.data).toEqual({ job: { rawStatus: 'SCALING' } });
    // The poller polls at once instead of in 20 s.
    expect((await sub.next(2_000)).data).toEqual({
      jobStatusChanged: { previousRawStatus: 'RUNNING', rawStatus: 'SCALING' },
    });
  });
});
