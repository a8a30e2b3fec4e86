/**
 * The quota a provider enforces per account and region, held by a cluster: three replicas on
 * Redis watch 60 DataWorks jobs through a DataWorks that allows 5 calls in any sliding second and
 * answers `Throttling.User` beyond. The replicas plan their polls within the shared quota, so the
 * provider never has to throttle, every subscriber gets every transition, and while Redis is away
 * each replica keeps to its share.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { liveEnvForSimulator } from '../../src/simulator/credentials.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { redisSkipReason, TEST_REDIS_URL, uniquePrefix, viaProxies, type ReplicaLink } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';
import { connect, subscribe, type Subscription } from '../helpers/ws-client.js';
import { mostInAnySecond } from '../helpers/sliding-window.js';

const skip = await redisSkipReason();
const WATCH = `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { rawStatus previousRawStatus } }`;
const JOBS = 60;
const LIMIT = 5;

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/**
 * DataWorks as its quota page describes it: at most `limit` calls in any sliding second per account
 * and region (one account and region here), `Throttling.User` for the call over it (the call is
 * not passed on). Records when each call it let through arrived.
 */
class QuotaEnforcingFront {
  readonly passed: number[] = [];
  throttled = 0;
  readonly #server: http.Server;

  constructor(target: string, limit: number) {
    const upstream = new URL(target);
    this.#server = http.createServer((req, res) => {
      const now = Date.now();
      const recent = this.passed.filter((t) => now - t < 1_000).length;
      if (recent >= limit) {
        this.throttled++;
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            RequestId: 'THROTTLED',
            Code: 'Throttling.User',
            Message: 'Request was denied due to user flow control.',
          }),
        );
        req.resume();
        return;
      }
      this.passed.push(now);
      // The Host header goes through unchanged: the request was signed for it.
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** The most calls it let through in any sliding second from `since`. */
  maxPerSecond(since = 0): number {
    return mostInAnySecond(this.passed.filter((t) => t >= since));
  }
}

const transitions = (s: Subscription) =>
  s.results.map((r) => {
    const c = r.data?.jobStatusChanged as { rawStatus: string; previousRawStatus: string | null } | undefined;
    return c ? `${c.previousRawStatus ?? '∅'}→${c.rawStatus}` : `error:${JSON.stringify(r.errors)}`;
  });

async function cluster(sim: Simulator, front: string) {
  const redis = viaProxies(TEST_REDIS_URL, (close) => cleanup.push(close));
  const prefix = uniquePrefix();
  const links: ReplicaLink[] = [];
  const servers: TestServer[] = [];
  for (let i = 0; i < 3; i++) {
    const link = await redis.link();
    links.push(link);
    const s = await startTestServer({
      simulator: sim,
      replicaId: `quota-replica-${i}`,
      env: {
        ...liveEnvForSimulator({ ...sim.endpoints, DATAWORKS: front }),
        REDIS_URL: link.url,
        REDIS_PREFIX: prefix,
        JOBS_LEASE_MS: '2000',
        // DataWorks' quota as the fake enforces it; no daily budget in this test.
        JOBS_RATE_LIMIT_DATAWORKS_PER_SEC: String(LIMIT),
        JOBS_RATE_LIMIT_DATAWORKS_BURST: '1',
        JOBS_DAILY_BUDGET_DATAWORKS: 'off',
        // Polls as often as the quota allows: the quota, not the interval, is what binds.
        JOBS_POLL_MIN_INTERVAL_MS_DATAWORKS: '500',
        JOBS_POLL_MAX_INTERVAL_MS_DATAWORKS: '1000',
      },
    });
    cleanup.push(() => s.stop());
    servers.push(s);
  }
  for (const s of servers) {
    await waitUntil(async () => (await fetch(s.url.replace('/graphql', '/readyz'))).status === 200, 5_000, 50);
  }
  return { servers, links };
}

describe.skipIf(skip !== null)(skip ? `cluster-wide quotas — ${skip}` : 'cluster-wide quotas', () => {
  it('watches 60 DataWorks jobs from 3 replicas within 5 calls a second: every transition, no throttling; then, with Redis gone, each replica keeps to its share', async () => {
    const sim = await startSimulator({ stepMs: 500 });
    cleanup.push(() => sim.stop());
    const fake = new QuotaEnforcingFront(sim.endpoints.DATAWORKS, LIMIT);
    cleanup.push(() => fake.stop());
    const { servers, links } = await cluster(sim, await fake.start());

    // Every job runs until the test finishes it.
    const jobIds = Array.from({ length: JOBS }, (_, i) => `quota-job-${i}`);
    for (const id of jobIds) sim.jobs.pin('DATAWORKS', id, 'Running');
    const subs = jobIds.map((jobId, i) => {
      const client = connect(servers[i % 3]!.wsUrl);
      cleanup.push(() => client.dispose());
      return subscribe(client, WATCH, { refs: [{ provider: 'DATAWORKS', jobId }] });
    });

    // Redis up: every subscriber gets its snapshot; then all jobs may finish.
    const start = Date.now();
    await waitUntil(async () => subs.every((s) => s.results.length >= 1), 60_000, 100);
    const firstRound = Date.now() - start;
    // Each job's next poll finds it finished.
    for (const id of jobIds) sim.jobs.pin('DATAWORKS', id, 'Success');
    await waitUntil(async () => subs.filter((s) => s.results.length >= 2).length >= JOBS / 2, 60_000, 50);
    const phase1 = { max: fake.maxPerSecond(), throttled: fake.throttled, calls: fake.passed.length };

    // Half-way through, Redis goes: each replica polls its own subscribers' jobs within its share.
    const cutAt = Date.now();
    for (const l of links) await l.cut();
    await Promise.all(subs.map((s) => s.completed));

    console.info(
      `[cluster-quota] ${JOBS} jobs, 3 replicas, limit ${LIMIT}/s: every snapshot in ${firstRound} ms; ` +
        `Redis up: ${phase1.calls} calls, max ${phase1.max} in any second, ${phase1.throttled} throttled; ` +
        `Redis gone: max ${fake.maxPerSecond(cutAt)} in any second, ${fake.throttled - phase1.throttled} throttled`,
    );
    const summary = JSON.stringify({ phase1, outage: { max: fake.maxPerSecond(cutAt), throttled: fake.throttled } });
    for (const s of subs) expect(transitions(s), summary).toEqual(['∅→Running', 'Running→Success']);
    expect(phase1.throttled, summary).toBe(0);
    expect(phase1.max, summary).toBeLessThanOrEqual(LIMIT);
    // The limit plus one burst at most, while each replica divides the limit by the 3 it last saw.
    expect(fake.maxPerSecond(cutAt), summary).toBeLessThanOrEqual(LIMIT + 1);
  }, 150_000);
});
