/**
 * Where queries get a job from, cheapest first:
 * 1. a final snapshot an earlier answer saw (a finished job never changes), kept for the terminal TTL;
 * 2. the latest state of a poller already watching the job (at most one poll interval behind);
 * 3. an answer fetched for another request less than `coalesceMs` ago;
 * 4. a provider call already in flight for another request (single flight);
 * 5. a new provider call.
 * Errors are never remembered: the next request tries again. Polling does not come through here,
 * it always asks the provider (it is what keeps 2. fresh).
 */
import type { Clock } from '../polling/clock.js';
import { systemClock } from '../polling/clock.js';
import { TerminalCache } from '../polling/terminal-cache.js';
import { toGlobalId } from '../providers/job-id.js';
import type { JobKey, ProviderJob } from '../providers/types.js';

/** Anything that fetches one job: the provider registry, or this source in front of it. */
export interface JobFetcher {
  fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob>;
}

export interface JobSourceOptions {
  registry: JobFetcher;
  /** The latest state a local poller (or the cluster) saw for a job id, if any. */
  peek?: (id: string) => ProviderJob | undefined;
  /** @default systemClock */
  clock?: Clock;
  /** How long a running job's answer is reused for other requests; 0 turns reuse off. @default 1_000 */
  coalesceMs?: number;
  /** How long a finished job's answer is kept. @default 300_000 */
  terminalTtlMs?: number;
  /** Bound of each cache (finished, recent). @default 10_000 */
  maxEntries?: number;
}

interface Flight {
  id: string;
  promise: Promise<ProviderJob>;
  controller: AbortController;
  /** Requests waiting for this call; when all of them left (client gone), the call is cancelled. */
  waiters: number;
}

export class JobSource implements JobFetcher {
  readonly #registry: JobFetcher;
  readonly #peek: ((id: string) => ProviderJob | undefined) | undefined;
  readonly #final: TerminalCache;
  readonly #recent: TerminalCache;
  readonly #flights = new Map<string, Flight>();
  /** Provider calls made through this source (tests and the bench count them). */
  calls = 0;

  constructor(o: JobSourceOptions) {
    const clock = o.clock ?? systemClock;
    this.#registry = o.registry;
    this.#peek = o.peek;
    this.#final = new TerminalCache(clock, o.terminalTtlMs ?? 300_000, o.maxEntries ?? 10_000);
    this.#recent = new TerminalCache(clock, o.coalesceMs ?? 1_000, o.maxEntries ?? 10_000);
  }

  fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob> {
    const id = toGlobalId(key);
    const known = this.#final.get(id)?.job ?? this.#peek?.(id) ?? this.#recent.get(id)?.job;
    if (known) return Promise.resolve(known);
    return this.#wait(this.#flights.get(id) ?? this.#start(id, key), signal);
  }

  #start(id: string, key: JobKey): Flight {
    const controller = new AbortController();
    this.calls++;
    const promise = this.#registry.fetchJob(key, controller.signal).then((job) => {
      if (job.terminal) this.#final.set(id, job, 0);
      else this.#recent.set(id, job, 0);
      return job;
    });
    const flight: Flight = { id, promise, controller, waiters: 0 };
    this.#flights.set(id, flight);
    const done = () => {
      if (this.#flights.get(id) === flight) this.#flights.delete(id);
    };
    // Settles the bookkeeping; waiters see the outcome through their own handlers.
    promise.then(done, done);
    return flight;
  }

  #wait(flight: Flight, signal?: AbortSignal): Promise<ProviderJob> {
    flight.waiters++;
    if (!signal) return flight.promise; // never leaves, so the call is never cancelled
    if (signal.aborted) {
      this.#leave(flight);
      return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#leave(flight);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (job) => {
          signal.removeEventListener('abort', onAbort);
          resolve(job);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  #leave(flight: Flight): void {
    if (--flight.waiters > 0) return;
    // Nobody wants the answer any more: cancel the call, and let the next request start afresh.
    if (this.#flights.get(flight.id) === flight) this.#flights.delete(flight.id);
    flight.controller.abort();
  }
}
