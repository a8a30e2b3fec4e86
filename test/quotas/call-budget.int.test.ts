/**
 * Quotas shared through a real Redis: replicas draw from one budget, and when Redis goes away
 * each keeps to its share (limit / replicas last seen) instead of the full limit.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isJobError } from '../../src/errors.js';
import type { BudgetScope } from '../../src/providers/resilience/call-budget.js';
import { SharedCallBudget } from '../../src/quotas/call-budget.js';
import { ReplicaPresence } from '../../src/quotas/replica-presence.js';
import { redisSkipReason, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { mostInAnySecond } from '../helpers/sliding-window.js';

const DW: BudgetScope = { provider: 'DATAWORKS', account: 'prod', region: 'cn-hangzhou' };

let skip: string | null = null;
beforeAll(async () => {
  skip = await redisSkipReason();
});

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function client(url: string): Redis {
  // As the coordinator connects: no offline queue, so a lost Redis fails commands at once.
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  r.on('error', () => undefined);
  cleanup.push(() => r.disconnect());
  return r;
}

async function ready(r: Redis): Promise<void> {
  if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
}

function replica(
  r: Redis,
  prefix: string,
  limits: { ratePerSec: number; burst: number; dailyBudget: number | null },
  liveReplicas = () => 1,
) {
  return new SharedCallBudget({
    limitsOf: () => limits,
    dayStartUtcOffsetMinutes: 480,
    redis: { client: r, prefix },
    liveReplicas,
  });
}

/** Calls granted per replica while each presses as hard as it can for `ms`; returns grant times. */
async function press(budgets: SharedCallBudget[], ms: number, scope = DW): Promise<number[][]> {
  const end = Date.now() + ms;
  return Promise.all(
    budgets.map(async (b) => {
      const granted: number[] = [];
      const workers = Array.from({ length: 4 }, async () => {
        while (Date.now() < end) {
          try {
            await b.acquire(scope, Math.max(0, end - Date.now()), new AbortController().signal);
            if (Date.now() < end) granted.push(Date.now());
          } catch (err) {
            if (!isJobError(err) || err.code !== 'PROVIDER_THROTTLED') throw err;
          }
        }
      });
      await Promise.all(workers);
      return granted;
    }),
  );
}

describe('SharedCallBudget over Redis', () => {
  it('holds three replicas together to 5 calls in any sliding second', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const prefix = uniquePrefix();
    const limits = { ratePerSec: 5, burst: 1, dailyBudget: null };
    const clients = [0, 1, 2].map(() => client(TEST_REDIS_URL));
    await Promise.all(clients.map(ready));
    const budgets = clients.map((r) => replica(r, prefix, limits));
    const granted = await press(budgets, 3_000);
    const all = granted.flat();
    expect(mostInAnySecond(all)).toBeLessThanOrEqual(5);
    // Sustained 4/s for 3 s: the budget is used, not starved.
    expect(all.length).toBeGreaterThanOrEqual(10);
    // Every replica got a turn.
    for (const g of granted) expect(g.length).toBeGreaterThan(0);
  });

  it('shares one daily budget across replicas: call 11 of a 10-call day is refused wherever it is made', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const prefix = uniquePrefix();
    const limits = { ratePerSec: 1_000, burst: 1_000, dailyBudget: 10 };
    const clients = [client(TEST_REDIS_URL), client(TEST_REDIS_URL)];
    await Promise.all(clients.map(ready));
    const [a, b] = clients.map((r) => replica(r, prefix, limits));
    const signal = new AbortController().signal;
    for (let i = 0; i < 5; i++) {
      await a!.acquire(DW, 2_000, signal);
      await b!.acquire(DW, 2_000, signal);
    }
    const refused = await a!.acquire(DW, 2_000, signal).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'PROVIDER_QUOTA_EXHAUSTED' });
    expect(isJobError(refused) && refused.details.resetsAt).toMatch(/T16:00:00\.000Z$/);
  });

  it('falls back to each replica’s share while Redis is away, so three replicas stay near the limit, not three times it', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const prefix = uniquePrefix();
    const limits = { ratePerSec: 30, burst: 3, dailyBudget: null };
    const proxies = await Promise.all([0, 1, 2].map(() => TcpProxy.start(TEST_REDIS_URL)));
    cleanup.push(() => Promise.all(proxies.map((p) => p.close())));
    const clients = proxies.map((p) => client(p.url));
    await Promise.all(clients.map(ready));
    const presences = clients.map(
      (r, i) => new ReplicaPresence({ client: r, prefix, id: `replica-${i}`, intervalMs: 100_000 }),
    );
    for (const p of presences) await p.beat();
    expect(presences.map((p) => p.count())).toEqual([1, 2, 3]);
    for (const p of presences) await p.beat();
    expect(presences.map((p) => p.count())).toEqual([3, 3, 3]);
    const budgets = clients.map((r, i) => replica(r, prefix, limits, () => presences[i]!.count()));

    const shared = (await press(budgets, 2_000)).flat();
    for (const p of proxies) p.cut();
    const alone = (await press(budgets, 2_000)).flat();

    const sustained = budgets[0]!.sustainedPerSec(DW);
    expect(mostInAnySecond(shared), 'shared').toBeLessThanOrEqual(30);
    // Each replica's bucket: sustained/3 per second and a burst of 1; together at most the
    // sustained rate plus one burst each.
    expect(mostInAnySecond(alone), `alone, sustained ${sustained}`).toBeLessThanOrEqual(sustained + 3);
    expect(alone.length, 'calls while alone').toBeGreaterThan(sustained);
  });
});
