/**
 * A ProviderClient for poll-engine unit tests: each job id answers from a list of scripted
 * outcomes (an NLB status string or a JobError), one per call, repeating the last. Integration
 * tests use the real clients against the fake provider servers instead.
 */
import { JobError } from '../../src/errors.js';
import type { JobFetcher } from '../../src/providers/types.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import type { JobKey, NlbJob, ProviderClient } from '../../src/providers/types.js';

const STATE: Record<string, NlbJob['state']> = { processing: 'RUNNING', succeeded: 'SUCCEEDED', failed: 'FAILED' };

export function nlbJob(key: JobKey, status: string): NlbJob {
  const state = STATE[status.toLowerCase()] ?? 'UNKNOWN';
  return {
    provider: 'NLB',
    id: toGlobalId(key),
    account: key.account,
    region: key.region,
    projectId: null,
    jobId: key.jobId,
    status,
    rawStatus: status,
    state,
    terminal: state === 'SUCCEEDED' || state === 'FAILED',
    startedAt: null,
    finishedAt: null,
    providerRequestId: 'req',
  };
}

export class ScriptedClient implements ProviderClient {
  readonly provider = 'NLB' as const;
  /** Job ids of every call, in order. */
  readonly calls: string[] = [];
  readonly #scripts = new Map<string, (string | JobError)[]>();
  #pending = 0;
  #idleWaiters: (() => void)[] = [];

  script(jobId: string, ...outcomes: (string | JobError)[]): void {
    this.#scripts.set(jobId, outcomes);
  }

  async fetchJob(key: JobKey): Promise<NlbJob> {
    this.calls.push(key.jobId);
    this.#pending++;
    try {
      const script = this.#scripts.get(key.jobId) ?? ['processing'];
      const next = script.length > 1 ? script.shift()! : script[0]!;
      if (next instanceof JobError) throw next;
      return nlbJob(key, next);
    } finally {
      if (--this.#pending === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /**
   * Resolves once no call is pending, then lets the callers' own promise callbacks run (a poll
   * engine's bookkeeping of the answer): what a test waits for before it moves the clock on.
   */
  async idle(): Promise<void> {
    if (this.#pending > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await new Promise((r) => setImmediate(r));
  }

  callsFor(jobId: string): number {
    return this.calls.filter((j) => j === jobId).length;
  }
}

export const nlbKey = (jobId: string): JobKey => ({
  provider: 'NLB',
  account: null,
  region: 'cn-hangzhou',
  projectId: null,
  jobId,
});

/**
 * The same fetcher (a client, a registry), counting the calls made through this wrapper: one
 * replica's share of a shared client, or the calls a poll engine made.
 */
export function counting<T extends JobFetcher>(inner: T): T & { readonly calls: number } {
  let calls = 0;
  return Object.create(inner, {
    fetchJob: {
      value: (key: JobKey, signal?: AbortSignal) => {
        calls++;
        return inner.fetchJob(key, signal);
      },
    },
    calls: { get: () => calls },
  }) as T & { readonly calls: number };
}
