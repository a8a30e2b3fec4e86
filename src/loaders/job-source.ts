/**
 * Where queries get a job from, cheapest first. One freshness rule: a running job's answer is
 * never older than `coalesceMs`, whoever observed it.
 * 1. a final state an earlier answer or a poller saw (a finished job never changes), kept for the terminal TTL;
 * 2. the latest state a poller (or, with Redis, the cluster) observed, if observed within `coalesceMs`;
 * 3. an answer fetched for another request less than `coalesceMs` ago;
 * 4. a provider call already in flight for another request (single flight);
 * 5. a new provider call, whose answer is also told to the job's poller: a poller that saw another
 *    status polls again at once, so watchers hear of a change a query found first.
 * Errors are never remembered: the next request tries again. Polling does not come through here.
 */
import type { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../config.js';
import { systemClock, ttlCache, type Clock } from '../polling/clock.js';
import { toGlobalId } from '../providers/job-id.js';
import type { Observation, WatchedJobs } from '../polling/ports.js';
import type { JobFetcher, JobKey, ProviderJob } from '../providers/types.js';

export interface JobSourceOptions {
  registry: JobFetcher;
  watched?: WatchedJobs;
  /** @default systemClock */
  clock?: Clock;
  /**
   * How long a running job's answer is reused for other requests; 0 turns reuse off.
   * @default DEFAULTS.queryCoalesceMs
   */
  coalesceMs?: number;
  /** How long a finished job's answer is kept. @default DEFAULTS.poll.terminalTtlMs */
  terminalTtlMs?: number;
  /** Bound of each cache (finished, recent). @default DEFAULTS.jobCacheMaxEntries */
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
  readonly #watched: WatchedJobs | undefined;
  readonly #clock: Clock;
  readonly #coalesceMs: number;
  /** Finished jobs' answers (null: not kept). */
  readonly #final: LRUCache<string, ProviderJob> | null;
  /** Running jobs' answers, for `coalesceMs` (null: reuse is off). */
  readonly #recent: LRUCache<string, ProviderJob> | null;
  readonly #flights = new Map<string, Flight>();
  /**
   * Waiters to tell when a caller's signal aborts, per signal: one abort listener per signal
   * instead of one per waiter. A request asking for 100 jobs shares one signal, and adding and
   * removing 100 listeners on it (a list scan each) showed in profiles of `jobs` queries.
   */
  readonly #aborters = new WeakMap<AbortSignal, Set<() => void>>();

  constructor(o: JobSourceOptions) {
    const clock = o.clock ?? systemClock;
    this.#registry = o.registry;
    this.#watched = o.watched;
    this.#clock = clock;
    this.#coalesceMs = o.coalesceMs ?? DEFAULTS.queryCoalesceMs;
    this.#final = ttlCache<ProviderJob>(
      clock,
      o.terminalTtlMs ?? DEFAULTS.poll.terminalTtlMs,
      o.maxEntries ?? DEFAULTS.jobCacheMaxEntries,
    );
    this.#recent = ttlCache<ProviderJob>(clock, this.#coalesceMs, o.maxEntries ?? DEFAULTS.jobCacheMaxEntries);
  }

  fetchJob(key: JobKey, signal?: AbortSignal, requestId?: string): Promise<ProviderJob> {
    const id = toGlobalId(key);
    const known = this.#known(id);
    if (known) return Promise.resolve(known);
    return this.#wait(this.#flights.get(id) ?? this.#start(id, key, requestId), signal);
  }

  /** The answer fetchJob would give without a call (a finished job, a fresh poll), if any. */
  cached(key: JobKey): ProviderJob | undefined {
    return this.#known(toGlobalId(key));
  }

  #known(id: string): ProviderJob | undefined {
    return this.#final?.get(id) ?? this.#fresh(this.#watched?.latest(id)) ?? this.#recent?.get(id);
  }

  #fresh(seen: Observation | undefined): ProviderJob | undefined {
    if (!seen) return undefined;
    return seen.job.terminal || this.#clock.now() - seen.observedAt <= this.#coalesceMs ? seen.job : undefined;
  }

  #start(id: string, key: JobKey, requestId: string | undefined): Flight {
    const controller = new AbortController();
    const promise = this.#registry.fetchJob(key, controller.signal, requestId).then((job) => {
      if (job.terminal) this.#final?.set(id, job);
      else this.#recent?.set(id, job);
      this.#watched?.observed(id, job);
      return job;
    });
    const flight: Flight = { id, promise, controller, waiters: 0 };
    this.#flights.set(id, flight);
    // Settles the bookkeeping; waiters see the outcome through their own handlers.
    promise.then(
      () => this.#landed(flight),
      () => this.#landed(flight),
    );
    return flight;
  }

  #landed(flight: Flight): void {
    if (this.#flights.get(flight.id) === flight) this.#flights.delete(flight.id);
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
      const aborters = this.#abortersOf(signal);
      aborters.add(onAbort);
      flight.promise.then(
        (job) => {
          aborters.delete(onAbort);
          resolve(job);
        },
        (err: unknown) => {
          aborters.delete(onAbort);
          reject(err);
        },
      );
    });
  }

  #abortersOf(signal: AbortSignal): Set<() => void> {
    let aborters = this.#aborters.get(signal);
    if (!aborters) {
      const waiting = new Set<() => void>();
      aborters = waiting;
      this.#aborters.set(signal, waiting);
      signal.addEventListener(
        'abort',
        () => {
          this.#aborters.delete(signal);
          for (const onAbort of waiting) onAbort();
          waiting.clear();
        },
        { once: true },
      );
    }
    return aborters;
  }

  #leave(flight: Flight): void {
    if (--flight.waiters > 0) return;
    // Nobody wants the answer any more: cancel the call, and let the next request start afresh.
    if (this.#flights.get(flight.id) === flight) this.#flights.delete(flight.id);
    flight.controller.abort();
  }
}
