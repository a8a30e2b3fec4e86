/**
 * When this process fetched a job snapshot from its provider, remembered beside the snapshot
 * (which stays the provider's model) for as long as anything holds the snapshot: caches, pollers
 * and loaders share the object, so every answer built from it can say how fresh it is.
 */
const fetchedAt = new WeakMap<object, number>();

/** Records that `job` was fetched at `at` (epoch ms). */
export function markFetched(job: object, at: number): void {
  fetchedAt.set(job, at);
}

/** When `job` was fetched here; undefined for a snapshot this process did not fetch (another replica's). */
export function fetchedAtOf(job: object): number | undefined {
  return fetchedAt.get(job);
}
