/**
 * Bench child: the poll engine alone, at scale, under a poll budget. Many watched jobs share one
 * scope whose rate is far below what their intervals ask for, against an in-process fake fetcher,
 * on a virtual clock (test/helpers/manual-clock.ts) so that minutes of polling take seconds. It
 * reports what the engine did (every call's virtual start time, polls per job), the CPU it used
 * per poll and its heap per watched job, each beside a baseline measured here in the same process:
 * - CPU: the same number of fetcher calls on the same clock, one per slot, round robin, with no
 *   engine: what the calls and the clock cost alone.
 * - heap: a bare Map from job id to key, latest snapshot and watcher: the least any registry of
 *   watched jobs holds.
 * Runs with --expose-gc so heap figures are taken after full collections.
 */
import { PollEngine } from '../src/polling/engine.js';
import { toGlobalId } from '../src/providers/job-id.js';
import type { JobFetcher, JobKey, ProviderJob } from '../src/providers/types.js';
import { ManualClock } from '../test/helpers/manual-clock.js';
import { nlbJob } from '../test/helpers/scripted-client.js';
import { serve } from './lib/ipc.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap after full collections. */
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** The fetcher's promise callbacks (and the engine's) run between timers: microtasks only, no I/O. */
const settle = () => Promise.resolve();

interface Jobs {
  keys: JobKey[];
  snapshots: ProviderJob[];
}

/** Keys and snapshots are built before any measurement: they exist whoever watches the jobs. */
function makeJobs(n: number): Jobs {
  const keys = Array.from({ length: n }, (_, i) => ({
    provider: 'NLB' as const,
    account: null,
    region: 'cn-hangzhou',
    projectId: null,
    jobId: String(i),
  }));
  return { keys, snapshots: keys.map((k) => nlbJob(k, 'processing')) };
}

/** Answers every job at once with its (running) snapshot, recording each call's virtual time. */
function fakeFetcher(jobs: Jobs, clock: ManualClock, expectedCalls: number) {
  let times = new Float64Array(expectedCalls + 1_024);
  const perJob = new Uint32Array(jobs.keys.length);
  let calls = 0;
  const fetcher: JobFetcher = {
    fetchJob: (key) => {
      if (calls === times.length) {
        const grown = new Float64Array(times.length * 2);
        grown.set(times);
        times = grown;
      }
      times[calls++] = clock.now();
      const i = Number(key.jobId);
      perJob[i]!++;
      return Promise.resolve(jobs.snapshots[i]!);
    },
  };
  return { fetcher, perJob, calls: () => calls, times: () => times.subarray(0, calls) };
}

/** The most values (sorted ascending) within any interval [t, t + windowMs). */
function mostInAnyWindow(sorted: Float64Array, windowMs: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

export interface EngineRun {
  polls: number;
  mostPerSecond: number;
  minPollsPerJob: number;
  maxPollsPerJob: number;
  setupMs: number;
  cpuPerPollUs: number;
  heapPerJob: number;
}

/**
 * Watches every job, lets `simulatedMs` of virtual time pass, and reports. `fixedIntervalMs` pins
 * every job's own interval (else the defaults: 1 s growing to 30 s).
 */
async function engineRun(
  jobs: Jobs,
  ratePerSec: number,
  simulatedMs: number,
  o: { measureHeap: boolean; fixedIntervalMs?: number },
): Promise<EngineRun> {
  const measureHeap = o.measureHeap;
  const n = jobs.keys.length;
  const clock = new ManualClock();
  const fake = fakeFetcher(jobs, clock, Math.ceil((simulatedMs / 1_000) * ratePerSec));
  const h0 = measureHeap ? await heapUsed() : 0;
  const engine = new PollEngine({
    registry: fake.fetcher,
    clock,
    pollBudget: { scopeOf: () => 'bench', callsPerSec: () => ratePerSec },
    terminalTtlMs: 0,
    ...(o.fixedIntervalMs ? { minIntervalMs: o.fixedIntervalMs, maxIntervalMs: o.fixedIntervalMs } : {}),
  });
  const t0 = performance.now();
  let events = 0;
  for (const key of jobs.keys) engine.watch(key, () => events++);
  const setupMs = performance.now() - t0;
  const c0 = cpuUs();
  await clock.advance(simulatedMs, settle);
  const cpu = cpuUs() - c0;
  const h1 = measureHeap ? await heapUsed() : 0;
  const polls = fake.calls();
  engine.stop();
  let min = Infinity;
  let max = 0;
  for (const count of fake.perJob) {
    min = Math.min(min, count);
    max = Math.max(max, count);
  }
  if (events < n) throw new Error(`only ${events} of ${n} watchers got their first event`);
  return {
    polls,
    mostPerSecond: mostInAnyWindow(fake.times(), 1_000),
    minPollsPerJob: min,
    maxPollsPerJob: max,
    setupMs,
    cpuPerPollUs: cpu / polls,
    heapPerJob: (h1 - h0) / n,
  };
}

/** The same calls on the same clock without an engine: a timer per slot, jobs in turn. */
async function callsAlone(jobs: Jobs, ratePerSec: number, calls: number): Promise<number> {
  const clock = new ManualClock();
  const fake = fakeFetcher(jobs, clock, calls);
  const latest: (ProviderJob | undefined)[] = new Array<ProviderJob | undefined>(jobs.keys.length);
  const spacing = 1_000 / ratePerSec;
  let next = 0;
  const tick = () => {
    const i = next++ % jobs.keys.length;
    void fake.fetcher.fetchJob(jobs.keys[i]!).then((job) => (latest[i] = job));
    if (next < calls) clock.setTimeout(tick, spacing);
  };
  clock.setTimeout(tick, 0);
  const c0 = cpuUs();
  await clock.advance(Math.ceil(calls * spacing) + 1, settle);
  return (cpuUs() - c0) / fake.calls();
}

/** A bare registry of watched jobs: id → key, latest snapshot, watcher. */
async function bareMapHeapPerJob(jobs: Jobs): Promise<number> {
  const h0 = await heapUsed();
  let events = 0;
  const map = new Map<string, { key: JobKey; last: ProviderJob; watcher: () => void }>();
  jobs.keys.forEach((key, i) => map.set(toGlobalId(key), { key, last: jobs.snapshots[i]!, watcher: () => events++ }));
  const h1 = await heapUsed();
  if (map.size !== jobs.keys.length || events !== 0) throw new Error('bare map: wrong size');
  return (h1 - h0) / jobs.keys.length;
}

serve({
  run: async (a: { jobs: number; ratePerSec: number; simulatedSeconds: number; smallJobs: number }) => {
    const jobs = makeJobs(a.jobs);
    const simulatedMs = a.simulatedSeconds * 1_000;
    const baselineHeapPerJob = await bareMapHeapPerJob(jobs);
    const large = await engineRun(jobs, a.ratePerSec, simulatedMs, { measureHeap: true });
    const baselineCpuPerPollUs = await callsAlone(jobs, a.ratePerSec, large.polls);
    // As many polls over far fewer jobs (each wanting one a second, so the budget is saturated
    // too): how the cost per poll grows with the number of jobs.
    const small = await engineRun(makeJobs(a.smallJobs), a.ratePerSec, simulatedMs, {
      measureHeap: false,
      fixedIntervalMs: 1_000,
    });
    return { large, small, baselineCpuPerPollUs, baselineHeapPerJob };
  },
});
