import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { JobSource } from '../../src/loaders/job-source.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import type { JobKey, ProviderJob } from '../../src/providers/types.js';
import { nlbJob, nlbKey } from '../helpers/scripted-client.js';

/** A registry whose calls stay open until the test settles them. */
function heldRegistry() {
  const calls: {
    key: JobKey;
    signal: AbortSignal | undefined;
    resolve: (j: ProviderJob) => void;
    reject: (e: unknown) => void;
  }[] = [];
  return {
    calls,
    fetchJob: (key: JobKey, signal?: AbortSignal) =>
      new Promise<ProviderJob>((resolve, reject) => calls.push({ key, signal, resolve, reject })),
  };
}

const flush = () => new Promise((r) => setImmediate(r));

/** A poller double: it saw `job` at `observedAt`, and records what queries tell it. */
function pollerOf(jobId: string, job: ProviderJob, observedAt: number) {
  const told: ProviderJob[] = [];
  return {
    told,
    latest: (id: string) => (id === toGlobalId(nlbKey(jobId)) ? { job, observedAt } : undefined),
    observed: (_id: string, seen: ProviderJob) => void told.push(seen),
  };
}

describe('JobSource (the query path in front of the provider registry)', () => {
  it('makes one provider call for many concurrent requests for the same running job', async () => {
    const registry = heldRegistry();
    const source = new JobSource({ registry });
    const answers = Array.from({ length: 25 }, () => source.fetchJob(nlbKey('busy')));
    expect(registry.calls).toHaveLength(1);
    registry.calls[0]!.resolve(nlbJob(nlbKey('busy'), 'processing'));
    for (const job of await Promise.all(answers)) expect(job.rawStatus).toBe('processing');
    expect(registry.calls).toHaveLength(1);
  });

  it('serves a finished job from memory without calling the provider again', async () => {
    const registry = heldRegistry();
    const clock = new ManualClock();
    const source = new JobSource({ registry, clock, coalesceMs: 1_000, terminalTtlMs: 60_000 });
    const first = source.fetchJob(nlbKey('done'));
    registry.calls[0]!.resolve(nlbJob(nlbKey('done'), 'Succeeded'));
    await first;
    await clock.advance(59_000);
    expect((await source.fetchJob(nlbKey('done'))).terminal).toBe(true);
    expect(registry.calls).toHaveLength(1);
    await clock.advance(2_000); // past the terminal TTL: asked again
    void source.fetchJob(nlbKey('done'));
    expect(registry.calls).toHaveLength(2);
  });

  it('reuses a running job’s answer within the coalescing window only', async () => {
    const registry = heldRegistry();
    const clock = new ManualClock();
    const source = new JobSource({ registry, clock, coalesceMs: 1_000 });
    const first = source.fetchJob(nlbKey('run'));
    registry.calls[0]!.resolve(nlbJob(nlbKey('run'), 'processing'));
    await first;
    await clock.advance(999);
    await source.fetchJob(nlbKey('run'));
    expect(registry.calls).toHaveLength(1);
    await clock.advance(1); // observed exactly coalesceMs ago: not older than the bound yet
    await source.fetchJob(nlbKey('run'));
    expect(registry.calls).toHaveLength(1);
    await clock.advance(1);
    void source.fetchJob(nlbKey('run'));
    expect(registry.calls).toHaveLength(2);
  });

  it('never reuses answers when the window is 0', async () => {
    const registry = heldRegistry();
    const source = new JobSource({ registry, coalesceMs: 0 });
    const first = source.fetchJob(nlbKey('run'));
    registry.calls[0]!.resolve(nlbJob(nlbKey('run'), 'processing'));
    await first;
    void source.fetchJob(nlbKey('run'));
    expect(registry.calls).toHaveLength(2);
  });

  it('answers a job a poller is watching from the poller’s latest state while it is within the coalesce window', async () => {
    const registry = heldRegistry();
    const clock = new ManualClock();
    const watched = nlbJob(nlbKey('watched'), 'Processing');
    const observedAt = clock.now();
    const source = new JobSource({
      registry,
      clock,
      coalesceMs: 1_000,
      watched: pollerOf('watched', watched, observedAt),
    });
    await clock.advance(1_000);
    expect(await source.fetchJob(nlbKey('watched'))).toBe(watched);
    expect(registry.calls).toHaveLength(0);
  });

  it('asks the provider when the poller’s state is older than the coalesce window, and tells the poller what it got', async () => {
    const registry = heldRegistry();
    const clock = new ManualClock();
    const polled = nlbJob(nlbKey('slow-poller'), 'processing');
    const poller = pollerOf('slow-poller', polled, clock.now());
    const source = new JobSource({ registry, clock, coalesceMs: 1_000, watched: poller });
    await clock.advance(8_000); // the poller is at a long interval
    const answer = source.fetchJob(nlbKey('slow-poller'));
    expect(registry.calls).toHaveLength(1);
    const fresh = nlbJob(nlbKey('slow-poller'), 'Succeeded');
    registry.calls[0]!.resolve(fresh);
    expect(await answer).toBe(fresh);
    expect(poller.told).toEqual([fresh]);
  });

  it('serves a final state a poller saw however long ago', async () => {
    const registry = heldRegistry();
    const clock = new ManualClock();
    const done = nlbJob(nlbKey('done'), 'Succeeded');
    const source = new JobSource({ registry, clock, coalesceMs: 1_000, watched: pollerOf('done', done, clock.now()) });
    await clock.advance(60_000);
    expect(await source.fetchJob(nlbKey('done'))).toBe(done);
    expect(registry.calls).toHaveLength(0);
  });

  it('does not remember errors: the next request asks the provider again', async () => {
    const registry = heldRegistry();
    const source = new JobSource({ registry });
    const first = source.fetchJob(nlbKey('flaky'));
    registry.calls[0]!.reject(new JobError('PROVIDER_UNAVAILABLE', 'down'));
    await expect(first).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    await flush();
    void source.fetchJob(nlbKey('flaky'));
    expect(registry.calls).toHaveLength(2);
  });

  it('keeps a shared call going while someone still waits, and cancels it when the last waiter leaves', async () => {
    const registry = heldRegistry();
    const source = new JobSource({ registry });
    const a = new AbortController();
    const b = new AbortController();
    const first = source.fetchJob(nlbKey('slow'), a.signal);
    const second = source.fetchJob(nlbKey('slow'), b.signal);
    const call = registry.calls[0]!;
    a.abort();
    await expect(first).rejects.toBeDefined();
    expect(call.signal!.aborted).toBe(false);
    b.abort();
    await expect(second).rejects.toBeDefined();
    expect(call.signal!.aborted).toBe(true);
    // A request after the cancellation starts a fresh call instead of joining the cancelled one.
    void source.fetchJob(nlbKey('slow'));
    expect(registry.calls).toHaveLength(2);
  });
});
