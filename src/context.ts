/**
 * What every resolver receives. Loaders are created per request so caching never crosses
 * operations; the services are shared by the whole process.
 */
import { createJobLoader, type JobLoader } from './loaders/jobs.js';
import type { PollEngine } from './polling/engine.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { RefDefaults } from './refs.js';

/** Process-wide services the resolvers use. */
export interface Services {
  registry: ProviderRegistry;
  /** Shared by every subscription of the process: one poller per job. */
  engine: PollEngine;
  defaults: RefDefaults;
  /** Max refs per `jobs` query or subscription. */
  maxRefs: number;
}

export interface RequestContext {
  services: Services;
  loader: JobLoader;
}

export function createContext(services: Services, signal?: AbortSignal): RequestContext {
  return { services, loader: createJobLoader(services.registry, signal) };
}
