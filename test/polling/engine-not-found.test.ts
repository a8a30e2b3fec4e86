import { afterEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import { nlbJob } from '../helpers/scripted-client.js';
import { collect, harness, keyOf, stopEngines } from './harness.js';

afterEach(stopEngines);

const GRACE_MS = 30_000;
const notFound = () => new JobError('JOB_NOT_FOUND', 'no such job');

describe('PollEngine and jobs not found yet (eventual consistency)', () => {
  it('keeps polling a job that answers not found for 5 s, then delivers every event and no error', async () => {
    const { client, engine, callsOf, advance, start, hide } = harness({ notFoundGraceMs: GRACE_MS });
    hide('fresh', 5_000);
    client.script('fresh', 'processing', 'processing', 'Processing', 'Succeeded');
    const w = collect();
    engine.watch(keyOf('fresh'), w.watcher);
    await advance(4_999);
    expect(w.events).toEqual([]);
    expect(callsOf('fresh').length).toBeGreaterThan(1);
    await advance(60_000);
    expect(w.statuses()).toEqual(['∅→processing', 'processing→Processing', 'Processing→Succeeded']);
    const first = w.events[0]!;
    expect(first.kind === 'status' && first.at - start).toBeGreaterThanOrEqual(5_000);
    expect(engine.activePollers).toBe(0);
  });

  it('delivers JOB_NOT_FOUND for a job that never appears once the grace period is over, and stops', async () => {
    const { client, engine, callsOf, advance } = harness({ notFoundGraceMs: GRACE_MS });
    client.script('ghost', notFound());
    const w = collect();
    engine.watch(keyOf('ghost'), w.watcher);
    await advance(GRACE_MS - 1);
    expect(w.events).toEqual([]);
    expect(engine.activePollers).toBe(1);
    await advance(1);
    expect(w.statuses()).toEqual(['error:JOB_NOT_FOUND']);
    expect(callsOf('ghost').at(-1)).toBe(GRACE_MS);
    const calls = callsOf('ghost').length;
    await advance(60_000);
    expect(callsOf('ghost').length).toBe(calls);
    expect(engine.activePollers).toBe(0);
  });

  it('delivers the first snapshot at once when the job exists', async () => {
    const { client, engine, advance } = harness({ notFoundGraceMs: GRACE_MS });
    client.script('there', 'processing');
    const w = collect();
    engine.watch(keyOf('there'), w.watcher);
    await advance(0);
    expect(w.statuses()).toEqual(['∅→processing']);
  });

  it('treats not found as final once the job was seen', async () => {
    const { client, engine, callsOf, advance } = harness({ notFoundGraceMs: GRACE_MS });
    client.script('deleted', 'processing', notFound());
    const w = collect();
    engine.watch(keyOf('deleted'), w.watcher);
    await advance(2_000);
    expect(w.statuses()).toEqual(['∅→processing', 'error:JOB_NOT_FOUND']);
    expect(callsOf('deleted')).toEqual([0, 1_000]);
  });

  it('treats not found as final for a job taken over from another replica (it was seen there)', async () => {
    const { client, engine, advance } = harness({ notFoundGraceMs: GRACE_MS });
    client.script('moved', notFound());
    const w = collect();
    engine.watch(keyOf('moved'), w.watcher, { job: nlbJob(keyOf('moved'), 'processing'), seq: 4 });
    await advance(1_000);
    expect(w.statuses()).toEqual(['error:JOB_NOT_FOUND']);
  });

  it('delivers not found at once without a grace period', async () => {
    const { client, engine, advance } = harness({ notFoundGraceMs: 0 });
    client.script('gone', notFound());
    const w = collect();
    engine.watch(keyOf('gone'), w.watcher);
    await advance(0);
    expect(w.statuses()).toEqual(['error:JOB_NOT_FOUND']);
    expect(engine.latest(toGlobalId(keyOf('gone')))).toBeUndefined();
  });
});
