import { afterEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import { collect, harness, keyOf, stopEngines } from './harness.js';

afterEach(stopEngines);

const HOUR = 3_600_000;

describe('PollEngine and a spent daily budget', () => {
  it('waits for the reset without a call or an event, keeps the watch, then goes on', async () => {
    const { client, engine, callsOf, advance, start } = harness();
    const resetsAt = start + HOUR;
    const spent = new JobError('PROVIDER_QUOTA_EXHAUSTED', 'budget spent', {
      resetsAt: new Date(resetsAt).toISOString(),
    });
    client.script('q', 'processing', spent, 'processing', 'Succeeded');
    const w = collect();
    engine.watch(keyOf('q'), w.watcher);
    await advance(HOUR - 1);
    expect(callsOf('q')).toEqual([0, 1_000]);
    expect(w.statuses()).toEqual(['∅→processing']);
    expect(engine.activePollers).toBe(1);
    expect(engine.nextPollAt(toGlobalId(keyOf('q')))).toBeGreaterThanOrEqual(resetsAt);
    await advance(60_000);
    expect(callsOf('q')[2]).toBeGreaterThanOrEqual(HOUR);
    expect(w.statuses()).toEqual(['∅→processing', 'processing→Succeeded']);
  });

  it('backs off as after any transient error when the reset time is unknown', async () => {
    const { client, engine, callsOf, advance } = harness();
    client.script('q', 'processing', new JobError('PROVIDER_QUOTA_EXHAUSTED', 'budget spent'), 'processing');
    engine.watch(keyOf('q'), collect().watcher);
    await advance(10_000);
    // The error doubles the 1 s interval.
    expect(callsOf('q').slice(0, 3)).toEqual([0, 1_000, 3_000]);
  });
});
