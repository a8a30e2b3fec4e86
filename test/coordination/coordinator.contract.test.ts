/**
 * One behaviour contract, run over every Coordinator implementation: in memory, and Redis (two
 * instances sharing one Redis play two replicas) in each form REDIS_URL can name: one server, a
 * master behind Sentinel, and a 3-master Redis Cluster (started here; see test/helpers/redis-cluster.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCoordinator } from '../helpers/memory-coordinator.js';
import { RedisCoordinator } from '../../src/coordination/redis-coordinator.js';
import { parseRedisUrl } from '../../src/config.js';
import type { Coordinator, JobEventRecord } from '../../src/coordination/coordinator.js';
import { nlbJob, nlbKey } from '../helpers/scripted-client.js';
import {
  coordinatorAt,
  PrivateSentinel,
  redisServerInstalled,
  redisSkipReason,
  TEST_REDIS_URL,
  uniquePrefix,
} from '../helpers/redis.js';
import { PrivateRedisCluster, redisClusterSkipReason } from '../helpers/redis-cluster.js';
import { waitUntil } from '../helpers/wait.js';

const skipRedis = await redisSkipReason();
const noServer = !redisServerInstalled();
if (noServer && process.env.CI === 'true') throw new Error('redis-server must be installed in CI');
const skipCluster = redisClusterSkipReason();

interface Pair {
  a: Coordinator;
  b: Coordinator;
  close(): Promise<void>;
}

/** A Redis for the suite: the shared server, or one started for it (stopped in afterAll). */
interface RedisBackend {
  name: string;
  skip: string | null;
  start(): Promise<{ url: string; stop(): Promise<void> }>;
}

const backends: RedisBackend[] = [
  {
    name: 'one Redis server',
    skip: skipRedis,
    start: async () => ({ url: TEST_REDIS_URL, stop: async () => undefined }),
  },
  {
    name: 'Redis Sentinel',
    skip: noServer ? 'SKIPPED: redis-server is not installed' : null,
    start: async () => {
      const sentinel = new PrivateSentinel(
        28_000 + Math.floor(Math.random() * 1_000),
        29_000 + Math.floor(Math.random() * 1_000),
      );
      await sentinel.start().catch(async (err: unknown) => {
        await sentinel.stop();
        throw err;
      });
      return sentinel;
    },
  },
  {
    name: 'a 3-master Redis Cluster',
    skip: skipCluster,
    start: async () => {
      const cluster = await PrivateRedisCluster.start();
      console.info(`[redis-cluster] 3 masters started and joined in ${cluster.startMs} ms`);
      return cluster;
    },
  },
];

/** Two coordinators on one Redis, sharing a fresh prefix: two replicas. */
async function redisPair(url: string): Promise<Pair> {
  const prefix = uniquePrefix();
  const a = coordinatorAt(url, prefix);
  const b = coordinatorAt(url, prefix);
  await waitUntil(() => a.healthy && b.healthy, 5_000, 10);
  if (!a.healthy || !b.healthy) {
    await Promise.all([a.close(), b.close()]);
    throw new Error('Redis is not reachable');
  }
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

function event(jobId: string, seq: number, status: string): JobEventRecord {
  const job = nlbJob(nlbKey(jobId), status);
  return {
    id: job.id,
    seq,
    job: { ...job, startedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) },
    previous: seq > 1 ? { state: 'RUNNING', rawStatus: 'processing' } : null,
    at: 1_700_000_000_000 + seq,
  };
}

