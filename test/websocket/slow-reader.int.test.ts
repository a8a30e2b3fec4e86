/**
 * A client that stops reading its socket while its jobs finish: the server holds its frames, and
 * when the client reads again every subscription gets its terminal event and then `complete`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

const servers: TestServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.stop();
});

const JOBS = Array.from({ length: 60 }, (_, i) => `slow-reader-${i}`);
/** Every DLI field: large frames, so the socket's kernel buffers fill with few events. */
const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { rawStatus sequence terminal job { ... on DliJob {
  id provider region projectId jobId state rawStatus terminal startedAt finishedAt providerRequestId isSuccess message jobType jobMode
  queueName owner startTime durationMs status inputRowCount badRowCount inputSizeBytes resultCount databaseName tableName detail
  columns { name type nullable } statement tags { key value } userConf resultFormat resultPath executionDetailsPath } } } }`;
const SUBSCRIPTIONS = 90;

interface Frame {
  id?: string;
  type: string;
  payload?: { data?: { jobStatusChanged?: { rawStatus: string; job: { jobId: string } } } };
}

describe('a subscriber whose socket stops reading while its jobs finish', () => {
  it("gets, for every subscription, each job's terminal event before that subscription's complete", async () => {
    const server = await startTestServer({ env: { JOBS_POLL_MIN_INTERVAL_MS: '20', JOBS_POLL_MAX_INTERVAL_MS: '40' } });
    servers.push(server);
    for (const jobId of JOBS) server.simulator.jobs.pin('DLI', jobId, 'RUNNING');

    const frames: Frame[] = [];
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    sockets.push(socket);
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await waitUntil(() => frames.some((f) => f.type === 'connection_ack'), 2_000);

    const refs = JOBS.map((jobId) => ({ provider: 'DLI', jobId }));
    const subscribeAs = (id: string) =>
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: WATCH, variables: { refs } } }));
    subscribeAs('s0');
    await waitUntil(() => frames.filter((f) => f.type === 'next').length === JOBS.length, 5_000);
    expect(frames.filter((f) => f.type === 'next')).toHaveLength(JOBS.length);

    // Stop reading: the kernel buffers fill first, then the server's own backlog.
    socket.pause();
    for (let i = 1; i < SUBSCRIPTIONS; i++) subscribeAs(`s${i}`);
    const active = async () =>
      Number(
        /^jobs_subscriptions_active\{transport="graphql-ws"\} (\d+)/m.exec(
          await (await fetch(server.url.replace('/graphql', '/metrics'))).text(),
        )?.[1],
      );
    await waitUntil(async () => (await active()) === SUBSCRIPTIONS, 5_000, 20);
    expect(await active()).toBe(SUBSCRIPTIONS);

    for (const jobId of JOBS) server.simulator.jobs.pin('DLI', jobId, 'FINISHED');
    await waitUntil(async () => (await active()) === 0, 10_000, 20); // every subscription ended on the server
    expect(await active()).toBe(0);
    socket.resume();

    const ids = Array.from({ length: SUBSCRIPTIONS }, (_, i) => `s${i}`);
    const done = () => ids.every((id) => frames.some((f) => f.id === id && f.type === 'complete'));
    await waitUntil(done, 10_000, 10);
    const problems: string[] = [];
    for (const id of ids) {
      const own = frames.filter((f) => f.id === id);
      const completeAt = own.findIndex((f) => f.type === 'complete');
      if (completeAt === -1) problems.push(`${id}: no complete`);
      if (completeAt !== own.length - 1) problems.push(`${id}: ${own.length - 1 - completeAt} frames after complete`);
      const beforeComplete = completeAt === -1 ? own : own.slice(0, completeAt);
      const finished = new Set(
        beforeComplete
          .filter((f) => f.payload?.data?.jobStatusChanged?.rawStatus === 'FINISHED')
          .map((f) => f.payload!.data!.jobStatusChanged!.job.jobId),
      );
      if (finished.size !== JOBS.length)
        problems.push(`${id}: ${finished.size} of ${JOBS.length} terminal events before complete`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
  }, 40_000);
});
