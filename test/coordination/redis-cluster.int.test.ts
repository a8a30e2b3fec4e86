/**
 * RedisCoordinator on a real 3-master Redis Cluster (test/helpers/redis-cluster.ts), for what only
 * a cluster has: hash slots spread over masters, pub/sub crossing nodes, a node going away. The
 * behaviour every coordinator shares runs against the same kind of cluster in
 * coordinator.contract.test.ts, and replicas of the real server in test/integration/redis-cluster.int.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobEventRecord } from '../../src/coordination/coordinator.js';
import { jobKeys } from '../../src/coordination/redis-coordinator.js';
import { coordinatorAt, uniquePrefix } from '../helpers/redis.js';
import { PrivateRedisCluster, redisClusterSkipReason } from '../helpers/redis-cluster.js';
import { nlbJob, nlbKey } from '../helpers/scripted-client.js';
import { waitUntil } from '../helpers/wait.js';

const skip = redisClusterSkipReason();

function event(jobId: string, seq: number): JobEventRecord {
  const job = nlbJob(nlbKey(jobId), seq === 1 ? 'processing' : 'Succeeded');
  return { id: job.id, seq, job, previous: null, at: Date.now() };
}

let cluster: PrivateRedisCluster;
let cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A coordinator through an ACL user of its own, so CLIENT LIST tells its connections apart. */
async function replica(prefix: string, onHealth?: (healthy: boolean) => void) {
  const link = await cluster.link();
  const coordinator = coordinatorAt(link.url, prefix, onHealth ? { onHealth } : {});
  cleanup.push(() => coordinator.close());
  await waitUntil(() => coordinator.healthy, 5_000, 10);
  expect(coordinator.healthy).toBe(true);
  return { coordinator, user: link.username };
}

/** One job id per master: the master that stores its keys. */
async function jobPerMaster(prefix: string): Promise<Map<number, string>> {
  const byPort = new Map<number, string>();
  for (let i = 0; byPort.size < cluster.ports.length && i < 200; i++) {
    const jobId = `spread-${i}`;
    const port = await cluster.portOf(jobKeys(prefix, event(jobId, 1).id).latest);
    if (!byPort.has(port)) byPort.set(port, jobId);
  }
  expect([...byPort.keys()].sort()).toEqual([...cluster.ports].sort());
  return byPort;
}

async function subscriberPort(c: { user: string }): Promise<number> {
  let ports: number[] = [];
  await waitUntil(async () => (ports = await cluster.portsWithClient('jobs-subgraph-sub', c.user)).length === 1, 2_000);
  expect(ports).toHaveLength(1);
  return ports[0]!;
}

describe.skipIf(skip !== null)(
  skip ? `RedisCoordinator on a Redis Cluster — ${skip}` : 'RedisCoordinator on a 3-master Redis Cluster',
  () => {
    beforeAll(async () => {
      cluster = await PrivateRedisCluster.start();
      console.info(`[redis-cluster] 3 masters started and joined in ${cluster.startMs} ms`);
    }, 30_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    it('keeps every key of a job on one master and spreads jobs over all three', async () => {
      const prefix = uniquePrefix();
      const { coordinator } = await replica(prefix);
      const holders = new Set<number>();
      for (let i = 0; i < 30; i++) {
        const e = event(`slot-${i}`, 1);
        expect(await coordinator.publish(e, 60_000)).toBe(true);
        expect(await coordinator.acquire(e.id, 'r1', 60_000)).toBe(true);
        const keys = jobKeys(prefix, e.id);
        const port = await cluster.portOf(keys.latest);
        expect(await cluster.portOf(keys.lease)).toBe(port);
        // Stored where the slot says: both keys are on that master.
        expect((await cluster.command(port, 'EXISTS', keys.latest, keys.lease)).trim()).toBe('2');
        holders.add(port);
      }
      expect(holders.size).toBe(3);
    });

    it("delivers each job's events to a subscriber on one node, whichever master stores the job", async () => {
      const prefix = uniquePrefix();
      const publisher = await replica(prefix);
      const follower = await replica(prefix);
      const jobs = await jobPerMaster(prefix);
      const got: string[] = [];
      for (const jobId of jobs.values())
        await follower.coordinator.subscribe(event(jobId, 1).id, () => got.push(jobId));
      const listeningOn = await subscriberPort(follower);
      for (const jobId of jobs.values())
        expect(await publisher.coordinator.publish(event(jobId, 1), 60_000)).toBe(true);
      await waitUntil(() => got.length >= 3, 2_000);
      expect(got.sort()).toEqual([...jobs.values()].sort());
      // Two of the three were stored and published on masters the subscriber is not connected to.
      expect([...jobs.keys()].filter((p) => p !== listeningOn)).toHaveLength(2);
    });

    // Last: it kills a node of the shared cluster.
    it('moves its subscriber to another node when that node dies, subscribed to every channel again before it reports healthy', async () => {
      const prefix = uniquePrefix();
      const publisher = await replica(prefix);
      const health: boolean[] = [];
      const follower = await replica(prefix, (h) => health.push(h));
      const jobs = await jobPerMaster(prefix);
      const got: string[] = [];
      for (const jobId of jobs.values())
        await follower.coordinator.subscribe(event(jobId, 1).id, () => got.push(jobId));
      const dead = await subscriberPort(follower);
      await cluster.kill(dead);
      await waitUntil(() => !follower.coordinator.healthy, 3_000, 5);
      // Asked for while it has no subscriber connection: a job stored on a surviving master.
      let late = '';
      for (let i = 0; !late && i < 100; i++) {
        const id = `late-${i}`;
        if ((await cluster.portOf(jobKeys(prefix, event(id, 1).id).latest)) !== dead) late = id;
      }
      await follower.coordinator.subscribe(event(late, 1).id, () => got.push(late));

      const movedAt = Date.now();
      await waitUntil(() => follower.coordinator.healthy, 5_000, 5);
      expect(follower.coordinator.healthy).toBe(true);
      console.info(
        `[redis-cluster] subscriber moved off the dead node, healthy again after ${Date.now() - movedAt} ms`,
      );
      expect(health).toEqual([true, false, true]);
      const now = await subscriberPort(follower);
      expect(now).not.toBe(dead);

      // Published the moment it says healthy: every channel on a surviving master is heard.
      const alive = [...[...jobs.entries()].filter(([p]) => p !== dead).map(([, id]) => id), late];
      for (const jobId of alive) expect(await publisher.coordinator.publish(event(jobId, 1), 60_000)).toBe(true);
      await waitUntil(() => got.length >= alive.length, 2_000);
      expect(got.sort()).toEqual(alive.sort());
    });
  },
);