/** The contract itself; `make` gives each test a fresh pair. */
function contract(make: () => Promise<Pair>): void {
  let pair: Pair;
  afterEach(async () => {
    await pair?.close();
  });

  it('delivers a published event to subscribers of that job on every instance, and only to them', async () => {
    pair = await make();
    const got: string[] = [];
    await pair.b.subscribe('NLB:cn-hangzhou:-:j1', (e) => got.push(`j1#${e.seq}`));
    await pair.b.subscribe('NLB:cn-hangzhou:-:j2', (e) => got.push(`j2#${e.seq}`));
    expect(await pair.a.publish(event('j1', 1, 'processing'), 60_000)).toBe(true);
    await waitUntil(() => got.length >= 1, 2_000);
    expect(got).toEqual(['j1#1']);
  });

  it('keeps Dates and every field intact across the wire and serves the latest event', async () => {
    pair = await make();
    const e = event('j3', 2, 'Succeeded');
    await pair.a.publish(e, 60_000);
    const latest = await pair.b.latest(e.id);
    expect(latest).toEqual(e);
    expect(latest?.job.startedAt).toBeInstanceOf(Date);
    expect(await pair.b.latest('NLB:cn-hangzhou:-:never')).toBeNull();
  });

  it('refuses to publish an event that is not newer than the stored one', async () => {
    pair = await make();
    const got: number[] = [];
    await pair.b.subscribe(event('j4', 1, 'x').id, (e) => got.push(e.seq));
    expect(await pair.a.publish(event('j4', 2, 'processing'), 60_000)).toBe(true);
    expect(await pair.b.publish(event('j4', 2, 'processing'), 60_000)).toBe(false);
    expect(await pair.b.publish(event('j4', 1, 'processing'), 60_000)).toBe(false);
    expect(await pair.a.publish(event('j4', 3, 'Succeeded'), 60_000)).toBe(true);
    await waitUntil(() => got.length >= 2, 2_000);
    expect(got).toEqual([2, 3]);
    expect((await pair.a.latest(event('j4', 1, 'x').id))?.seq).toBe(3);
  });

  it('gives a lease to one owner at a time, renews it for that owner, and frees it on release or expiry', async () => {
    pair = await make();
    const id = event('j5', 1, 'x').id;
    expect(await pair.a.acquire(id, 'replica-a', 60_000)).toBe(true);
    expect(await pair.b.acquire(id, 'replica-b', 60_000)).toBe(false);
    expect(await pair.a.acquire(id, 'replica-a', 60_000)).toBe(true);
    await pair.b.release(id, 'replica-b'); // not the holder: no effect
    expect(await pair.b.acquire(id, 'replica-b', 60_000)).toBe(false);
    await pair.a.release(id, 'replica-a');
    expect(await pair.b.acquire(id, 'replica-b', 150)).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    expect(await pair.a.acquire(id, 'replica-a', 60_000)).toBe(true);
  });

  it('stops delivering after unsubscribe', async () => {
    pair = await make();
    const got: number[] = [];
    const id = event('j6', 1, 'x').id;
    const unsubscribe = await pair.b.subscribe(id, (e) => got.push(e.seq));
    await pair.a.publish(event('j6', 1, 'processing'), 60_000);
    await waitUntil(() => got.length >= 1, 2_000);
    await unsubscribe();
    await pair.a.publish(event('j6', 2, 'Succeeded'), 60_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([1]);
  });
}

describe('MemoryCoordinator contract', () => {
  contract(async () => {
    const shared = new MemoryCoordinator();
    return { a: shared, b: shared, close: () => shared.close() };
  });
});

for (const backend of backends) {
  const title = `RedisCoordinator on ${backend.name}`;
  describe.skipIf(backend.skip !== null)(backend.skip ? `${title} — ${backend.skip}` : title, () => {
    let redis: { url: string; stop(): Promise<void> } | undefined;
    beforeAll(async () => {
      redis = await backend.start();
    }, 30_000);
    afterAll(async () => {
      await redis?.stop();
    });

    describe('contract', () => contract(() => redisPair(redis!.url)));

    it('keeps two deployments sharing one Redis apart', async () => {
      const one = coordinatorAt(redis!.url, uniquePrefix());
      const two = coordinatorAt(redis!.url, uniquePrefix());
      try {
        await waitUntil(() => one.healthy && two.healthy, 5_000, 10);
        expect(one.healthy && two.healthy).toBe(true);
        const e = event('shared', 1, 'processing');
        const heard: number[] = [];
        await two.subscribe(e.id, (x) => heard.push(x.seq));
        await one.publish(e, 60_000);
        expect(await one.acquire(e.id, 'r1', 60_000)).toBe(true);
        expect(await two.acquire(e.id, 'r2', 60_000)).toBe(true);
        await new Promise((r) => setTimeout(r, 100));
        expect(heard).toEqual([]);
        expect(await two.latest(e.id)).toBeNull();
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    });
  });
}

describe('RedisCoordinator', () => {
  it('requires a prefix', () => {
    expect(() => new RedisCoordinator({ target: parseRedisUrl(TEST_REDIS_URL), prefix: '' })).toThrow(/prefix/);
  });
});
