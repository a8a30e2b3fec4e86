/**
 * One behaviour contract, run over every Coordinator implementation: in memory, and Redis (two
 * instances sharing one Redis play two replicas).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryCoordinator } from '../helpers/memory-coordinator.js';
import { RedisCoordinator } from '../../src/coordination/redis-coordinator.js';
import type { Coordinator, JobEventRecord } from '../../src/coordination/coordinator.js';
import { nlbJob, nlbKey } from '../helpers/scripted-client.js';
import { redisSkipReason, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';

const skipRedis = await redisSkipReason();

interface Pair {
  a: Coordinator;
  b: Coordinator;
  close(): Promise<void>;
}

const implementations: { name: string; skip: string | null; make: () => Promise<Pair> }[] = [
  {
    name: 'MemoryCoordinator',
    skip: null,
    make: async () => {
      const shared = new MemoryCoordinator();
      return { a: shared, b: shared, close: () => shared.close() };
    },
  },
  {
    name: 'RedisCoordinator',
    skip: skipRedis,
    make: async () => {
      const prefix = uniquePrefix();
      const a = new RedisCoordinator({ url: TEST_REDIS_URL, prefix });
      const b = new RedisCoordinator({ url: TEST_REDIS_URL, prefix });
      await waitUntil(() => a.healthy && b.healthy, 3_000, 10);
      if (!a.healthy || !b.healthy) throw new Error('Redis is not reachable');
      return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
    },
  },
];

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

for (const impl of implementations) {
  describe.skipIf(impl.skip !== null)(impl.skip ? `${impl.name} — ${impl.skip}` : `${impl.name} contract`, () => {
    let pair: Pair;
    afterEach(async () => {
      await pair?.close();
    });

    it('delivers a published event to subscribers of that job on every instance, and only to them', async () => {
      pair = await impl.make();
      const got: string[] = [];
      await pair.b.subscribe('NLB:cn-hangzhou:-:j1', (e) => got.push(`j1#${e.seq}`));
      await pair.b.subscribe('NLB:cn-hangzhou:-:j2', (e) => got.push(`j2#${e.seq}`));
      expect(await pair.a.publish(event('j1', 1, 'processing'), 60_000)).toBe(true);
      await waitUntil(() => got.length >= 1, 2_000);
      expect(got).toEqual(['j1#1']);
    });

    it('keeps Dates and every field intact across the wire and serves the latest event', async () => {
      pair = await impl.make();
      const e = event('j3', 2, 'Succeeded');
      await pair.a.publish(e, 60_000);
      const latest = await pair.b.latest(e.id);
      expect(latest).toEqual(e);
      expect(latest?.job.startedAt).toBeInstanceOf(Date);
      expect(await pair.b.latest('NLB:cn-hangzhou:-:never')).toBeNull();
    });

    it('refuses to publish an event that is not newer than the stored one', async () => {
      pair = await impl.make();
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
      pair = await impl.make();
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
      pair = await impl.make();
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
  });
}

describe.skipIf(skipRedis !== null)(skipRedis ? `Redis prefixes — ${skipRedis}` : 'Redis prefixes', () => {
  it('keeps two deployments sharing one Redis apart', async () => {
    const one = new RedisCoordinator({ url: TEST_REDIS_URL, prefix: uniquePrefix() });
    const two = new RedisCoordinator({ url: TEST_REDIS_URL, prefix: uniquePrefix() });
    await waitUntil(() => one.healthy && two.healthy, 3_000, 10);
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
    await Promise.all([one.close(), two.close()]);
  });

  it('requires a prefix', () => {
    expect(() => new RedisCoordinator({ url: TEST_REDIS_URL, prefix: '' })).toThrow(/prefix/);
  });
});
