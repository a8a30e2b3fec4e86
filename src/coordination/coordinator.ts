/**
 * Coordination between replicas: job status events published per job, the latest event stored
 * per job, and a lease per job that decides which replica polls it. One interface, two
 * implementations: in memory (one process) and Redis (many replicas).
 */
import type { ProviderJob } from '../providers/types.js';

/** A job status event as it crosses processes. `seq` is the per-job version (monotonic). */
export interface JobEventRecord {
  id: string;
  seq: number;
  job: ProviderJob;
  previous: { state: ProviderJob['state']; rawStatus: string } | null;
  /** Epoch ms when the change was observed. */
  at: number;
}

export type Unsubscribe = () => Promise<void>;

export interface Coordinator {
  /** True when events cross process boundaries (Redis). */
  readonly distributed: boolean;
  /**
   * Stores the event as the job's latest (only when its seq is newer than the stored one) and
   * publishes it to every subscriber of the job, in this and other processes.
   * @returns false when a newer or equal seq was already stored (the event was not published).
   */
  publish(event: JobEventRecord, ttlMs: number): Promise<boolean>;
  /** Receives every event published for `id` from now on. */
  subscribe(id: string, listener: (event: JobEventRecord) => void): Promise<Unsubscribe>;
  /** The latest stored event of a job, or null. */
  latest(id: string): Promise<JobEventRecord | null>;
  /** Takes or renews the job's lease for `owner`; false while another owner holds it. */
  acquire(id: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  release(id: string, owner: string): Promise<void>;
  /** False while the backing store is unreachable. */
  readonly healthy: boolean;
  close(): Promise<void>;
}

/** JSON that keeps Dates (ProviderJob has Date fields at several depths). */
export function encodeEvent(event: JobEventRecord): string {
  return JSON.stringify(event, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.getTime() } : value;
  });
}

export function decodeEvent(text: string): JobEventRecord {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$date' in value && Object.keys(value).length === 1) {
      return new Date((value as { $date: number }).$date);
    }
    return value;
  }) as JobEventRecord;
}
