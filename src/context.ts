/**
 * What every resolver receives. Loaders are created per request so caching never crosses
 * operations; the services are shared by the whole process.
 */
import { createJobLoader, type CachingJobFetcher, type JobLoader } from './loaders/jobs.js';
import type { JobWatchSource } from './polling/ports.js';
import type { RefDefaults } from './refs.js';

/** Process-wide services the resolvers use. */
export interface Services {
  /** Where queries fetch jobs: finished-job cache, pollers' latest state, single flight, then the registry. */
  jobs: CachingJobFetcher;
  /** What subscriptions watch through: the engine itself, or the Redis-coordinated hub. */
  watcher: JobWatchSource;
  defaults: RefDefaults;
  /** Max refs per `jobs` query or subscription. */
  maxRefs: number;
}

export interface RequestContext {
  services: Services;
  loader: JobLoader;
  /** The HTTP request's id (observability/request-context.ts); absent for subscriptions. */
  requestId?: string;
}

/** Who a request's provider calls are made for. */
export interface CallerScope {
  requestId?: string;
  /**
   * The signal that cancels the request's provider calls, asked for only when a call is about to
   * start: most queries are answered from caches and never pay for an AbortController.
   */
  signal?: () => AbortSignal;
}

export function createContext(services: Services, caller: CallerScope = {}): RequestContext {
  const context: RequestContext = { services, loader: createJobLoader(services.jobs, caller) };
  if (caller.requestId !== undefined) context.requestId = caller.requestId;
  return context;
}
