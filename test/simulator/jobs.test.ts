import { describe, expect, it } from 'vitest';
import { SimulatedJobs } from '../../src/simulator/jobs.js';

describe('SimulatedJobs', () => {
  it('moves a job one step per stepMs from when it is first asked for', () => {
    let now = 0;
    const jobs = new SimulatedJobs({ stepMs: 100, now: () => now });
    expect(jobs.lookup('DLI', 'j')).toMatchObject({ kind: 'found', status: 'LAUNCHING' });
    now = 250;
    expect(jobs.lookup('DLI', 'j')).toMatchObject({ status: 'SCALING', step: 2 });
    now = 10_000;
    expect(jobs.lookup('DLI', 'j')).toMatchObject({ status: 'FINISHED' });
  });

  it('derives outcomes from the id: notfound, forbidden, fail, cancel', () => {
    const jobs = new SimulatedJobs({ stepMs: 1, now: () => 1_000 });
    expect(jobs.lookup('NLB', 'x-notfound').kind).toBe('not_found');
    expect(jobs.lookup('NLB', 'x-forbidden').kind).toBe('forbidden');
    expect(jobs.lookup('DATAWORKS', 'a-fail')).toMatchObject({ steps: ['Running', 'Fail'] });
    expect(jobs.lookup('DATAWORKS', 'a-cancel')).toMatchObject({ steps: ['Running', 'Cancel'] });
  });

  it('remembers a bounded number of jobs: the oldest starts over', () => {
    let now = 0;
    const jobs = new SimulatedJobs({ stepMs: 100, now: () => now, maxJobs: 2 });
    jobs.lookup('CFW', 'a');
    jobs.lookup('CFW', 'b');
    now = 500;
    jobs.lookup('CFW', 'c'); // evicts a
    expect(jobs.lookup('CFW', 'b')).toMatchObject({ status: 'Success' });
    expect(jobs.lookup('CFW', 'a')).toMatchObject({ status: 'Running', step: 0 });
  });
});
