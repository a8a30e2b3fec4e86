/**
 * SharedCallBudget in one process (no Redis): the rate holds in every sliding second however
 * many callers press, a daily budget stops calls before they are sent and says when it resets,
 * and each provider/account/region counts on its own. Time is a manual clock.
 */
import { describe, expect, it } from 'vitest';
import { isJobError, type JobError } from '../../src/errors.js';
import type { BudgetScope } from '../../src/providers/resilience/call-budget.js';
import { SharedCallBudget, type QuotaUse } from '../../src/quotas/call-budget.js';
import type { QuotaLimits } from '../../src/quotas/limits.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { mostInAnySecond } from '../helpers/sliding-window.js';

const DW: BudgetScope = { provider: 'DATAWORKS', account: 'prod', region: 'cn-hangzhou' };
// 23:59:00 in China Standard Time.
const START = Date.UTC(2026, 11, 7, 15, 59, 0);

function budget(limits: Partial<QuotaLimits> = {}, onDailyUse?: (u: QuotaUse) => void) {
  const clock = new ManualClock(START);
  const b = new SharedCallBudget({
    limitsOf: () => ({ ratePerSec: 5, burst: 1, dailyBudget: null, ...limits }),
    dayStartUtcOffsetMinutes: 480,
    now: () => clock.now(),
    random: () => 0,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const h = clock.setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
          clock.clearTimeout(h);
          resolve();
        });
      }),
    ...(onDailyUse ? { onDailyUse } : {}),
  });
  return { b, clock };
}

async function failure(p: Promise<unknown>): Promise<JobError> {
  try {
    await p;
  } catch (err) {
    if (isJobError(err)) return err;
    throw err;
  }
  throw new Error('expected a coded failure');
}

describe('SharedCallBudget: the rate', () => {
  it('lets 60 callers through at no more than 5 in any sliding second', async () => {
    const { b, clock } = budget();
    const granted: number[] = [];
    const signal = new AbortController().signal;
    const all = Array.from({ length: 60 }, () => b.acquire(DW, 60_000, signal).then(() => granted.push(clock.now())));
    await clock.advance(20_000);
    await Promise.all(all);
    expect(granted).toHaveLength(60);
    expect(mostInAnySecond(granted)).toBeLessThanOrEqual(5);
    // Sustained 4/s (windows of 250 ms, one call each): 60 calls within about 15 s.
    expect(Math.max(...granted) - START).toBeLessThan(15_500);
  });

  it('refuses at once, with no request sent and the wait it would need, when the wait exceeds the caller’s limit', async () => {
    const { b } = budget();
    const signal = new AbortController().signal;
    await b.acquire(DW, 0, signal);
    const err = await failure(b.acquire(DW, 100, signal));
    expect(err.code).toBe('PROVIDER_THROTTLED');
    expect(err.details.retryAfterMs).toBeGreaterThan(100);
    expect(err.details.retryAfterMs).toBeLessThanOrEqual(250);
  });

  it('counts each provider, account and region on its own', async () => {
    const { b } = budget();
    const signal = new AbortController().signal;
    for (const scope of [
      DW,
      { ...DW, account: 'staging' },
      { ...DW, region: 'cn-shanghai' },
      { ...DW, provider: 'NLB' as const },
    ]) {
      expect(await b.acquire(scope, 0, signal)).toBe(0);
    }
  });

  it('counts nothing for a scope without any quota (the simulator default), and says it can sustain any rate', async () => {
    const { b } = budget({ ratePerSec: Infinity, burst: Infinity });
    const signal = new AbortController().signal;
    for (let i = 0; i < 1_000; i++) expect(await b.acquire(DW, 0, signal)).toBe(0);
    expect(b.sustainedPerSec(DW)).toBe(Infinity);
  });

  it("plans polls with 80 % of the sustained rate, shared by the replicas, within the day's budget spread over the day", () => {
    const { b } = budget({ ratePerSec: 5, burst: 1, dailyBudget: null });
    // 5/s with burst 1 sustains 4/s.
    expect(b.pollRate(DW, 1)).toBeCloseTo(3.2);
    expect(b.pollRate(DW, 4)).toBeCloseTo(0.8);
    expect(b.pollRate(DW, 0)).toBeCloseTo(3.2);
    const daily = budget({ ratePerSec: 5, burst: 1, dailyBudget: 864 }).b;
    // 864 calls a day are 0.01/s: polling never plans to spend the whole day's budget.
    expect(daily.pollRate(DW, 1)).toBeCloseTo(0.008);
    expect(daily.pollRate(DW, 2)).toBeCloseTo(0.004);
    expect(budget({ ratePerSec: Infinity, burst: Infinity }).b.pollRate(DW, 3)).toBe(Infinity);
  });

  it('reports what a scope can sustain, for the poll engine to plan with', () => {
    const { b } = budget({ ratePerSec: 200, burst: 10 });
    expect(b.sustainedPerSec(DW)).toBeGreaterThanOrEqual(190);
    expect(b.sustainedPerSec(DW)).toBeLessThanOrEqual(200);
  });
});

describe('SharedCallBudget: the daily budget', () => {
  it('stops call 101 of a 100-call day before it is sent, saying when the budget resets', async () => {
    const uses: number[] = [];
    const { b, clock } = budget({ ratePerSec: 100_000, burst: 100_000, dailyBudget: 100 }, (u) => uses.push(u.used));
    const signal = new AbortController().signal;
    for (let i = 0; i < 100; i++) await b.acquire(DW, 0, signal);
    const err = await failure(b.acquire(DW, 0, signal));
    expect(err.code).toBe('PROVIDER_QUOTA_EXHAUSTED');
    expect(err.details.resetsAt).toBe('2026-12-07T16:00:00.000Z');
    expect(err.transient).toBe(true);
    expect(uses.at(-1)).toBe(100);
    // The provider's day ends at midnight CST: the next day has its own budget.
    await clock.advance(60_000);
    expect(await b.acquire(DW, 0, signal)).toBe(0);
  });

  it('gives back the day’s call when the rate refuses it, so refused calls do not spend the budget', async () => {
    const { b, clock } = budget({ ratePerSec: 5, burst: 1, dailyBudget: 2 });
    const signal = new AbortController().signal;
    await b.acquire(DW, 0, signal);
    for (let i = 0; i < 5; i++) expect((await failure(b.acquire(DW, 0, signal))).code).toBe('PROVIDER_THROTTLED');
    await clock.advance(1_000);
    expect(await b.acquire(DW, 0, signal)).toBe(0);
    expect((await failure(b.acquire(DW, 0, signal))).code).toBe('PROVIDER_QUOTA_EXHAUSTED');
  });

  it('gives back the day’s call when the caller gives up while waiting', async () => {
    const { b, clock } = budget({ ratePerSec: 5, burst: 1, dailyBudget: 2 });
    await b.acquire(DW, 0, new AbortController().signal);
    const abort = new AbortController();
    const waiting = b.acquire(DW, 1_000, abort.signal);
    abort.abort();
    await waiting;
    await clock.advance(1_000);
    // One of two spent: the next call is still within the day's budget, the one after is not.
    expect(await b.acquire(DW, 0, new AbortController().signal)).toBe(0);
    await clock.advance(1_000);
    expect((await failure(b.acquire(DW, 0, new AbortController().signal))).code).toBe('PROVIDER_QUOTA_EXHAUSTED');
  });
});
