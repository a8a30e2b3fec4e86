import { afterEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { PollEngine, type WatchEvent } from '../../src/polling/engine.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { counting, nlbKey, ScriptedClient } from '../helpers/scripted-client.js';

let engine: PollEngine | undefined;
afterEach(() => engine?.stop());

function setup(options: { terminalTtlMs?: number; concurrency?: number } = {}) {
  const clock = new ManualClock();
  const client = new ScriptedClient();
  // The engine's own calls, counted on their way into the registry.
  const registry = counting(new ProviderRegistry({ clients: { NLB: client }, concurrency: options.concurrency ?? 16 }));
  engine = new PollEngine({
    registry,
    clock,
    minIntervalMs: 1000,
    maxIntervalMs: 30000,
    terminalTtlMs: options.terminalTtlMs ?? 60000,
    random: () => 0.5,
  });
  const e = engine;
  const advance = (ms: number) =>
    clock.advance(ms, async () => {
      await new Promise((r) => setImmediate(r));
      await client.idle();
    });
  return { clock, client, registry, engine: e, advance };
}

function collect() {
  const events: WatchEvent[] = [];
  const statuses = () =>
    events.map((e) =>
      e.kind === 'status' ? `${e.previous?.rawStatus ?? '∅'}→${e.job.rawStatus}` : `error:${e.error.code}`,
    );
  return { events, statuses, watcher: (e: WatchEvent) => events.push(e) };
}

describe('PollEngine', () => {
  it('delivers the snapshot first, then each change once and in order, and stops at the terminal state', async () => {
    const { client, engine, advance } = setup();
    client.script('j1', 'processing', 'processing', 'Processing', 'Succeeded');
    const w = collect();
    engine.watch(nlbKey('j1'), w.watcher);
    await advance(60_000);
    expect(w.statuses()).toEqual(['∅→processing', 'processing→Processing', 'Processing→Succeeded']);
    expect(w.events.map((e) => (e.kind === 'status' ? e.seq : -1))).toEqual([1, 2, 3]);
    expect(client.callsFor('j1')).toBe(4);
    expect(engine.activePollers).toBe(0);
  });

  it('runs one poller for many watchers of the same job', async () => {
    const { client, engine, advance } = setup();
    client.script('shared', 'processing', 'processing', 'Succeeded');
    const watchers = Array.from({ length: 50 }, () => collect());
    for (const w of watchers) engine.watch(nlbKey('shared'), w.watcher);
    await advance(60_000);
    expect(client.callsFor('shared')).toBe(3);
    for (const w of watchers) expect(w.statuses()).toEqual(['∅→processing', 'processing→Succeeded']);
  });

  it('gives a late watcher the current snapshot without another provider call', async () => {
    const { client, engine, advance } = setup();
    client.script('j', 'processing');
    engine.watch(nlbKey('j'), collect().watcher);
    await advance(10);
    const calls = client.callsFor('j');
    const late = collect();
    engine.watch(nlbKey('j'), late.watcher);
    await advance(10);
    expect(late.statuses()).toEqual(['∅→processing']);
    expect(client.callsFor('j')).toBe(calls);
  });

  it('serves a terminal job from memory to late watchers until the TTL expires', async () => {
    const { client, engine, advance } = setup({ terminalTtlMs: 5000 });
    client.script('done', 'Succeeded');
    engine.watch(nlbKey('done'), collect().watcher);
    await advance(10);
    const late = collect();
    engine.watch(nlbKey('done'), late.watcher);
    await advance(10);
    expect(late.statuses()).toEqual(['∅→Succeeded']);
    expect(client.callsFor('done')).toBe(1);
    await advance(6000);
    engine.watch(nlbKey('done'), collect().watcher);
    await advance(10);
    expect(client.callsFor('done')).toBe(2);
  });

  it('grows the interval while nothing changes, up to the maximum, and resets on a change', async () => {
    const { client, engine, advance } = setup();
    client.script('slow', ...Array<string>(30).fill('processing'), 'Processing', 'Processing');
    engine.watch(nlbKey('slow'), collect().watcher);
    await advance(10 * 60_000);
    // 1 s growing ×1.5 to 30 s: ~26 polls in ten minutes, far fewer than 600 at a fixed 1 s.
    const calls = client.callsFor('slow');
    expect(calls).toBeGreaterThan(15);
    expect(calls).toBeLessThan(40);
  });

  it('backs off on transient errors without emitting anything, then resumes', async () => {
    const { client, engine, advance } = setup();
    const unavailable = new JobError('PROVIDER_UNAVAILABLE', '503');
    const throttled = new JobError('PROVIDER_THROTTLED', '429', { retryAfterMs: 10_000 });
    client.script('flaky', 'processing', unavailable, throttled, unavailable, 'Succeeded');
    const w = collect();
    engine.watch(nlbKey('flaky'), w.watcher);
    await advance(2_000);
    expect(client.callsFor('flaky')).toBe(2); // snapshot, then the 503
    await advance(5_000);
    expect(client.callsFor('flaky')).toBe(3); // the 429 at t=3 s asks for 10 s
    await advance(5_000); // t=12 s
    expect(client.callsFor('flaky')).toBe(3);
    await advance(2_000); // t=14 s
    expect(client.callsFor('flaky')).toBe(4);
    await advance(60_000);
    expect(w.statuses()).toEqual(['∅→processing', 'processing→Succeeded']);
  });

  it('delivers a permanent error once and drops the job', async () => {
    const { client, engine, advance } = setup();
    client.script('gone', new JobError('PROVIDER_FORBIDDEN', 'may not read it'));
    const w = collect();
    engine.watch(nlbKey('gone'), w.watcher);
    await advance(60_000);
    expect(w.statuses()).toEqual(['error:PROVIDER_FORBIDDEN']);
    expect(client.callsFor('gone')).toBe(1);
    expect(engine.activePollers).toBe(0);
  });

  it('stops polling when the last watcher leaves', async () => {
    const { client, clock, engine, advance } = setup();
    client.script('left', 'processing');
    const a = engine.watch(nlbKey('left'), collect().watcher);
    const b = engine.watch(nlbKey('left'), collect().watcher);
    await advance(3_000);
    a();
    await advance(3_000);
    expect(engine.activePollers).toBe(1);
    b();
    const calls = client.callsFor('left');
    await advance(120_000);
    expect(client.callsFor('left')).toBe(calls);
    expect(engine.activePollers).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('fetches jobs due in the same tick in one batch through the concurrency cap', async () => {
    const { client, registry, engine, advance } = setup({ concurrency: 4 });
    for (let i = 0; i < 20; i++) engine.watch(nlbKey(`b${i}`), collect().watcher);
    await advance(10);
    expect(client.calls.length).toBe(20);
    expect(registry.calls).toBe(20);
  });
});
