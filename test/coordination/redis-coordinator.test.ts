/**
 * RedisCoordinator behaviour that needs Redis to go away and come back (a private redis-server).
 * The behaviour shared with the in-memory coordinator is in test/contract/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../../src/coordination/redis-coordinator.js';
import type { JobEventRecord } from '../../src/coordination/coordinator.js';
import { PrivateRedis, redisServerInstalled, uniquePrefix } from '../helpers/redis.js';
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
  const a = new RedisCoordinator({ url: redis.url, prefix });
  const b = new RedisCoordinator({ url: redis.url, prefix });
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
      const redis = new PrivateRedis(20_000 + Math.floor(Math.random() * 2_000));
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
      const redis = new PrivateRedis(22_000 + Math.floor(Math.random() * 2_000));
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
