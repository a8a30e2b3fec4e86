import { afterEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/polling/engine.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import { collect, harness, keyOf, stopEngines } from './harness.js';

afterEach(stopEngines);

type Status = Extract<WatchEvent, { kind: 'status' }>;
const statusEvents = (events: WatchEvent[]) => events.filter((e): e is Status => e.kind === 'status');

describe('PollEngine freshness', () => {
  it('tells on each status event when the job was observed and when the next poll starts', async () => {
    const { client, engine, calls, advance, start } = harness();
    client.script('j', 'processing', 'processing', 'Processing', 'Succeeded');
    const w = collect();
    engine.watch(keyOf('j'), w.watcher);
    await advance(60_000);
    const events = statusEvents(w.events);
    expect(events.map((e) => e.observedAt! - start)).toEqual([0, 2_500, 3_500]);
    const callTimes = calls.map((c) => c.at);
    // Every planned poll is the next call; the final state is never polled again.
    expect(events.map((e) => e.nextPollAt)).toEqual([callTimes[1], callTimes[3], null]);
  });

  it('gives a late watcher the time its snapshot was observed, not when it was handed over', async () => {
    const { client, engine, advance, start } = harness();
    client.script('j', 'processing');
    engine.watch(keyOf('j'), collect().watcher);
    await advance(500);
    const late = collect();
    engine.watch(keyOf('j'), late.watcher);
    await advance(0);
    const [event] = statusEvents(late.events);
    expect(event!.observedAt).toBe(start);
    expect(event!.at).toBe(start + 500);
    expect(event!.nextPollAt).toBe(start + 1_000);
  });

  it('answers when a watched job is polled next, null once it is final, nothing for an unwatched job', async () => {
    const { client, engine, calls, advance } = harness();
    client.script('j', 'processing', 'processing', 'Succeeded');
    const id = toGlobalId(keyOf('j'));
    expect(engine.nextPollAt(id)).toBeUndefined();
    engine.watch(keyOf('j'), collect().watcher);
    await advance(10);
    expect(engine.nextPollAt(id)).toBe(calls[0]!.at + 1_000);
    expect(engine.latest(id)?.nextPollAt).toBe(calls[0]!.at + 1_000);
    await advance(1_000);
    expect(engine.nextPollAt(id)).toBe(calls[1]!.at + 1_500);
    await advance(2_000);
    expect(engine.activePollers).toBe(0);
    expect(engine.nextPollAt(id)).toBeNull();
    expect(engine.latest(id)?.nextPollAt).toBeNull();
  });

  it('plans the next poll at the fair share of a saturated budget, and keeps that plan', async () => {
    const { engine, calls, advance } = harness({
      pollBudget: { scopeOf: () => 'one', callsPerSec: () => 1 },
      growth: 1,
      maxIntervalMs: 1_000,
    });
    const watchers = Array.from({ length: 10 }, (_, i) => {
      const w = collect();
      engine.watch(keyOf(`j${i}`), w.watcher);
      return w;
    });
    await advance(60_000);
    for (const [i, w] of watchers.entries()) {
      const [first] = statusEvents(w.events);
      // Ten jobs at one poll a second: each every 10 s rather than its own 1 s.
      expect(first!.nextPollAt! - first!.observedAt!).toBe(10_000);
      expect(calls.filter((c) => c.jobId === `j${i}`)[1]!.at).toBe(first!.nextPollAt);
    }
  });
});
