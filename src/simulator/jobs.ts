/**
 * Deterministic job lifecycles for the simulator. A job id's lifecycle follows from the id alone
 * (documented in the README):
 * - contains `notfound`  → the provider's documented not-found error;
 * - contains `forbidden` → the provider's documented permission error;
 * - contains `fail`      → runs, then ends FAILED;
 * - contains `cancel`    → runs, then ends CANCELLED (FAILED where the provider has no cancel state);
 * - anything else        → runs, then ends SUCCEEDED.
 * A job starts when it is first asked for and moves one step per `stepMs` (the server uses 3 s), so every
 * job finishes within a few seconds. Tests can pin a job to an explicit sequence with `script`.
 */
import { DEFAULTS } from '../config.js';
import type { ProviderName } from '../providers/types.js';

export type Outcome = 'succeed' | 'fail' | 'cancel';

export type JobLookup =
  | { kind: 'found'; status: string; step: number; steps: readonly string[] }
  | { kind: 'not_found' }
  | { kind: 'forbidden' };

/** Raw status sequences per provider and outcome, in provider vocabulary. */
export const LIFECYCLES: Record<ProviderName | 'WORKSPACE_V1', Record<Outcome, readonly string[]>> = {
  DATAWORKS: { succeed: ['Running', 'Success'], fail: ['Running', 'Fail'], cancel: ['Running', 'Cancel'] },
  NLB: { succeed: ['processing', 'Succeeded'], fail: ['processing', 'Failed'], cancel: ['processing', 'Failed'] },
  CFW: { succeed: ['Running', 'Success'], fail: ['Running', 'Failed'], cancel: ['Running', 'Failed'] },
  DLI: {
    succeed: ['LAUNCHING', 'RUNNING', 'SCALING', 'RUNNING', 'FINISHED'],
    fail: ['LAUNCHING', 'RUNNING', 'FAILED'],
    cancel: ['LAUNCHING', 'RUNNING', 'CANCELLED'],
  },
  WORKSPACE: {
    succeed: ['WAITING', 'RUNNING', 'SUCCESS'],
    fail: ['WAITING', 'RUNNING', 'FAILED'],
    cancel: ['WAITING', 'RUNNING', 'FAILED'],
  },
  WORKSPACE_V1: { succeed: ['3', '2', '1'], fail: ['3', '2', '0'], cancel: ['3', '2', '0'] },
};

export interface SimulatedJobsOptions {
  /** Milliseconds per lifecycle step. @default DEFAULTS.simulator.stepMs */
  stepMs?: number;
  /** Clock in epoch ms; tests inject a fake one. @default Date.now */
  now?: () => number;
  /**
   * Jobs remembered at most; the oldest start over when exceeded (a long-running simulator).
   * @default DEFAULTS.simulator.maxJobs
   */
  maxJobs?: number;
}

export class SimulatedJobs {
  readonly #firstSeen = new Map<string, number>();
  readonly #scripts = new Map<string, readonly string[]>();
  readonly #pinned = new Map<string, string>();
  readonly stepMs: number;
  readonly now: () => number;
  readonly #maxJobs: number;

  constructor(options: SimulatedJobsOptions = {}) {
    this.stepMs = options.stepMs ?? DEFAULTS.simulator.stepMs;
    this.now = options.now ?? Date.now;
    this.#maxJobs = options.maxJobs ?? DEFAULTS.simulator.maxJobs;
  }

  /**
   * Current status of a job of `account` (the caller's Alibaba account id; for Huawei, whose job
   * paths name a project of one account, the project id);
   * starts its clock on first sight. `lifecycle` picks the vocabulary.
   */
  lookup(lifecycle: keyof typeof LIFECYCLES, jobId: string, account = ''): JobLookup {
    const lower = jobId.toLowerCase();
    if (lower.includes('notfound')) return { kind: 'not_found' };
    if (lower.includes('forbidden')) return { kind: 'forbidden' };
    const key = `${lifecycle}\u0000${account}\u0000${jobId}`;
    const any = `${lifecycle}\u0000*\u0000${jobId}`;
    const pinned = this.#pinned.get(key) ?? this.#pinned.get(any);
    const steps = this.#scripts.get(key) ?? this.#scripts.get(any) ?? LIFECYCLES[lifecycle][outcomeOf(lower)];
    if (pinned !== undefined) return { kind: 'found', status: pinned, step: Math.max(0, steps.indexOf(pinned)), steps };
    let first = this.#firstSeen.get(key);
    if (first === undefined) {
      first = this.now();
      this.#firstSeen.set(key, first);
      // Map order is insertion order: drop the oldest job beyond the bound.
      if (this.#firstSeen.size > this.#maxJobs) this.#firstSeen.delete(this.#firstSeen.keys().next().value!);
    }
    const step = Math.min(Math.floor((this.now() - first) / this.stepMs), steps.length - 1);
    return { kind: 'found', status: steps[step] as string, step, steps };
  }

  /**
   * Replace a job's lifecycle with an explicit sequence of raw statuses (restarts its clock), in
   * one account or (none named) in every account.
   */
  script(lifecycle: keyof typeof LIFECYCLES, jobId: string, steps: readonly string[], account = '*'): void {
    const key = `${lifecycle}\u0000${account}\u0000${jobId}`;
    this.#scripts.set(key, steps);
    if (account === '*') {
      const suffix = `\u0000${jobId}`;
      for (const k of this.#firstSeen.keys())
        if (k.startsWith(`${lifecycle}\u0000`) && k.endsWith(suffix)) this.#firstSeen.delete(k);
    } else {
      this.#firstSeen.delete(key);
    }
    this.#pinned.delete(key);
  }

  /** Hold a job at one raw status until `unpin` (any string, including undocumented ones). */
  pin(lifecycle: keyof typeof LIFECYCLES, jobId: string, status: string, account = '*'): void {
    this.#pinned.set(`${lifecycle}\u0000${account}\u0000${jobId}`, status);
  }

  unpin(lifecycle: keyof typeof LIFECYCLES, jobId: string, account = '*'): void {
    this.#pinned.delete(`${lifecycle}\u0000${account}\u0000${jobId}`);
  }
}

function outcomeOf(lowerId: string): Outcome {
  if (lowerId.includes('fail')) return 'fail';
  if (lowerId.includes('cancel')) return 'cancel';
  return 'succeed';
}
