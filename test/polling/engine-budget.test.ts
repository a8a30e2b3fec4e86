import { afterEach, describe, expect, it } from 'vitest';
import type { PollBudget } from '../../src/polling/engine.js';
import { collect, gaps, harness, keyOf, mostInAnySecond, stopEngines } from './harness.js';

afterEach(stopEngines);

/** Scope = region; rates per region (changeable while the engine runs). */
function budget(rates: Record<string, number>): PollBudget {
  return { scopeOf: (key) => key.region, callsPerSec: (scope) => rates[scope] ?? Infinity };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('PollEngine with a poll budget', () => {
  it('never starts more polls in a scope than its rate in any second, evenly spaced, and polls every job fairly', async () => {
    const { engine, calls, callsOf, advance } = harness({
      pollBudget: budget({ 'cn-hangzhou': 4 }),
      growth: 1,
      minIntervalMs: 2_000,
      maxIntervalMs: 2_000,
    });
    const jobs = ids('j', 40);
    for (const id of jobs) engine.watch(keyOf(id), collect().watcher);
    await advance(120_000);
    const starts = calls.map((c) => c.at);
    expect(mostInAnySecond(starts)).toBe(4);
    expect(Math.min(...gaps(starts))).toBeGreaterThanOrEqual(250);
    // 40 jobs at 4/s: each polled every 10 s (its fair share, above its own 2 s), none skipped or favoured.
    const counts = jobs.map((id) => callsOf(id).length);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(11);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const perJobGaps = jobs.flatMap((id) => gaps(callsOf(id)));
    expect(Math.min(...perJobGaps)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...perJobGaps)).toBeLessThanOrEqual(11_000);
  });

  it("stretches a saturated scope's intervals only: jobs of another scope keep their own", async () => {
    const { engine, calls, callsOf, advance } = harness({
      pollBudget: budget({ slow: 2, fast: 20 }),
    });
    for (const id of ids('s', 20)) engine.watch(keyOf(id, 'NLB', 'slow'), collect().watcher);
    engine.watch(keyOf('f', 'NLB', 'fast'), collect().watcher);
    await advance(30_000);
    const slow = calls.filter((c) => c.jobId.startsWith('s')).map((c) => c.at);
    expect(mostInAnySecond(slow)).toBe(2);
    // As unbudgeted: the interval grows 1 s, 1.5 s, 2.25 s, 3.4 s, 5.1 s, 7.6 s.
    expect(callsOf('f')).toEqual([0, 1_000, 2_500, 4_750, 8_125, 13_188, 20_783]);
  });

  it('polls a job whose subscriber just arrived before a backlog of jobs already due', async () => {
    const rates = { r: 10 };
    const { engine, calls, advance } = harness({
      pollBudget: budget(rates),
      growth: 1,
      maxIntervalMs: 2_000,
      minIntervalMs: 2_000,
    });
    for (const id of ids('old', 10)) engine.watch(keyOf(id, 'NLB', 'r'), collect().watcher);
    await advance(10_000);
    // The budget shrinks to one poll per 2 s: the ten jobs, due every 2 s, pile up.
    rates.r = 0.5;
    await advance(4_000);
    const before = calls.length;
    engine.watch(keyOf('new', 'NLB', 'r'), collect().watcher);
    await advance(2_000);
    expect(calls.slice(before).map((c) => c.jobId)).toEqual(['new']);
  });

  it('polls jobs expected to end soon before other jobs due as long', async () => {
    const rates = { r: 10 };
    const { clock, engine, calls, advance } = harness({
      pollBudget: budget(rates),
      growth: 1,
      maxIntervalMs: 2_000,
      minIntervalMs: 2_000,
      expectedEndOf: (job) => (job.jobId === 'ending' ? clock.now() + 30_000 : null),
    });
    for (const id of [...ids('old', 9), 'ending']) engine.watch(keyOf(id, 'NLB', 'r'), collect().watcher);
    await advance(10_000);
    // No budget for a while: every job comes due and waits.
    rates.r = 0;
    await advance(5_000);
    rates.r = 1;
    const before = calls.length;
    await advance(3_000);
    expect(calls.slice(before).map((c) => c.jobId)).toEqual(['ending', 'old0', 'old1']);
  });

  it('keeps polling watched jobs while new subscribers arrive as fast as the budget allows', async () => {
    const { engine, callsOf, advance } = harness({ pollBudget: budget({ r: 1 }) });
    const old = ids('old', 5);
    for (const id of old) engine.watch(keyOf(id, 'NLB', 'r'), collect().watcher);
    // One new job a second, each watched until its first answer: every slot could go to a first poll.
    for (let s = 0; s < 300; s++) {
      const stop = engine.watch(keyOf(`new${s}`, 'NLB', 'r'), () => queueMicrotask(() => stop()));
      await advance(1_000);
    }
    for (const id of old) expect(callsOf(id).length).toBeGreaterThanOrEqual(3);
  });

  it('never polls a job unwatched while it waits, and shares its slots among the jobs left', async () => {
    const rates = { r: 1 };
    const { engine, calls, callsOf, advance, elapsed } = harness({
      pollBudget: budget(rates),
      growth: 1,
      maxIntervalMs: 1_000,
    });
    const stops = new Map(ids('j', 10).map((id) => [id, engine.watch(keyOf(id, 'NLB', 'r'), collect().watcher)]));
    await advance(20_000);
    // No budget for a while: every job comes due and waits for a slot; half of them are unwatched.
    rates.r = 0;
    await advance(12_000);
    const gone = ids('j', 10).slice(5);
    for (const id of gone) stops.get(id)!();
    const from = elapsed();
    rates.r = 1;
    await advance(40_000);
    expect(calls.filter((c) => gone.includes(c.jobId) && c.at - calls[0]!.at > from)).toEqual([]);
    for (const id of ids('j', 5)) expect(gaps(callsOf(id)).at(-1)).toBe(5_000);
  });

  it('reads a changed rate and paces by it', async () => {
    const rates = { r: 2 };
    const { engine, calls, advance, elapsed } = harness({ pollBudget: budget(rates) });
    for (const id of ids('j', 50)) engine.watch(keyOf(id, 'NLB', 'r'), collect().watcher);
    await advance(10_000);
    rates.r = 5;
    const from = elapsed();
    await advance(10_000);
    const after = calls.filter((c) => c.at - calls[0]!.at >= from + 1_000).map((c) => c.at);
    expect(mostInAnySecond(after)).toBe(5);
  });

  it('polls nothing in a scope whose rate is zero, and resumes when it returns', async () => {
    const rates = { r: 0 };
    const { engine, calls, advance } = harness({ pollBudget: budget(rates) });
    const w = collect();
    engine.watch(keyOf('j', 'NLB', 'r'), w.watcher);
    await advance(5_000);
    expect(calls).toEqual([]);
    rates.r = 1;
    await advance(2_000);
    expect(w.statuses()).toEqual(['∅→processing']);
  });
});
