/**
 * A ProviderClient for poll-engine unit tests: each job id answers from a list of scripted
 * outcomes (an NLB status string or a JobError), one per call, repeating the last. Integration
 * tests use the real clients against the fake provider servers instead.
 */
import { JobError } from '../../src/errors.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import type { JobKey, NlbJob, ProviderClient } from '../../src/providers/types.js';

const STATE: Record<string, NlbJob['state']> = { processing: 'RUNNING', succeeded: 'SUCCEEDED', failed: 'FAILED' };

export function nlbJob(key: JobKey, status: string): NlbJob {
  const state = STATE[status.toLowerCase()] ?? 'UNKNOWN';
  return {
    provider: 'NLB',
    id: toGlobalId(key),
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
  readonly calls: string[] = [];
  readonly #scripts = new Map<string, (string | JobError)[]>();

  script(jobId: string, ...outcomes: (string | JobError)[]): void {
    this.#scripts.set(jobId, outcomes);
  }

  async fetchJob(key: JobKey): Promise<NlbJob> {
    this.calls.push(key.jobId);
    const script = this.#scripts.get(key.jobId) ?? ['processing'];
    const next = script.length > 1 ? script.shift()! : script[0]!;
    if (next instanceof JobError) throw next;
    return nlbJob(key, next);
  }

  callsFor(jobId: string): number {
    return this.calls.filter((j) => j === jobId).length;
  }
}

export const nlbKey = (jobId: string): JobKey => ({ provider: 'NLB', region: 'cn-hangzhou', projectId: null, jobId });
