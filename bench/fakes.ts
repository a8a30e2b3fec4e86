/**
 * Bench child: the simulator's fake provider servers in their own process, with an added latency
 * per answer (BENCH_PROVIDER_LATENCY_MS, default 20 ms). It records, per job id, when each answer
 * was sent and when the answered raw status changed, so the harness can count provider calls and
 * measure delivery latency from "the fake answered with the new state" to "the client got it".
 */
import { startSimulator } from '../src/simulator/index.js';
import type { JobLookup, LIFECYCLES } from '../src/simulator/jobs.js';
import { serve } from './lib/ipc.js';

type Lifecycle = keyof typeof LIFECYCLES;

const latencyMs = Number(process.env.BENCH_PROVIDER_LATENCY_MS ?? 20);
const stepMs = Number(process.env.BENCH_STEP_MS ?? 3_000);
const now = () => performance.timeOrigin + performance.now();

const sim = await startSimulator({ stepMs });
for (const fake of Object.values(sim.fakes)) fake.latencyMs = latencyMs;

interface JobLog {
  /** When each answer was sent (epoch ms, sub-ms precision). */
  calls: number[];
  firstAt: number;
  lastStatus: string | null;
  /** The n-th distinct status run: when it was first answered, and when the fake switched to it. */
  changes: { sentAt: number; stepAt: number; status: string }[];
}
const logs = new Map<string, JobLog>();

// Wrap the lookup every fake calls right before it writes its answer.
const lookup = sim.jobs.lookup.bind(sim.jobs);
sim.jobs.lookup = (lifecycle: Lifecycle, jobId: string): JobLookup => {
  const result = lookup(lifecycle, jobId);
  const t = now();
  let log = logs.get(jobId);
  if (!log) logs.set(jobId, (log = { calls: [], firstAt: t, lastStatus: null, changes: [] }));
  log.calls.push(t);
  if (result.kind === 'found' && result.status !== log.lastStatus) {
    log.lastStatus = result.status;
    log.changes.push({ sentAt: t, stepAt: log.firstAt + result.step * stepMs, status: result.status });
  }
  return result;
};

const select = (prefix: string) => [...logs].filter(([id]) => id.startsWith(prefix));

serve(
  {
    /** Long alternating lifecycles for `jobs`, their clocks started evenly spread over one step. */
    prepare: async (a: {
      jobs: { lifecycle: Lifecycle; jobId: string }[];
      steps: Partial<Record<Lifecycle, string[]>>;
    }) => {
      a.jobs.forEach(({ lifecycle, jobId }, i) => {
        sim.jobs.script(lifecycle, jobId, a.steps[lifecycle]!);
        setTimeout(
          () => {
            // Starts the job's clock without counting as a provider call.
            logs.set(jobId, { calls: [], firstAt: now(), lastStatus: null, changes: [] });
            lookup(lifecycle, jobId);
          },
          (i * stepMs) / a.jobs.length,
        );
      });
      await new Promise((r) => setTimeout(r, stepMs + 10));
    },
    pin: (a: { lifecycle: Lifecycle; jobId: string; status: string }) => sim.jobs.pin(a.lifecycle, a.jobId, a.status),
    /** Answer times per job id with this prefix, within [from, to]. */
    calls: (a: { prefix: string; from?: number; to?: number }) =>
      Object.fromEntries(
        select(a.prefix).map(([id, l]) => [id, l.calls.filter((t) => t >= (a.from ?? 0) && t <= (a.to ?? Infinity))]),
      ),
    count: (a: { prefix: string }) => select(a.prefix).reduce((n, [, l]) => n + l.calls.length, 0),
    changes: (a: { prefix: string }) => Object.fromEntries(select(a.prefix).map(([id, l]) => [id, l.changes])),
    endpoints: () => sim.endpoints,
  },
  { endpoints: sim.endpoints, latencyMs, stepMs },
);
