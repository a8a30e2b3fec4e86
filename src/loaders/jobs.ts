/**
 * Per-request job loader: within one operation the same job (by global id, also when asked via
 * `_entities`) is fetched once, and distinct jobs are fetched concurrently (the registry caps
 * concurrency per provider). A failed key yields its own Error; the others still resolve.
 */
import DataLoader from 'dataloader';
import { fromGlobalId, toGlobalId } from '../providers/job-id.js';
import type { JobFetcher } from '../providers/types.js';
import type { JobKey, ProviderJob } from '../providers/types.js';

export type JobLoader = DataLoader<string, ProviderJob>;

/** A fetcher that can also answer from what it already knows, without a call. */
export interface CachingJobFetcher extends JobFetcher {
  cached?(key: JobKey): ProviderJob | undefined;
}

/** `source`: the query path (caches, single flight, then the registry); `caller`: see CallerScope. */
export function createJobLoader(
  source: CachingJobFetcher,
  caller: { requestId?: string; signal?: () => AbortSignal } = {},
): JobLoader {
  let signal: AbortSignal | undefined;
  return new DataLoader<string, ProviderJob>(
    async (ids) => {
      const results: (ProviderJob | Error)[] = [];
      const calls: Promise<void>[] = [];
      ids.forEach((id, i) => {
        const key = fromGlobalId(id);
        const known = source.cached?.(key);
        if (known) {
          results[i] = known;
          return;
        }
        // The request's signal only once a call is needed: cached answers never pay for one.
        signal ??= caller.signal?.();
        calls.push(
          source.fetchJob(key, signal, caller.requestId).then(
            (job) => void (results[i] = job),
            (err: unknown) => void (results[i] = toError(err)),
          ),
        );
      });
      if (calls.length > 0) await Promise.all(calls);
      return results;
    },
    // One batch per tick, however many keys; the bulkhead below does the pacing.
    { maxBatchSize: Infinity },
  );
}

/** Loads a validated key. */
export function loadJob(loader: JobLoader, key: JobKey): Promise<ProviderJob> {
  return loader.load(toGlobalId(key));
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
