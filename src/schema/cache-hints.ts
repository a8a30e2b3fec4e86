/**
 * Cache-control hints for Apollo's cache-control plugin (installed by default in Apollo Server;
 * a subgraph sends the resulting `cache-control` header to the router, which takes the most
 * restrictive policy over all subgraph responses). A finished job never changes, so a response
 * made only of finished jobs may be cached for a long time; a running job's answer must not be
 * cached (`no-store`). Each field that returns a job (`job`, every item of `jobs`, every
 * `_entities` representation) restricts its own policy; the response's policy is the minimum.
 *
 * Hints are set from resolvers rather than with `@cacheControl` in schema.graphql, so the
 * contract stays free of server directives. Over graphql-ws there is no plugin and no hint.
 */

/** max-age of a response made only of finished jobs, in seconds. */
export const FINISHED_JOB_MAX_AGE_S = 3_600;

interface CacheHint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

/** The part of `info.cacheControl` (from @apollo/cache-control-types) used here. */
interface InfoWithCacheControl {
  cacheControl?: { cacheHint: { restrict(hint: CacheHint): void } };
}

/** Restricts the current field's cache policy to what `job` allows. */
export function hintJob(info: unknown, job: { terminal: boolean }): void {
  (info as InfoWithCacheControl).cacheControl?.cacheHint.restrict({
    maxAge: job.terminal ? FINISHED_JOB_MAX_AGE_S : 0,
  });
}

/**
 * A resolver for an object-valued field nested in a job (DLI columns and tags, Workspace sub-jobs
 * and their entities). Apollo gives such fields max-age 0 unless they carry a hint; this one adds
 * none of its own, so the job's hint decides (the policy is a minimum over fields).
 */
export function nested(field: string) {
  // `never`: the generated types also allow a bare federation reference as the parent, which never
  // reaches a nested field; the parent here is always the mapped job (or sub-job) object.
  return (parent: object, _args: unknown, _ctx: unknown, info: unknown): never => {
    (info as InfoWithCacheControl).cacheControl?.cacheHint.restrict({ maxAge: FINISHED_JOB_MAX_AGE_S });
    return (parent as Record<string, unknown>)[field] as never;
  };
}
