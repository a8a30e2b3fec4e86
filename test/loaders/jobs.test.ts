import { describe, expect, it } from 'vitest';
import { createJobLoader, loadJob } from '../../src/loaders/jobs.js';
import type { JobKey, ProviderJob } from '../../src/providers/types.js';
import { nlbJob, nlbKey } from '../helpers/scripted-client.js';

/** A source that knows `known` jobs without a call and records every call it is asked to make. */
function sourceKnowing(...known: string[]) {
  const calls: { jobId: string; signal: AbortSignal | undefined; requestId: string | undefined }[] = [];
  return {
    calls,
    cached: (key: JobKey) => (known.includes(key.jobId) ? nlbJob(key, 'Succeeded') : undefined),
    fetchJob: (key: JobKey, signal?: AbortSignal, requestId?: string): Promise<ProviderJob> => {
      calls.push({ jobId: key.jobId, signal, requestId });
      return Promise.resolve(nlbJob(key, 'Running'));
    },
  };
}

describe('the per-request job loader', () => {
  it('answers known jobs without a call and without asking for the request’s abort signal', async () => {
    const source = sourceKnowing('done-1', 'done-2');
    let signals = 0;
    const loader = createJobLoader(source, {
      requestId: 'req-1',
      signal: () => (signals++, new AbortController().signal),
    });

    const jobs = await Promise.all([loadJob(loader, nlbKey('done-1')), loadJob(loader, nlbKey('done-2'))]);

    expect(jobs.map((j) => j.rawStatus)).toEqual(['Succeeded', 'Succeeded']);
    expect(source.calls).toEqual([]);
    expect(signals).toBe(0);
  });

  it('makes the calls it needs with one signal for the whole request, also across batches, and names the request', async () => {
    const source = sourceKnowing('done-1');
    const controller = new AbortController();
    let signals = 0;
    const loader = createJobLoader(source, { requestId: 'req-7', signal: () => (signals++, controller.signal) });

    await Promise.all([loadJob(loader, nlbKey('done-1')), loadJob(loader, nlbKey('run-1'))]);
    await loadJob(loader, nlbKey('run-2')); // a second batch

    expect(source.calls.map((c) => c.jobId)).toEqual(['run-1', 'run-2']);
    expect(source.calls.every((c) => c.signal === controller.signal && c.requestId === 'req-7')).toBe(true);
    expect(signals).toBe(1);
  });
});
