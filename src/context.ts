/**
 * What every resolver receives. Loaders are created per request so caching never crosses
 * operations; the services are shared by the whole process.
 */
import { createJobLoader, type JobLoader } from './loaders/jobs.js';
import type { JobWatchSource } from './polling/ports.js';
import type { JobFetcher } from './providers/types.js';
import type { RefDefaults } from './refs.js';

/** Process-wide services the resolvers use. */
export interface Services {
  /** Where queries fetch jobs: finished-job cache, pollers' latest state, single flight, then the registry. */
  jobs: JobFetcher;
  /** What subscriptions watch through: the engine itself, or the Redis-coordinated hub. */
  watcher: JobWatchSource;
  defaults: RefDefaults;
  /** Max refs per `jobs` query or subscription. */
  maxRefs: number;
}

export interface RequestContext {
  services: Services;
  loader: JobLoader;
}

export function createContext(services: Services, signal?: AbortSignal): RequestContext {
  return { services, loader: createJobLoader(services.jobs, signal) };
}
