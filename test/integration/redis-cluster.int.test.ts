/**
 * Several replicas of the real server against one Redis and one set of fake providers. The
 * scale-out scenarios (one poller per job, no lost transition, takeover when the lease holder
 * dies) run against one Redis server and against a 3-master Redis Cluster started here.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import {
  PrivateRedis,
  redisServerInstalled,
  redisSkipReason,
  TEST_REDIS_URL,
  uniquePrefix,
  viaProxies,
  type RedisDeployment,
} from '../helpers/redis.js';
import { PrivateRedisCluster, redisClusterSkipReason } from '../helpers/redis-cluster.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe, type Subscription } from '../helpers/ws-client.js';
import { waitUntil } from '../helpers/wait.js';

const skip = await redisSkipReason();
const clusterSkip = redisClusterSkipReason();
const WATCH =
  'subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { rawStatus previousRawStatus sequence job { ... on CloudJob { jobId } } } }';
const LIFECYCLE = ['∅→LAUNCHING', 'LAUNCHING→RUNNING', 'RUNNING→SCALING', 'SCALING→RUNNING', 'RUNNING→FINISHED'];

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

interface Replica extends TestServer {
  /** Dies like a killed process: its Redis connections drop first, so it releases no lease on the way down. */
  crash(): Promise<void>;
}

const readyz = async (s: TestServer) => (await fetch(s.url.replace('/graphql', '/readyz'))).status;

/** `n` replicas on one Redis, each through its own link (which {@link Replica.crash} cuts). */
async function replicas(
  n: number,
  simulator: Simulator,
  redis: RedisDeployment,
  extra: Record<string, string> = {},
): Promise<Replica[]> {
  const prefix = uniquePrefix();
  const servers: Replica[] = [];
  for (let i = 0; i < n; i++) {
    const link = await redis.link();
    const s = await startTestServer({
      simulator,
      replicaId: `replica-${i}`,
      env: {
        REDIS_URL: link.url,
        REDIS_PREFIX: prefix,
        JOBS_LEASE_MS: '1000',
        JOBS_POLL_MIN_INTERVAL_MS: '100',
        JOBS_POLL_MAX_INTERVAL_MS: '200',
        ...extra,
      },
    });
    cleanup.push(() => s.stop());
    servers.push(
      Object.assign(s, {
        crash: async () => {
          await link.cut();
          return s.stop();
        },
      }),
    );
  }
  // Ready means Redis is reachable and every channel subscribed.
  for (const s of servers) await waitUntil(async () => (await readyz(s)) === 200, 3_000, 20);
  for (const s of servers) expect(await readyz(s)).toBe(200);
  return servers;
}

const seen = (s: Subscription) =>
  s.results.map((r) => {
    const c = r.data?.jobStatusChanged as { rawStatus: string; previousRawStatus: string | null } | undefined;
    return c ? `${c.previousRawStatus ?? '∅'}→${c.rawStatus}` : `error:${JSON.stringify(r.errors)}`;
  });

/** Requests the DLI fake received for one job, in arrival order. */
const requestsFor = (sim: Simulator, jobId: string) =>
  sim.fakes.DLI.requests.filter((r) => r.path.endsWith(`/jobs/${jobId}/status`));

/** The Redis of a scale-out describe: the shared server through proxies, or a cluster of its own. */
const deployments: {
  title: string;
  skip: string | null;
  open(): Promise<RedisDeployment & { stop?(): Promise<void> }>;
}[] = [
  {
    title: 'three replicas on one Redis',
    skip,
    open: async () => viaProxies(TEST_REDIS_URL, (close) => cleanup.push(close)),
  },
  {
    title: 'three replicas on a 3-master Redis Cluster',
    skip: clusterSkip,
    open: async () => {
      const cluster = await PrivateRedisCluster.start();
      console.info(`[redis-cluster] 3 masters started and joined in ${cluster.startMs} ms`);
      return cluster;
    },
  },
];

