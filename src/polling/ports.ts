/**
 * What the rest of the process sees of job watching, whoever implements it (the poll engine alone,
 * or the cluster hub in front of it): subscriptions watch through {@link JobWatchSource}, the query
 * path reads observations through {@link WatchedJobs}.
 */
import type { JobError } from '../errors.js';
import type { JobKey, ProviderJob } from '../providers/types.js';

/**
 * What a watcher receives. `seq` increases by one per status event of a job (a per-job version).
 * `at` is when the event was emitted; `observedAt` when the job was fetched in that state (absent
 * when unknown: state taken over from another replica), and `nextPollAt` when the job is planned
 * to be polled next (null: never, it is final; absent: the source does not know, e.g. another
 * replica polls it). All epoch ms on the source's clock.
 */
export type WatchEvent =
  | {
      kind: 'status';
      job: ProviderJob;
      previous: Pick<ProviderJob, 'state' | 'rawStatus'> | null;
      seq: number;
      at: number;
      observedAt?: number;
      nextPollAt?: number | null;
    }
  | { kind: 'error'; error: JobError };

export type Watcher = (event: WatchEvent) => void;

/** Anything subscriptions can watch jobs through. Returns the unwatch function. */
export interface JobWatchSource {
  watch(key: JobKey, watcher: Watcher): () => void;
}

/**
 * A job's state as a watcher saw it, and when (ms on the watcher's clock); for a watched job, when
 * it is planned to be polled next (null: never, it is final; absent: unknown here).
 */
export interface Observation {
  job: ProviderJob;
  observedAt: number;
  nextPollAt?: number | null;
}

/** The query path's port onto what pollers watch. */
export interface WatchedJobs {
  /** The latest observation of a watched (or recently finished) job, if any. */
  latest(id: string): Observation | undefined;
  /** A query fetched this state from the provider just now. */
  observed(id: string, job: ProviderJob): void;
}
