/**
 * A poll engine on a manual clock against scripted jobs, recording when each provider call started:
 * what the engine tests observe. Every engine made here is stopped by {@link stopEngines}.
 */
import { JobError } from '../../src/errors.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { PollEngine, type PollEngineOptions, type WatchEvent } from '../../src/polling/engine.js';
import type { JobFetcher, JobKey, ProviderName } from '../../src/providers/types.js';
import { ScriptedClient } from '../helpers/scripted-client.js';

const engines: PollEngine[] = [];

export function stopEngines(): void {
  for (const e of engines.splice(0)) e.stop();
}

export interface Call {
  at: number;
  jobId: string;
}

export function harness(options: Partial<Omit<PollEngineOptions, 'registry' | 'clock'>> = {}) {
  const clock = new ManualClock();
  const start = clock.now();
  const client = new ScriptedClient();
  const calls: Call[] = [];
  const hidden = new Map<string, number>();
  // Any provider's key works: the scripted client answers by job id.
  const registry: JobFetcher = {
    fetchJob: (key) => {
      calls.push({ at: clock.now(), jobId: key.jobId });
      if (clock.now() < (hidden.get(key.jobId) ?? -Infinity)) {
        return Promise.reject(new JobError('JOB_NOT_FOUND', 'no such job (yet)'));
      }
      return client.fetchJob(key);
    },
  };
  /** The job answers JOB_NOT_FOUND until `ms` after the harness started (its script untouched). */
  const hide = (jobId: string, ms: number) => hidden.set(jobId, start + ms);
  const engine = new PollEngine({
    registry,
    clock,
    minIntervalMs: 1_000,
    maxIntervalMs: 30_000,
    terminalTtlMs: 60_000,
    random: () => 0.5,
    ...options,
  });
  engines.push(engine);
  const advance = (ms: number) =>
    clock.advance(ms, async () => {
      await new Promise((r) => setImmediate(r));
      await client.idle();
    });
  /** When each call for a job started, in ms since the harness started. */
  const callsOf = (jobId: string) => calls.filter((c) => c.jobId === jobId).map((c) => c.at - start);
  /** Ms since the harness started. */
  const elapsed = () => clock.now() - start;
  return { clock, client, engine, calls, callsOf, advance, start, elapsed, hide };
}

export const keyOf = (jobId: string, provider: ProviderName = 'NLB', region = 'cn-hangzhou'): JobKey => ({
  provider,
  account: null,
  region,
  projectId: null,
  jobId,
});

export function collect() {
  const events: WatchEvent[] = [];
  const statuses = () =>
    events.map((e) =>
      e.kind === 'status' ? `${e.previous?.rawStatus ?? '∅'}→${e.job.rawStatus}` : `error:${e.error.code}`,
    );
  return { events, statuses, watcher: (e: WatchEvent) => events.push(e) };
}

export { mostInAnySecond } from '../helpers/sliding-window.js';

/** Gaps between consecutive values (sorted). */
export function gaps(times: readonly number[]): number[] {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.slice(1).map((t, i) => t - sorted[i]!);
}
