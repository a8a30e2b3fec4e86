/**
 * The poll engine: one poller per unique job in the process, however many subscribers watch it.
 *
 * - A poller's interval starts at the minimum, grows while the raw status stays the same, returns
 *   to the minimum on a change, and is jittered so pollers drift apart.
 * - Pollers call the provider registry directly: there is one poller per job, so there is nothing
 *   to deduplicate or cache (queries have their own path, src/loaders/job-source.ts). The
 *   registry's per-provider concurrency cap still applies to every poll.
 * - Pollers due within `tickWindowMs` of each other are polled on the same timer tick.
 * - Watchers get the current snapshot first, then one event per raw-status change. A terminal
 *   status is the last event; the poller stops and the snapshot is cached for late watchers.
 * - Transient errors (throttling, 5xx, timeouts, garbled bodies) only back the poller off;
 *   permanent ones (not found, forbidden, auth, bad input) are delivered once and end the watch.
 * - A poller stops as soon as its last watcher leaves.
 */
import type { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../config.js';
import { isJobError, JobError } from '../errors.js';
import type { Observation, WatchEvent, Watcher } from './ports.js';
import { toGlobalId } from '../providers/job-id.js';
import type { JobFetcher, JobKey, ProviderJob } from '../providers/types.js';
import { errorInterval, jittered, nextInterval, type IntervalOptions } from './backoff.js';
import { systemClock, ttlCache, type Clock } from './clock.js';

export type { WatchEvent, Watcher } from './ports.js';

export interface PollEngineOptions {
  /** Where polls fetch a job: the provider registry itself, never the query path. */
  registry: JobFetcher;
  /** @default systemClock */
  clock?: Clock;
  /** @default DEFAULTS.poll.minIntervalMs */
  minIntervalMs?: number;
  /** @default DEFAULTS.poll.maxIntervalMs */
  maxIntervalMs?: number;
  /** How long a terminal snapshot is served from memory. @default DEFAULTS.poll.terminalTtlMs */
  terminalTtlMs?: number;
  /** Finished snapshots kept at most. @default DEFAULTS.jobCacheMaxEntries */
  maxEntries?: number;
  /** Interval growth per unchanged poll. @default DEFAULTS.poll.growth */
  growth?: number;
  /** Interval spread as a fraction (0.2: ±20 %). @default DEFAULTS.poll.jitter */
  jitter?: number;
  /** Pollers due within this many ms of each other share a timer tick. @default DEFAULTS.poll.batchWindowMs */
  tickWindowMs?: number;
  /** @default Math.random */
  random?: () => number;
  /** Called once per status event emitted (snapshot or change), before watchers see it. */
  onTransition?: (job: ProviderJob) => void;
}

interface Poller {
  readonly id: string;
  readonly key: JobKey;
  readonly watchers: Set<Watcher>;
  last: ProviderJob | null;
  /** When `last` was fetched (a seed from another replica was not fetched here: -Infinity). */
  polledAt: number;
  seq: number;
  intervalMs: number;
  dueAt: number;
  inFlight: boolean;
}

export class PollEngine {
  readonly #pollers = new Map<string, Poller>();
  readonly #registry: JobFetcher;
  readonly #clock: Clock;
  readonly #interval: IntervalOptions;
  readonly #random: () => number;
  readonly #tickWindowMs: number;
  /** Final snapshots for late watchers (null: not kept), aged on the engine's clock. */
  readonly #terminal: LRUCache<string, { job: ProviderJob; seq: number }> | null;
  readonly #onTransition: PollEngineOptions['onTransition'];
  #timer: unknown = null;
  #timerAt = Infinity;
  #stopped = false;

  constructor(options: PollEngineOptions) {
    this.#registry = options.registry;
    this.#clock = options.clock ?? systemClock;
    this.#interval = {
      minIntervalMs: options.minIntervalMs ?? DEFAULTS.poll.minIntervalMs,
      maxIntervalMs: options.maxIntervalMs ?? DEFAULTS.poll.maxIntervalMs,
      growth: options.growth ?? DEFAULTS.poll.growth,
      jitter: options.jitter ?? DEFAULTS.poll.jitter,
    };
    this.#random = options.random ?? Math.random;
    this.#tickWindowMs = options.tickWindowMs ?? DEFAULTS.poll.batchWindowMs;
    this.#terminal = ttlCache(
      this.#clock,
      options.terminalTtlMs ?? DEFAULTS.poll.terminalTtlMs,
      options.maxEntries ?? DEFAULTS.jobCacheMaxEntries,
    );
    this.#onTransition = options.onTransition;
  }

  /** Number of jobs being polled right now. */
  get activePollers(): number {
    return this.#pollers.size;
  }

  /**
   * Starts watching a job. The watcher first receives the current snapshot (from memory when
   * another watcher or the terminal cache has it), then every change. Returns the unwatch function.
   * `seed` starts a new poller from a known state (a lease taken over from another replica): no
   * snapshot is emitted for it, and the next change continues its sequence.
   */
  watch(key: JobKey, watcher: Watcher, seed?: { job: ProviderJob; seq: number }): () => void {
    if (this.#stopped) {
      queueMicrotask(() =>
        watcher({ kind: 'error', error: new JobError('PROVIDER_UNAVAILABLE', 'server is shutting down') }),
      );
      return () => {};
    }
    const id = toGlobalId(key);
    const cached = this.#terminal?.get(id);
    if (cached && !this.#pollers.has(id)) {
      queueMicrotask(() =>
        watcher({ kind: 'status', job: cached.job, previous: null, seq: cached.seq, at: this.#clock.now() }),
      );
      return () => {};
    }
    let poller = this.#pollers.get(id);
    if (!poller) {
      poller = {
        id,
        key,
        watchers: new Set(),
        last: seed?.job ?? null,
        polledAt: -Infinity,
        seq: seed?.seq ?? 0,
        intervalMs: this.#interval.minIntervalMs,
        dueAt: this.#clock.now(),
        inFlight: false,
      };
      this.#pollers.set(id, poller);
      this.#wakeBy(poller.dueAt);
    } else if (poller.last && poller.seq > 0) {
      const snapshot = poller.last;
      const seq = poller.seq;
      queueMicrotask(() => {
        if (poller?.watchers.has(watcher))
          watcher({ kind: 'status', job: snapshot, previous: null, seq, at: this.#clock.now() });
      });
    }
    poller.watchers.add(watcher);
    const p = poller;
    return () => {
      p.watchers.delete(watcher);
      if (p.watchers.size === 0 && this.#pollers.get(p.id) === p) {
        this.#pollers.delete(p.id);
        this.#schedule();
      }
    };
  }

  /**
   * The latest state a poller fetched for a job, and when, or its cached final state; undefined
   * when nothing watches the job. No provider call.
   */
  latest(id: string): Observation | undefined {
    const p = this.#pollers.get(id);
    if (p?.last) return { job: p.last, observedAt: p.polledAt };
    const final = this.#terminal?.get(id);
    // A final state never goes stale.
    return final ? { job: final.job, observedAt: this.#clock.now() } : undefined;
  }

  /**
   * Someone else (a query) fetched the job just now. If its poller last saw another status, it
   * polls at once instead of at its (possibly 30 s) interval: the change then reaches watchers
   * through the poller, in sequence, rather than being applied here out of order.
   */
  observed(id: string, job: ProviderJob): void {
    const p = this.#pollers.get(id);
    if (!p || p.inFlight || !p.last || p.last.rawStatus === job.rawStatus) return;
    p.dueAt = this.#clock.now();
    this.#wakeBy(p.dueAt);
  }

  /** Stops every poller; watchers receive nothing more. */
  stop(): void {
    this.#stopped = true;
    this.#pollers.clear();
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Moves the timer earlier if `at` comes before it; a timer that fires early just rescans. */
  #wakeBy(at: number): void {
    if (at < this.#timerAt) this.#arm(at);
  }

  /** (Re)arms the single timer for the earliest due poller (a full scan: once per tick or unwatch). */
  #schedule(): void {
    let earliest = Infinity;
    for (const p of this.#pollers.values()) if (!p.inFlight && p.dueAt < earliest) earliest = p.dueAt;
    if (earliest !== this.#timerAt) this.#arm(earliest);
  }

  #arm(at: number): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === Infinity || this.#stopped) return;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Infinity;
        this.#tick();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #tick(): void {
    const horizon = this.#clock.now() + this.#tickWindowMs;
    for (const p of this.#pollers.values()) {
      if (p.inFlight || p.dueAt > horizon) continue;
      p.inFlight = true;
      // Each job has one poller, so each call is unique; the registry's bulkhead paces each provider.
      this.#registry.fetchJob(p.key).then(
        (job) => this.#settle(p, job, null),
        (err: unknown) => this.#settle(p, null, err),
      );
    }
    this.#schedule();
  }

  #settle(p: Poller, job: ProviderJob | null, err: unknown): void {
    p.inFlight = false;
    try {
      if (this.#pollers.get(p.id) !== p) return; // unwatched or stopped meanwhile
      if (job) this.#onJob(p, job);
      else this.#onError(p, err);
    } finally {
      // O(1) per poll: only an earlier due time moves the timer (a full scan per settled poll
      // would make each round quadratic in the number of pollers).
      if (this.#pollers.get(p.id) === p) this.#wakeBy(p.dueAt);
    }
  }

  #onJob(p: Poller, job: ProviderJob): void {
    const previous = p.last;
    const changed = previous === null || previous.rawStatus !== job.rawStatus;
    p.last = job;
    p.polledAt = this.#clock.now();
    if (changed) {
      p.seq++;
      this.#onTransition?.(job);
      this.#emit(p, { kind: 'status', job, previous, seq: p.seq, at: this.#clock.now() });
    }
    if (job.terminal) {
      this.#pollers.delete(p.id);
      this.#terminal?.set(p.id, { job, seq: p.seq });
      return;
    }
    p.intervalMs = nextInterval(p.intervalMs, changed, this.#interval);
    p.dueAt = this.#clock.now() + jittered(p.intervalMs, this.#interval, this.#random);
  }

  #onError(p: Poller, err: unknown): void {
    const error = isJobError(err)
      ? err
      : new JobError(
          'INTERNAL_SERVER_ERROR',
          'unexpected error while polling',
          { provider: p.key.provider },
          { cause: err },
        );
    if (error.transient) {
      p.intervalMs = errorInterval(p.intervalMs, this.#interval, error.details.retryAfterMs);
      p.dueAt = this.#clock.now() + jittered(p.intervalMs, this.#interval, this.#random);
      return;
    }
    this.#pollers.delete(p.id);
    this.#emit(p, { kind: 'error', error });
  }

  #emit(p: Poller, event: WatchEvent): void {
    for (const w of [...p.watchers]) {
      try {
        w(event);
      } catch {
        // A watcher's failure must not starve the others.
      }
    }
  }
}
