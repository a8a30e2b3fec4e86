/**
 * The poll engine: one poller per unique job in the process, however many subscribers watch it.
 *
 * - A poller's interval starts at its provider's minimum, grows while the raw status stays the
 *   same, returns to the minimum on a change, and is jittered so pollers drift apart.
 * - Pollers call the provider registry directly: there is one poller per job, so there is nothing
 *   to deduplicate or cache (queries have their own path, src/loaders/job-source.ts). The
 *   registry's per-provider concurrency cap and call budget still apply to every poll.
 * - Scheduling costs O(log n) per poll: pollers wait in a min-heap of due times, one timer is armed
 *   for the earliest, and pollers due within `tickWindowMs` of each other are polled on one tick.
 * - With a poll budget, each scope (a provider quota: provider, account, region) starts at most its
 *   rate of polls in any sliding second, evenly spaced. Due pollers of a saturated scope queue for
 *   slots, oldest due first, and a scope's intervals stretch to its fair share (jobs / rate), so
 *   every job is still polled. A first poll, and a job expected to end soon, get a bounded head start.
 * - Watchers get the current snapshot first, then one event per raw-status change. A terminal
 *   status is the last event; the poller stops and the snapshot is cached for late watchers.
 * - Transient errors (throttling, 5xx, timeouts, garbled bodies) only back the poller off; a spent
 *   daily budget waits for its reset. JOB_NOT_FOUND before the job was ever seen and within the
 *   grace period means "not yet". Other permanent errors are delivered once and end the watch.
 * - A poller stops as soon as its last watcher leaves.
 */
import type { LRUCache } from 'lru-cache';
import { DEFAULTS, type PollIntervals, type PollPriority } from '../config.js';
import { isJobError, JobError } from '../errors.js';
import type { Observation, WatchEvent, Watcher } from './ports.js';
import { toGlobalId } from '../providers/job-id.js';
import type { JobFetcher, JobKey, ProviderJob, ProviderName } from '../providers/types.js';
import { errorInterval, jittered, nextInterval, type IntervalOptions } from './backoff.js';
import { systemClock, ttlCache, type Clock } from './clock.js';
import { IndexedHeap, type HeapItem } from './heap.js';

export type { WatchEvent, Watcher } from './ports.js';

/** How many polls the engine may start, per quota scope. */
export interface PollBudget {
  /** The scope a job's polls count against, e.g. `provider:account:region`. */
  scopeOf(key: JobKey): string;
  /**
   * Polls per second the engine may start in a scope (fractions allowed: 0.5 is one every 2 s;
   * Infinity: no limit; 0: none for now). Read when the scope is first used, then about once a
   * second while it has polls waiting, so it may follow live replicas or a day's remaining budget.
   * A throw counts as no rate for now.
   */
  callsPerSec(scope: string): number;
}

export interface PollEngineOptions {
  /** Where polls fetch a job: the provider registry itself, never the query path. */
  registry: JobFetcher;
  /** @default systemClock */
  clock?: Clock;
  /** For providers without intervals of their own. @default DEFAULTS.poll.minIntervalMs */
  minIntervalMs?: number;
  /** For providers without intervals of their own. @default DEFAULTS.poll.maxIntervalMs */
  maxIntervalMs?: number;
  /**
   * Providers with intervals of their own. @default DEFAULTS.poll.providers, or none when either
   * global interval is given (as in the configuration, a global pair that is set beats built-in
   * per-provider defaults).
   */
  providerIntervals?: Partial<Record<ProviderName, Readonly<PollIntervals>>>;
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
  /**
   * JOB_NOT_FOUND this soon after a poller started, before the job was ever seen, means "not yet":
   * it polls on. @default DEFAULTS.poll.notFoundGraceMs
   */
  notFoundGraceMs?: number;
  /** Without it, polls start whenever they are due (the registry's own limits still apply). */
  pollBudget?: PollBudget;
  /** When a job is expected to end (epoch ms), if its provider says: such jobs go first under a budget. */
  expectedEndOf?: (job: ProviderJob) => number | null;
  /** Head starts under a saturated budget. @default DEFAULTS.poll.priority */
  priority?: Readonly<PollPriority>;
  /** @default Math.random */
  random?: () => number;
  /** Called once per status event emitted (snapshot or change), before watchers see it. */
  onTransition?: (job: ProviderJob) => void;
}

