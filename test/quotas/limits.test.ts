/**
 * The arithmetic behind the quotas: a rate split into fixed windows that still holds in every
 * sliding second, and where a provider's day ends.
 */
import { describe, expect, it } from 'vitest';
import { providerDay, windowPlan } from '../../src/quotas/limits.js';

/**
 * The most calls a sliding second can hold under a plan, with every window full and its calls
 * placed adversarially: the first window's at its very end, every later window's at its start.
 */
function worstSlidingSecond(windowMs: number, perWindow: number): number {
  const calls: number[] = [];
  for (let i = 0; i < perWindow; i++) calls.push(windowMs - 1e-6);
  for (let w = 1; w * windowMs < 3_000; w++) for (let i = 0; i < perWindow; i++) calls.push(w * windowMs);
  let most = 0;
  for (const start of calls) most = Math.max(most, calls.filter((t) => t >= start && t < start + 1_000).length);
  return most;
}

describe('windowPlan', () => {
  it('never lets more than the rate through in any sliding second, for every rate and burst up to 60', () => {
    for (let rate = 2; rate <= 60; rate++) {
      for (const burst of [1, 2, 3, 5, 10, rate]) {
        if (burst > rate) continue;
        const plan = windowPlan(rate, burst);
        expect(worstSlidingSecond(plan.windowMs, plan.perWindow), `rate ${rate} burst ${burst}`).toBeLessThanOrEqual(
          rate,
        );
        expect(plan.perWindow).toBeLessThanOrEqual(burst);
      }
    }
  });

  it('lets at least half the rate through, and most of it for larger rates', () => {
    expect(windowPlan(2, 2).sustainedPerSec).toBe(1);
    expect(windowPlan(5, 1).sustainedPerSec).toBe(4);
    expect(windowPlan(50, 10).sustainedPerSec).toBeGreaterThanOrEqual(45);
    expect(windowPlan(200, 10).sustainedPerSec).toBeGreaterThanOrEqual(190);
    for (let rate = 2; rate <= 300; rate++) {
      expect(windowPlan(rate, rate).sustainedPerSec).toBeGreaterThanOrEqual(rate / 2);
    }
  });

  it('is what a plain per-second counter is not: that lets twice the rate through across an edge', () => {
    expect(worstSlidingSecond(1_000, 5)).toBe(10);
  });

  it('refuses a rate below 2, which no fixed window can bound', () => {
    expect(() => windowPlan(1, 1)).toThrow(RangeError);
    expect(() => windowPlan(2.5, 1)).toThrow(RangeError);
    expect(() => windowPlan(5, 0)).toThrow(RangeError);
  });
});

describe('providerDay', () => {
  const CST = 480;

  it('labels the day in China Standard Time and ends it at midnight there (16:00 UTC)', () => {
    const day = providerDay(Date.UTC(2026, 11, 7, 15, 59, 59), CST);
    expect(day.label).toBe('2026-12-07');
    expect(new Date(day.endsAt).toISOString()).toBe('2026-12-07T16:00:00.000Z');
  });

  it('starts the next day at 16:00 UTC', () => {
    const day = providerDay(Date.UTC(2026, 11, 7, 16, 0, 0), CST);
    expect(day.label).toBe('2026-12-08');
    expect(new Date(day.endsAt).toISOString()).toBe('2026-12-08T16:00:00.000Z');
  });

  it('follows the offset it is given', () => {
    const day = providerDay(Date.UTC(2026, 11, 7, 23, 0, 0), 0);
    expect(day.label).toBe('2026-12-07');
    expect(new Date(day.endsAt).toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });
});
