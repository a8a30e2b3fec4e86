/**
 * SIGTERM during load: the real entry point (src/main.ts) runs as a child process on the built-in
 * simulator. With 50 large `jobs` queries in flight and a subscription open, it gets SIGTERM and
 * must drain: every in-flight query answered (200, data, no error), the WebSocket closed with
 * 1001, new connections refused while it drains and after, and exit code 0 within 10 s.
 *
 * The queries travel over keep-alive connections opened beforehand, as a router's connection pool
 * does: a connection still waiting in the kernel's accept queue when the listener closes is reset
 * by the kernel, which is what JOBS_SHUTDOWN_DELAY_MS (readiness says draining, the listener stays
 * open) is for.
 */
import net from 'node:net';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNLIMITED_QUOTAS } from '../helpers/quota-env.js';
import { startMainProcess, type MainProcess } from '../helpers/main-process.js';
import { waitUntil } from '../helpers/wait.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const QUERIES = 50;
const REFS_PER_QUERY = 60;
const PROVIDERS = ['DATAWORKS', 'NLB', 'CFW', 'DLI', 'WORKSPACE'];

/** Resolves true when a TCP connection is accepted, false when it is refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGTERM during load', () => {
  let server: MainProcess;
  let port: number;

  beforeAll(async () => {
    server = await startMainProcess({
      // Jobs stay RUNNING for the whole test, so the subscription is still open at SIGTERM.
      JOBS_SIMULATOR_STEP_MS: '600000',
      // The load is 3 000 provider calls; the quotas would turn most into PROVIDER_THROTTLED.
      ...UNLIMITED_QUOTAS,
    });
    port = server.port;
  }, 60_000);

  afterAll(() => server?.kill());

  it(
    'drains every in-flight query, closes the WebSocket with 1001, refuses new connections and exits 0 within 10 s',
    { timeout: 60_000 },
    async () => {
      const url = `http://127.0.0.1:${port}/graphql`;
      // One warm connection per query, like a router's pool.
      const pool = new Agent({ connections: QUERIES, keepAliveTimeout: 60_000 });
      await Promise.all(
        Array.from({ length: QUERIES }, () =>
          fetch(`http://127.0.0.1:${port}/healthz`, { dispatcher: pool }).then((r) => r.text()),
        ),
      );
      const client = connect(`ws://127.0.0.1:${port}/graphql`);
      const sub = subscribe(
        client,
        'subscription { jobStatusChanged(refs: [{provider: DLI, jobId: "sigterm-watch"}]) { state rawStatus } }',
      );
      expect((await sub.next(10_000)).data).toMatchObject({
        jobStatusChanged: { state: 'PENDING', rawStatus: 'LAUNCHING' },
      });

      const started = performance.now();
      const load = Array.from({ length: QUERIES }, async (_, q) => {
        const refs = Array.from(
          { length: REFS_PER_QUERY },
          (_, r) => `{provider: ${PROVIDERS[r % PROVIDERS.length]}, jobId: "sigterm-${q}-${r}"}`,
        );
        try {
          const res = await fetch(url, {
            dispatcher: pool,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              query: `{ jobs(refs: [${refs.join(', ')}]) { __typename ... on CloudJob { jobId state } } }`,
            }),
          });
          const body = (await res.json()) as {
            data?: { jobs: ({ jobId: string; state: string } | null)[] };
            errors?: unknown[];
          };
          return { status: res.status, body, at: performance.now() };
        } catch (err) {
          // A reset connection: the query was dropped, not drained.
          const cause = (err as { cause?: { code?: string } }).cause?.code ?? String(err);
          return {
            status: 0,
            body: { errors: [`request failed: ${cause}`] } as {
              data?: { jobs: ({ jobId: string; state: string } | null)[] };
              errors?: unknown[];
            },
            at: performance.now(),
          };
        }
      });
      // Let every request reach the server, then signal while they are being answered.
      await sleep(50);
      const signalledAt = performance.now();
      server.child.kill('SIGTERM');

      // While it drains, the listener is gone: a new connection is refused before the process exits.
      let refusedAt: number | null = null;
      await waitUntil(async () => {
        if (!server.gone && !(await accepts(port))) refusedAt = performance.now();
        return refusedAt !== null || server.gone;
      }, 10_000);

      const results = await Promise.all(load);
      const exit = await server.exited;
      const drainMs = Math.round(exit.at - signalledAt);
      const lastAnswerMs = Math.round(Math.max(...results.map((r) => r.at)) - signalledAt);
      console.log(
        `[sigterm] load started ${Math.round(signalledAt - started)} ms before SIGTERM; last query answered ${lastAnswerMs} ms after it; ` +
          `connections refused from ${refusedAt === null ? 'never' : Math.round(refusedAt - signalledAt)} ms; process exited after ${drainMs} ms`,
      );

      // The queries really were in flight: none had been answered when the signal went out.
      expect(results.filter((r) => r.at < signalledAt)).toHaveLength(0);
      expect(results.map((r) => r.status)).toEqual(Array(QUERIES).fill(200));
      for (const r of results) {
        expect(r.body.errors).toBeUndefined();
        expect(r.body.data?.jobs).toHaveLength(REFS_PER_QUERY);
        expect(r.body.data?.jobs.every((j) => j !== null && ['PENDING', 'RUNNING'].includes(j.state))).toBe(true);
      }
      expect(refusedAt).not.toBeNull();
      expect(refusedAt!).toBeLessThan(exit.at);

      await sub.completed.catch(() => undefined);
      expect(client.closeCodes).toContain(1001);

      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(drainMs).toBeLessThan(10_000);
      expect(await accepts(port)).toBe(false);
      const logs = server.stdout
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; signal?: string });
      expect(logs.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
      expect(server.stderr.join('')).toBe('');
      await client.dispose();
      await pool.close();
    },
  );
});