for (const d of deployments)
  describe.skipIf(d.skip !== null)(d.skip ? `${d.title} — ${d.skip}` : d.title, () => {
    let redis: RedisDeployment & { stop?(): Promise<void> };
    beforeAll(async () => {
      redis = await d.open();
    }, 30_000);
    afterAll(async () => {
      await redis?.stop?.();
    });

    it('polls each of 10 jobs once per interval cluster-wide while 300 subscribers on 3 replicas each get every transition once, in order', async () => {
      const simulator = await startSimulator({ stepMs: 600 });
      cleanup.push(() => simulator.stop());
      const servers = await replicas(3, simulator, redis);
      const jobs = Array.from({ length: 10 }, (_, i) => `cluster-job-${i}`);
      const subs: { jobId: string; sub: Subscription }[] = [];
      for (const server of servers) {
        for (let c = 0; c < 10; c++) {
          const client = connect(server.wsUrl);
          cleanup.push(() => client.dispose());
          for (let k = 0; k < 10; k++) {
            const jobId = jobs[(c + k) % 10]!;
            subs.push({ jobId, sub: subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId }] }) });
          }
        }
      }
      expect(subs).toHaveLength(300);
      await Promise.all(subs.map((s) => s.sub.completed));
      for (const { sub } of subs) expect(seen(sub)).toEqual(LIFECYCLE);
      const counts: number[] = [];
      for (const jobId of jobs) {
        const reqs = requestsFor(simulator, jobId);
        counts.push(reqs.length);
        const gaps = reqs.slice(1).map((r, i) => r.receivedAt - reqs[i]!.receivedAt);
        // One poller: polls stay apart (jittered minimum 80 ms less the 50 ms tick window), but one
        // delayed answer (a stalled event loop on a busy runner) can bring two arrivals closer.
        // A second poller would interleave its polls with the first's all through the lifecycle.
        expect(gaps.filter((g) => g < 25).length, `gaps ${gaps.join(',')}`).toBeLessThanOrEqual(1);
        expect(reqs.length).toBeLessThan(40);
      }
      console.info(
        `[redis-cluster] ${d.title}: provider calls per job over a 2.4 s lifecycle: ${counts.join(', ')} (total ${counts.reduce((a, b) => a + b, 0)})`,
      );
    });

    it('moves polling to a surviving replica within the lease time when the lease holder dies, and its subscribers miss nothing', async () => {
      // States last 2 s, twice the lease: a takeover at the edge of its bound on a loaded runner
      // (the whole suite beside it) cannot pass a state by; the takeover time is asserted below.
      const simulator = await startSimulator({ stepMs: 2_000 });
      cleanup.push(() => simulator.stop());
      const servers = await replicas(3, simulator, redis);
      const subs = servers.map((s) => {
        const client = connect(s.wsUrl);
        cleanup.push(() => client.dispose());
        return subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: 'takeover-job' }] });
      });
      await subs[0]!.next();
      await new Promise((r) => setTimeout(r, 1_200));
      // The lease holder is the one replica that polls.
      const pollers = await Promise.all(servers.map((s) => s.pollersActive()));
      const leaderIndex = pollers.findIndex((n) => n > 0);
      expect(leaderIndex).toBeGreaterThanOrEqual(0);
      expect(pollers.filter((n) => n > 0)).toHaveLength(1);
      const leader = servers[leaderIndex]!;
      const diedAt = Date.now();
      await leader.crash(); // the lease is not released
      // Cut off but still stopping, the dying replica may poll once on its own (its hub degrades
      // to local polling): only requests after it stopped are the survivors'.
      const stoppedAt = Date.now();
      const survivors = subs.filter((_, i) => i !== leaderIndex);
      await Promise.all(survivors.map((s) => s.completed));
      for (const s of survivors) expect(seen(s)).toEqual(LIFECYCLE);
      const firstAfter = requestsFor(simulator, 'takeover-job').find(
        (r) => r.receivedAt > Math.max(stoppedAt, diedAt + 5),
      );
      const takeoverMs = firstAfter!.receivedAt - diedAt;
      expect(takeoverMs).toBeLessThan(1_000 + 400 + 250);
      console.info(
        `[redis-cluster] ${d.title}: takeover after the lease holder died: ${takeoverMs} ms (lease 1000 ms)`,
      );
    });
  });

const noServer = !redisServerInstalled();
const restartSkip = noServer ? (process.env.CI === 'true' ? null : 'SKIPPED: redis-server is not installed') : null;
if (noServer && process.env.CI === 'true') throw new Error('redis-server must be installed in CI');