/** A quota scope's pacing: polls start at least `spacingMs` apart. */
interface Scope extends HeapItem {
  readonly name: string;
  spacingMs: number;
  /** When the rate was last read from the budget. */
  rateReadAt: number;
  lastStartAt: number;
  /** When the next queued poller may start (its key in the engine's slot heap). */
  slotAt: number;
  /** Watched jobs in the scope: the fair share divides the rate among them. */
  jobs: number;
  /** Due pollers waiting for a slot, best rank first. */
  readonly ready: IndexedHeap<Poller>;
}

interface Poller extends HeapItem {
  readonly id: string;
  readonly key: JobKey;
  readonly watchers: Set<Watcher>;
  readonly intervals: IntervalOptions;
  readonly scope: Scope | null;
  /** When the poller started: the not-found grace period counts from here. */
  readonly startedAt: number;
  /** Creation order: breaks ties between equal ranks, oldest first. */
  readonly serial: number;
  last: ProviderJob | null;
  /** When `last` was fetched (a seed from another replica without a time: -Infinity). */
  polledAt: number;
  seq: number;
  intervalMs: number;
  dueAt: number;
  /** Polls started so far. */
  polls: number;
  /** Waiting in its scope's queue for a slot (else in the due heap, or in flight). */
  queued: boolean;
  /** Its place in the scope queue: the due time less any head start. */
  rank: number;
  inFlight: boolean;
}

/** A scope with no rate at the moment asks its budget again this much later. */
const NO_RATE_RECHECK_MS = 1_000;

