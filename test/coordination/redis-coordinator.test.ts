/**
 * RedisCoordinator behaviour that needs Redis to go away and come back (a private redis-server).
 * The behaviour shared with the in-memory coordinator is in coordinator.contract.test.ts; the
 * Redis Cluster's own cases (a node going away) are in redis-cluster.int.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEventRecord } from '../../src/coordination/coordinator.js';
import { coordinatorAt, PrivateRedis, PrivateSentinel, redisServerInstalled, uniquePrefix } from '../helpers/redis.js';
import { jobKeys } from '../../src/coordination/redis-coordinator.js';
import { nlbJob, nlbKey } from '../helpers/scripted-client.js';
import { waitUntil } from '../helpers/wait.js';

const noServer = !redisServerInstalled();
if (noServer && process.env.CI === 'true') throw new Error('redis-server must be installed in CI');

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function event(jobId: string, seq: number): JobEventRecord {
  const job = nlbJob(nlbKey(jobId), seq === 1 ? 'processing' : 'Succeeded');
  return { id: job.id, seq, job, previous: null, at: Date.now() };
}

async function twoReplicas(redis: PrivateRedis) {
  const prefix = uniquePrefix();
  const a = coordinatorAt(redis.url, prefix);
  const b = coordinatorAt(redis.url, prefix);
  cleanup.push(
    () => a.close(),
    () => b.close(),
  );
  await waitUntil(() => a.healthy && b.healthy, 3_000, 10);
  expect(a.healthy && b.healthy).toBe(true);
  return { a, b };
}

describe.skipIf(noServer)(
  noServer
    ? 'RedisCoordinator outages — SKIPPED: redis-server is not installed'
    : 'RedisCoordinator across a Redis restart',
  () => {
    it('delivers events on a channel that was subscribed while Redis was unreachable, once Redis is back', async () => {
      const redis = new PrivateRedis(26_000 + Math.floor(Math.random() * 1_000));
      await redis.start();
      cleanup.push(() => redis.stop());
      const { a, b } = await twoReplicas(redis);
      await redis.stop();
      await waitUntil(() => !a.healthy, 3_000, 10);

      const received: number[] = [];
      const subscribed = a.subscribe(event('asked-during-outage', 1).id, (e) => received.push(e.seq));
      await expect(subscribed).resolves.toBeTypeOf('function');

      await redis.start();
      await waitUntil(() => a.healthy && b.healthy, 5_000, 10);
      expect(a.healthy && b.healthy).toBe(true);
      expect(await b.publish(event('asked-during-outage', 1), 60_000)).toBe(true);
      await waitUntil(() => received.length > 0, 1_000, 5);
      expect(received).toEqual([1]);
    });

    it('keeps delivering on channels subscribed before the restart, and says healthy only once they are subscribed again', async () => {
      const redis = new PrivateRedis(27_000 + Math.floor(Math.random() * 1_000));
      await redis.start();
      cleanup.push(() => redis.stop());
      const { a, b } = await twoReplicas(redis);
      const received: number[] = [];
      await a.subscribe(event('across-restart', 1).id, (e) => received.push(e.seq));
      await redis.stop();
      await waitUntil(() => !a.healthy, 3_000, 10);
      await redis.start();
      // Published the moment both say healthy: the channel must already be subscribed again.
      await waitUntil(() => a.healthy && b.healthy, 5_000, 1);
      expect(await b.publish(event('across-restart', 2), 60_000)).toBe(true);
      await waitUntil(() => received.length > 0, 1_000, 5);
      expect(received).toEqual([2]);
    });
  },
);

describe.skipIf(noServer)(
  noServer
    ? 'RedisCoordinator on Sentinel — SKIPPED: redis-server is not installed'
    : 'RedisCoordinator across a Sentinel failover',
  () => {
    it('moves to the master the Sentinel promotes, keeps the stored event and lease, and hears its channels again', async () => {
      const base = Math.floor(Math.random() * 500);
      const sentinel = new PrivateSentinel(30_000 + base, 30_500 + base, { replicaPort: 31_000 + base });
      cleanup.push(() => sentinel.stop());
      await sentinel.start();
      const prefix = uniquePrefix();
      const health: boolean[] = [];
      const a = coordinatorAt(sentinel.url, prefix);
      const b = coordinatorAt(sentinel.url, prefix, { onHealth: (h) => health.push(h) });
      cleanup.push(
        () => a.close(),
        () => b.close(),
      );
      await waitUntil(() => a.healthy && b.healthy, 5_000, 10);
      expect(a.healthy && b.healthy).toBe(true);

      const id = event('sentinel-failover', 1).id;
      const received: number[] = [];
      await b.subscribe(id, (e) => received.push(e.seq));
      expect(await a.publish(event('sentinel-failover', 1), 60_000)).toBe(true);
      expect(await a.acquire(id, 'replica-a', 60_000)).toBe(true);
      // Failover loses writes the replica has not received yet; wait until it has both keys.
      const keys = jobKeys(prefix, id);
      const replicated = async () =>
        (await sentinel.cli(sentinel.replica!.port, 'EXISTS', keys.latest, keys.lease)).trim() === '2';
      await waitUntil(replicated, 3_000, 10);
      expect(await replicated()).toBe(true);

      const startedAt = Date.now();
      const promoted = await sentinel.failover();
      await waitUntil(() => health.includes(false) && a.healthy && b.healthy, 10_000, 10);
      console.info(
        `[redis-sentinel] failover to the replica, coordinators healthy again after ${Date.now() - startedAt} ms`,
      );
      expect(health).toEqual([true, false, true]);

      expect(await a.publish(event('sentinel-failover', 2), 60_000)).toBe(true);
      // Written on the promoted master, not on the old one.
      expect((await sentinel.cli(promoted, 'HGET', keys.latest, 'seq')).trim()).toBe('2');
      expect(await b.acquire(id, 'replica-b', 60_000)).toBe(false);
      await waitUntil(() => received.length >= 2, 2_000, 5);
      expect(received).toEqual([1, 2]);
    }, 30_000);
  },
);