describe.skipIf(restartSkip !== null)(
  restartSkip ? `Redis restart — ${restartSkip}` : 'Redis going away and coming back',
  () => {
    it('keeps queries and subscriptions working while Redis is down, reports it, and recovers when it returns', async () => {
      const redis = new PrivateRedis(16_000 + Math.floor(Math.random() * 2_000));
      await redis.start();
      cleanup.push(() => redis.stop());
      const simulator = await startSimulator({ stepMs: 800 });
      cleanup.push(() => simulator.stop());
      const [a, b] = await replicas(
        2,
        simulator,
        viaProxies(redis.url, (close) => cleanup.push(close)),
      );
      expect(await readyz(a!)).toBe(200);

      const client = connect(a!.wsUrl);
      cleanup.push(() => client.dispose());
      const sub = subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: 'through-outage' }] });
      await sub.next();

      await redis.stop();
      await waitUntil(async () => (await readyz(a!)) !== 200, 2000, 20);
      expect(await readyz(a!)).toBe(503);
      const metrics = await (await fetch(a!.url.replace('/graphql', '/metrics'))).text();
      expect(metrics).toMatch(/jobs_redis_up 0/);
      const q = await a!.query<{ job: { state: string } }>(
        '{ job(ref: {provider: NLB, jobId: "during-outage"}) { ... on CloudJob { state } } }',
      );
      expect(q.data?.job.state).toBe('RUNNING');
      await sub.completed;
      expect(seen(sub)).toEqual(LIFECYCLE);

      await redis.start();
      await waitUntil(async () => (await readyz(a!)) === 200 && (await readyz(b!)) === 200, 5000, 25);
      expect(await readyz(a!)).toBe(200);
      expect(await readyz(b!)).toBe(200);
      const other = connect(b!.wsUrl);
      cleanup.push(() => other.dispose());
      const after = subscribe(other, WATCH, { refs: [{ provider: 'DLI', jobId: 'after-outage' }] });
      await after.completed;
      expect(seen(after)).toEqual(LIFECYCLE);
    });
  },
);

describe.skipIf(restartSkip !== null)(
  restartSkip
    ? `Redis restart with a crashed replica — ${restartSkip}`
    : 'an empty Redis restarting after a replica crashed',
  () => {
    it('gives subscriptions opened on the survivors right after the restart every transition once, in order', async () => {
      const redis = new PrivateRedis(18_000 + Math.floor(Math.random() * 2_000));
      await redis.start();
      cleanup.push(() => redis.stop());
      // Each state lasts 1.5 s: long enough that a lease handover on a loaded CI runner (the whole
      // suite runs beside this test) cannot pass a state by; every transition is still asserted.
      const simulator = await startSimulator({ stepMs: 1_500 });
      cleanup.push(() => simulator.stop());
      const servers = await replicas(
        3,
        simulator,
        viaProxies(redis.url, (close) => cleanup.push(close)),
      );

      // Load before the faults: 300 subscribers over 10 jobs on the three replicas.
      const before: Subscription[] = [];
      for (const server of servers) {
        const client = connect(server.wsUrl);
        cleanup.push(() => client.dispose());
        for (let k = 0; k < 100; k++)
          before.push(subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: `before-restart-${k % 10}` }] }));
      }
      await Promise.all(before.map((s) => s.next()));

      // One replica dies without releasing anything, then Redis goes away for 3 s and comes back empty.
      const [dead, ...survivors] = servers;
      await dead!.crash();
      await redis.stop();
      await new Promise((r) => setTimeout(r, 3_000));
      await redis.start();

      // Subscribed at once: the survivors' connections are still reconnecting.
      const after: { jobId: string; sub: Subscription }[] = [];
      for (const server of survivors) {
        const client = connect(server.wsUrl);
        cleanup.push(() => client.dispose());
        for (let j = 0; j < 4; j++) {
          const jobId = `after-restart-${j}`;
          after.push({ jobId, sub: subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId }] }) });
        }
      }
      await Promise.all(after.map((a) => a.sub.completed));
      const got = after.map((a) => `${a.jobId}: ${seen(a.sub).join(' ')}`);
      expect(got).toEqual(after.map((a) => `${a.jobId}: ${LIFECYCLE.join(' ')}`));
    }, 30_000);
  },
);