export class PollEngine {
  readonly #pollers = new Map<string, Poller>();
  /** Pollers waiting for their due time, earliest first. */
  readonly #due = new IndexedHeap<Poller>((a, b) => a.dueAt < b.dueAt);
  /** Scopes with queued pollers, by their next slot. */
  readonly #slots = new IndexedHeap<Scope>((a, b) => a.slotAt < b.slotAt);
  /** Every scope seen: few (providers × accounts × regions), and their pacing must outlive their jobs. */
  readonly #scopes = new Map<string, Scope>();
  readonly #intervals = new Map<ProviderName, IntervalOptions>();
  readonly #registry: JobFetcher;
  readonly #clock: Clock;
  readonly #o: {
    minIntervalMs: number;
    maxIntervalMs: number;
    providerIntervals: Partial<Record<ProviderName, Readonly<PollIntervals>>>;
    growth: number;
    jitter: number;
  };
  readonly #random: () => number;
  readonly #tickWindowMs: number;
  readonly #graceMs: number;
  readonly #budget: PollBudget | undefined;
  readonly #expectedEndOf: PollEngineOptions['expectedEndOf'];
  readonly #priority: Readonly<PollPriority>;
  /** Final snapshots for late watchers (null: not kept), aged on the engine's clock. */
  readonly #terminal: LRUCache<string, { job: ProviderJob; seq: number; observedAt: number }> | null;
  readonly #onTransition: PollEngineOptions['onTransition'];
  #serial = 0;
  #timer: unknown = null;
  #timerAt = Infinity;
  #stopped = false;

  constructor(options: PollEngineOptions) {
    this.#registry = options.registry;
    this.#clock = options.clock ?? systemClock;
    this.#o = {
      minIntervalMs: options.minIntervalMs ?? DEFAULTS.poll.minIntervalMs,
      maxIntervalMs: options.maxIntervalMs ?? DEFAULTS.poll.maxIntervalMs,
      providerIntervals:
        options.providerIntervals ??
        (options.minIntervalMs === undefined && options.maxIntervalMs === undefined ? DEFAULTS.poll.providers : {}),
      growth: options.growth ?? DEFAULTS.poll.growth,
      jitter: options.jitter ?? DEFAULTS.poll.jitter,
    };
    this.#random = options.random ?? Math.random;
    this.#tickWindowMs = options.tickWindowMs ?? DEFAULTS.poll.batchWindowMs;
    this.#graceMs = options.notFoundGraceMs ?? DEFAULTS.poll.notFoundGraceMs;
    this.#budget = options.pollBudget;
    this.#expectedEndOf = options.expectedEndOf;
    this.#priority = options.priority ?? DEFAULTS.poll.priority;
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
  watch(key: JobKey, watcher: Watcher, seed?: { job: ProviderJob; seq: number; observedAt?: number }): () => void {
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
        watcher({
          kind: 'status',
          job: cached.job,
          previous: null,
          seq: cached.seq,
          at: this.#clock.now(),
          observedAt: cached.observedAt,
          nextPollAt: null,
        }),
      );
      return () => {};
    }
    let poller = this.#pollers.get(id);
    if (!poller) {
      poller = this.#create(id, key, seed);
    } else if (poller.last && poller.seq > 0) {
      const p = poller;
      const snapshot = p.last!;
      const seq = p.seq;
      queueMicrotask(() => {
        if (!p.watchers.has(watcher)) return;
        const event = { kind: 'status', job: snapshot, previous: null, seq, at: this.#clock.now() } as const;
        watcher({ ...event, ...this.#freshness(p) });
      });
    }
    poller.watchers.add(watcher);
    const p = poller;
    return () => {
      p.watchers.delete(watcher);
      if (p.watchers.size === 0 && this.#pollers.get(p.id) === p) {
        this.#drop(p);
        this.#schedule();
      }
    };
  }

  /**
   * The latest state a poller fetched for a job, when, and when it polls next; or its cached final
   * state. Undefined when nothing watches the job. No provider call.
   */
  latest(id: string): Observation | undefined {
    const p = this.#pollers.get(id);
    if (p?.last) return { job: p.last, observedAt: p.polledAt, nextPollAt: this.#plannedAt(p) };
    const final = this.#terminal?.get(id);
    // A final state never goes stale.
    return final ? { job: final.job, observedAt: this.#clock.now(), nextPollAt: null } : undefined;
  }

  /**
   * When a job's next poll is planned (epoch ms; the clock's now while one is under way). Under a
   * saturated budget it is the earliest slot, not a promise. Null: never again (a final state is
   * cached); undefined: nothing here watches the job.
   */
  nextPollAt(id: string): number | null | undefined {
    const p = this.#pollers.get(id);
    if (p) return this.#plannedAt(p);
    return this.#terminal?.has(id) ? null : undefined;
  }

  /**
   * Someone else (a query) fetched the job just now. If its poller last saw another status, it
   * polls at once instead of at its (possibly 30 s) interval: the change then reaches watchers
   * through the poller, in sequence, rather than being applied here out of order.
   */
  observed(id: string, job: ProviderJob): void {
    const p = this.#pollers.get(id);
    if (!p || p.inFlight || p.queued || !p.last || p.last.rawStatus === job.rawStatus) return;
    p.dueAt = this.#clock.now();
    this.#due.update(p);
    this.#wakeBy(p.dueAt);
  }

  /** Stops every poller; watchers receive nothing more. */
  stop(): void {
    this.#stopped = true;
    this.#pollers.clear();
    this.#due.clear();
    this.#slots.clear();
    for (const s of this.#scopes.values()) s.ready.clear();
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #create(id: string, key: JobKey, seed: { job: ProviderJob; seq: number; observedAt?: number } | undefined): Poller {
    const now = this.#clock.now();
    const intervals = this.#intervalsOf(key.provider);
    const scope = this.#budget ? this.#scope(this.#budget.scopeOf(key), now) : null;
    const p: Poller = {
      id,
      key,
      watchers: new Set(),
      intervals,
      scope,
      startedAt: now,
      serial: this.#serial++,
      last: seed?.job ?? null,
      polledAt: seed?.observedAt ?? -Infinity,
      seq: seed?.seq ?? 0,
      intervalMs: intervals.minIntervalMs,
      dueAt: now,
      polls: 0,
      queued: false,
      rank: 0,
      inFlight: false,
      heapIndex: -1,
    };
    if (scope) scope.jobs++;
    this.#pollers.set(id, p);
    this.#due.push(p);
    this.#wakeBy(p.dueAt);
    return p;
  }

  /** Forgets a poller (unwatched, finished or failed for good), wherever it waits. */
  #drop(p: Poller): void {
    this.#pollers.delete(p.id);
    const s = p.scope;
    if (!s) {
      this.#due.remove(p);
      return;
    }
    s.jobs--;
    if (p.queued) {
      s.ready.remove(p);
      p.queued = false;
      if (s.ready.size === 0) this.#slots.remove(s);
    } else {
      this.#due.remove(p);
    }
  }

  #intervalsOf(provider: ProviderName): IntervalOptions {
    let o = this.#intervals.get(provider);
    if (!o) {
      const own = this.#o.providerIntervals[provider];
      o = {
        minIntervalMs: own?.minIntervalMs ?? this.#o.minIntervalMs,
        maxIntervalMs: own?.maxIntervalMs ?? this.#o.maxIntervalMs,
        growth: this.#o.growth,
        jitter: this.#o.jitter,
      };
      this.#intervals.set(provider, o);
    }
    return o;
  }

  #scope(name: string, now: number): Scope {
    let s = this.#scopes.get(name);
    if (!s) {
      s = {
        name,
        spacingMs: 0,
        rateReadAt: -Infinity,
        lastStartAt: -Infinity,
        slotAt: -Infinity,
        jobs: 0,
        ready: new IndexedHeap<Poller>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.serial < b.serial)),
        heapIndex: -1,
      };
      this.#readRate(s, now);
      this.#scopes.set(name, s);
    }
    return s;
  }

  /**
   * Spacing from the budget's rate. Rates of 1/s or more are rounded down to whole calls: n starts
   * at least 1000/n ms apart never put n+1 in one second, which a fractional rate's spacing would.
   */
  #readRate(s: Scope, now: number): void {
    let rate: number;
    try {
      rate = this.#budget!.callsPerSec(s.name);
    } catch {
      rate = NaN; // runs in a timer: a throw must not take the process down; no rate for now
    }
    s.rateReadAt = now;
    s.spacingMs = !(rate > 0) ? Infinity : rate >= 1 ? 1_000 / Math.floor(rate) : 1_000 / rate;
  }

  /** Moves the timer earlier if `at` comes before it; a timer that fires early finds nothing due. */
  #wakeBy(at: number): void {
    if (at < this.#timerAt) this.#arm(at);
  }

  /** (Re)arms the single timer for the earliest due poller or scope slot: O(1), the heaps' tops. */
  #schedule(): void {
    const earliest = Math.min(this.#due.peek()?.dueAt ?? Infinity, this.#slots.peek()?.slotAt ?? Infinity);
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
      // Whole ms: a slot is never taken before its time.
      Math.max(0, Math.ceil(at - this.#clock.now())),
    );
  }

  #tick(): void {
    const now = this.#clock.now();
    const horizon = now + this.#tickWindowMs;
    for (let p = this.#due.peek(); p && p.dueAt <= horizon; p = this.#due.peek()) {
      this.#due.pop();
      if (p.scope) this.#enqueue(p, p.scope, now);
      else this.#start(p);
    }
    // Slots are never taken early, not even within the tick window: that would be a burst.
    for (let s = this.#slots.peek(); s && s.slotAt <= now; s = this.#slots.peek()) {
      this.#slots.pop();
      this.#grant(s, now);
    }
    this.#schedule();
  }

  #enqueue(p: Poller, s: Scope, now: number): void {
    p.queued = true;
    p.rank = p.dueAt - this.#headStart(p, now);
    s.ready.push(p);
    if (!this.#slots.has(s)) {
      s.slotAt = this.#nextSlot(s);
      this.#slots.push(s);
    }
  }

  /** The earliest a scope may start its next poll. */
  #nextSlot(s: Scope): number {
    // No rate at the moment: ask the budget again soon.
    if (s.spacingMs === Infinity) return s.rateReadAt + NO_RATE_RECHECK_MS;
    return s.lastStartAt + s.spacingMs;
  }

  /** A bounded head start in the scope queue: a job kept waiting longer than it goes first anyway. */
  #headStart(p: Poller, now: number): number {
    if (p.polls === 0 && p.last === null) return this.#priority.firstPollHeadStartMs;
    const end = p.last && this.#expectedEndOf ? this.#expectedEndOf(p.last) : null;
    if (end !== null && end - now <= this.#priority.endingSoonWithinMs) return this.#priority.endingSoonHeadStartMs;
    return 0;
  }

  /** Starts the best queued poller of a scope whose slot has come, and books the next slot. */
  #grant(s: Scope, now: number): void {
    if (now - s.rateReadAt >= NO_RATE_RECHECK_MS) this.#readRate(s, now);
    const next = this.#nextSlot(s);
    if (next > now) {
      // The rate dropped since the slot was booked: wait for the new one.
      s.slotAt = next;
      this.#slots.push(s);
      return;
    }
    const p = s.ready.pop();
    if (!p) return;
    p.queued = false;
    s.lastStartAt = now;
    this.#start(p);
    if (s.ready.size > 0) {
      s.slotAt = now + s.spacingMs;
      this.#slots.push(s);
    }
  }

  #start(p: Poller): void {
    p.inFlight = true;
    p.polls++;
    // Each job has one poller, so each call is unique; the registry's bulkhead paces each provider.
    this.#registry.fetchJob(p.key).then(
      (job) => this.#settle(p, job, null),
      (err: unknown) => this.#settle(p, null, err),
    );
  }

  #settle(p: Poller, job: ProviderJob | null, err: unknown): void {
    p.inFlight = false;
    if (this.#pollers.get(p.id) !== p) return; // unwatched or stopped meanwhile
    try {
      if (job) this.#onJob(p, job);
      else this.#onError(p, err);
    } finally {
      // A watcher may have left (or made it due at once) while events were delivered.
      if (this.#pollers.get(p.id) === p && !p.inFlight && !p.queued) {
        this.#due.update(p);
        this.#wakeBy(p.dueAt);
      }
    }
  }

  #onJob(p: Poller, job: ProviderJob): void {
    const now = this.#clock.now();
    const previous = p.last;
    const changed = previous === null || previous.rawStatus !== job.rawStatus;
    p.last = job;
    p.polledAt = now;
    if (changed) p.seq++;
    if (job.terminal) {
      this.#drop(p);
      this.#terminal?.set(p.id, { job, seq: p.seq, observedAt: now });
    } else {
      p.intervalMs = nextInterval(p.intervalMs, changed, p.intervals);
      p.dueAt = this.#after(p, now, jittered(p.intervalMs, p.intervals, this.#random));
    }
    if (changed) {
      this.#onTransition?.(job);
      this.#emit(p, { kind: 'status', job, previous, seq: p.seq, at: now, ...this.#freshness(p) });
    }
  }

  #onError(p: Poller, err: unknown): void {
    const now = this.#clock.now();
    const error = isJobError(err)
      ? err
      : new JobError(
          'INTERNAL_SERVER_ERROR',
          'unexpected error while polling',
          { provider: p.key.provider },
          { cause: err },
        );
    const resetsAt = error.code === 'PROVIDER_QUOTA_EXHAUSTED' ? Date.parse(error.details.resetsAt ?? '') : NaN;
    if (resetsAt > now) {
      // Nothing can be fetched before the budget resets; spread the returns over one interval so
      // the pollers of a spent budget do not all come back at the same instant.
      p.dueAt = resetsAt + Math.round(this.#random() * p.intervalMs);
      return;
    }
    if (error.transient) {
      p.intervalMs = errorInterval(p.intervalMs, p.intervals, error.details.retryAfterMs);
      p.dueAt = this.#after(p, now, jittered(p.intervalMs, p.intervals, this.#random));
      return;
    }
    const graceEnd = p.startedAt + this.#graceMs;
    if (error.code === 'JOB_NOT_FOUND' && p.last === null && now < graceEnd) {
      // Perhaps not visible yet. The last try lands on the end of the grace period, not after it.
      p.intervalMs = nextInterval(p.intervalMs, false, p.intervals);
      p.dueAt = Math.min(graceEnd, this.#after(p, now, jittered(p.intervalMs, p.intervals, this.#random)));
      return;
    }
    this.#drop(p);
    this.#emit(p, { kind: 'error', error });
  }

  /** A poll `delayMs` from now, or later: at most its fair share of a scope's rate (jobs / rate). */
  #after(p: Poller, now: number, delayMs: number): number {
    const fairShareMs = p.scope && p.scope.spacingMs !== Infinity ? p.scope.jobs * p.scope.spacingMs : 0;
    return now + Math.max(delayMs, fairShareMs);
  }

  /** When the poller polls next: its due time, or later if its scope's next slot is later. */
  #plannedAt(p: Poller): number | null {
    if (this.#pollers.get(p.id) !== p) return null;
    const now = this.#clock.now();
    if (p.inFlight) return now;
    const s = p.scope;
    if (!s) return p.dueAt;
    if (p.queued) return Math.max(now, s.slotAt);
    return Math.max(p.dueAt, this.#nextSlot(s));
  }

  #freshness(p: Poller): { observedAt?: number; nextPollAt: number | null } {
    const nextPollAt = this.#plannedAt(p);
    return Number.isFinite(p.polledAt) ? { observedAt: p.polledAt, nextPollAt } : { nextPollAt };
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
