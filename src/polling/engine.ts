/**
 * The poll engine: one poller per unique job in the process, however many subscribers watch it.
 *
 * - A poller's interval starts at the minimum, grows while the raw status stays the same, returns
 *   to the minimum on a change, and is jittered so pollers drift apart.
 * - All pollers due in the same tick (within `batchWindowMs`) are fetched through one DataLoader
 *   batch, the same path queries use, so the registry's per-provider concurrency cap applies.
 * - Watchers get the current snapshot first, then one event per raw-status change. A terminal
 *   status is the last event; the poller stops and the snapshot is cached for late watchers.
 * - Transient errors (throttling, 5xx, timeouts, garbled bodies) only back the poller off;
 *   permanent ones (not found, forbidden, auth, bad input) are delivered once and end the watch.
 * - A poller stops as soon as its last watcher leaves.
 */
import { isJobError, JobError } from '../errors.js';
import type { Observation } from '../loaders/job-source.js';
import { createJobLoader } from '../loaders/jobs.js';
import { toGlobalId } from '../providers/job-id.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JobKey, ProviderJob } from '../providers/types.js';
import { errorInterval, jittered, nextInterval, type IntervalOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { TerminalCache } from './terminal-cache.js';

/** What a watcher receives. `seq` increases by one per status event of a job (a per-job version). */
export type WatchEvent =
  | { kind: 'status'; job: ProviderJob; previous: Pick<ProviderJob, 'state' | 'rawStatus'> | null; seq: number; at: number }
  | { kind: 'error'; error: JobError };

export type Watcher = (event: WatchEvent) => void;

export interface PollEngineOptions {
  registry: ProviderRegistry;
  /** @default systemClock */
  clock?: Clock;
  /** @default 1_000 */
  minIntervalMs?: number;
  /** @default 30_000 */
  maxIntervalMs?: number;
  /** How long a terminal snapshot is served from memory. @default 300_000 */
  terminalTtlMs?: number;
  /** Pollers due within this window of each other share one fetch batch. @default 50 */
  batchWindowMs?: number;
  /** @default 0.2 (±20 %) */
  jitter?: number;
  /** @default Math.random */
  random?: () => number;
  /** Observability hooks. */
  onPoll?: (key: JobKey, outcome: 'changed' | 'unchanged' | 'transient_error' | 'error') => void;
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
  readonly #registry: ProviderRegistry;
  readonly #clock: Clock;
  readonly #interval: IntervalOptions;
  readonly #batchWindowMs: number;
  readonly #random: () => number;
  readonly #terminal: TerminalCache;
  readonly #onPoll: PollEngineOptions['onPoll'];
  readonly #onTransition: PollEngineOptions['onTransition'];
  #timer: unknown = null;
  #timerAt = Infinity;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  #stopped = false;
  /** Provider calls made by this engine (for tests and metrics). */
  fetches = 0;

  constructor(options: PollEngineOptions) {
    this.#registry = options.registry;
    this.#clock = options.clock ?? systemClock;
    this.#interval = {
      minIntervalMs: options.minIntervalMs ?? 1_000,
      maxIntervalMs: options.maxIntervalMs ?? 30_000,
      jitter: options.jitter ?? 0.2,
    };
    this.#batchWindowMs = options.batchWindowMs ?? 50;
    this.#random = options.random ?? Math.random;
    this.#terminal = new TerminalCache(this.#clock, options.terminalTtlMs ?? 300_000);
    this.#onPoll = options.onPoll;
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
      queueMicrotask(() => watcher({ kind: 'error', error: new JobError('PROVIDER_UNAVAILABLE', 'server is shutting down') }));
      return () => {};
    }
    const id = toGlobalId(key);
    const cached = this.#terminal.get(id);
    if (cached && !this.#pollers.has(id)) {
      queueMicrotask(() => watcher({ kind: 'status', job: cached.job, previous: null, seq: cached.seq, at: this.#clock.now() }));
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
        if (poller?.watchers.has(watcher)) watcher({ kind: 'status', job: snapshot, previous: null, seq, at: this.#clock.now() });
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
    const final = this.#terminal.get(id);
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

  /** Resolves once no provider call started by the engine is in flight (test seam). */
  whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
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
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#tick();
    }, Math.max(0, at - this.#clock.now()));
  }

  #tick(): void {
    const horizon = this.#clock.now() + this.#batchWindowMs;
    const due = [...this.#pollers.values()].filter((p) => !p.inFlight && p.dueAt <= horizon);
    if (due.length > 0) {
      // One loader per tick: duplicate ids collapse and the bulkhead paces each provider.
      const loader = createJobLoader(this.#registry);
      for (const p of due) {
        p.inFlight = true;
        this.#inFlight++;
        this.fetches++;
        loader.load(p.id).then(
          (job) => this.#settle(p, job, null),
          (err: unknown) => this.#settle(p, null, err),
        );
      }
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
      this.#inFlight--;
      // O(1) per poll: only an earlier due time moves the timer (a full scan per settled poll
      // would make each round quadratic in the number of pollers).
      if (this.#pollers.get(p.id) === p) this.#wakeBy(p.dueAt);
      if (this.#inFlight === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #onJob(p: Poller, job: ProviderJob): void {
    const previous = p.last;
    const changed = previous === null || previous.rawStatus !== job.rawStatus;
    p.last = job;
    p.polledAt = this.#clock.now();
    this.#onPoll?.(p.key, changed ? 'changed' : 'unchanged');
    if (changed) {
      p.seq++;
      this.#onTransition?.(job);
      this.#emit(p, { kind: 'status', job, previous, seq: p.seq, at: this.#clock.now() });
    }
    if (job.terminal) {
      this.#pollers.delete(p.id);
      this.#terminal.set(p.id, job, p.seq);
      return;
    }
    p.intervalMs = nextInterval(p.intervalMs, changed, this.#interval);
    p.dueAt = this.#clock.now() + jittered(p.intervalMs, this.#interval, this.#random);
  }

  #onError(p: Poller, err: unknown): void {
    const error = isJobError(err) ? err : new JobError('INTERNAL_SERVER_ERROR', 'unexpected error while polling', { provider: p.key.provider }, { cause: err });
    if (error.transient) {
      this.#onPoll?.(p.key, 'transient_error');
      p.intervalMs = errorInterval(p.intervalMs, this.#interval, error.details.retryAfterMs);
      p.dueAt = this.#clock.now() + jittered(p.intervalMs, this.#interval, this.#random);
      return;
    }
    this.#onPoll?.(p.key, 'error');
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
