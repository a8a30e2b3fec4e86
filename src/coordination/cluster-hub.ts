/**
 * Cluster-wide watching: many replicas, one poller per job.
 *
 * Every replica that has local watchers of a job subscribes to the job's event channel and tries
 * to take the job's lease. The lease holder polls the job with its local {@link PollEngine} and
 * publishes each event; everyone (the holder included) delivers events from the channel to local
 * watchers, deduplicated by the per-job `seq`. The latest event is stored with a TTL, so a new
 * watcher on any replica gets its snapshot without a provider call, and a replica that takes over
 * a lease (the holder died: its lease expired) seeds its poller from that stored event, so the
 * sequence continues and no transition is lost or repeated.
 *
 * Redis unreachable: subscriptions degrade to local polling (each replica polls the jobs its own
 * watchers need, events stay local); when Redis returns, leases are contested again, the losers go
 * back to following the channel, and a one-off resync accepts the winner's next event by raw
 * status even if the sequences drifted apart meanwhile.
 */
import type { Observation } from '../loaders/job-source.js';
import { toGlobalId } from '../providers/job-id.js';
import type { JobKey } from '../providers/types.js';
import type { Coordinator, JobEventRecord, Unsubscribe } from './coordinator.js';
import { systemClock, type Clock } from '../polling/clock.js';
import type { PollEngine, WatchEvent, Watcher } from '../polling/engine.js';

/** Anything subscriptions can watch jobs through: the PollEngine itself, or this hub. */
export interface JobWatchSource {
  watch(key: JobKey, watcher: Watcher): () => void;
}

export interface ClusterHubOptions {
  engine: PollEngine;
  coordinator: Coordinator;
  /** Unique per process, e.g. hostname + pid + random. */
  replicaId: string;
  /** @default systemClock */
  clock?: Clock;
  /** Lease time: a dead holder's jobs are taken over within this. @default 5_000 */
  leaseMs?: number;
  /** How long a running job's latest event is kept. @default 600_000 */
  stateTtlMs?: number;
  /** How long a terminal job's last event is kept. @default 300_000 */
  terminalTtlMs?: number;
  onLeadChange?: (id: string, leading: boolean) => void;
}

interface LocalWatcher {
  fn: Watcher;
  gotFirst: boolean;
}

interface Entry {
  id: string;
  key: JobKey;
  watchers: Set<LocalWatcher>;
  lastSeq: number;
  last: JobEventRecord | null;
  unsubscribe: Unsubscribe | null;
  /** Stops the local poller while this replica holds the lease (or polls in degraded mode). */
  stopPolling: (() => void) | null;
  degraded: boolean;
  resync: boolean;
  closed: boolean;
}

export class ClusterHub implements JobWatchSource {
  readonly #entries = new Map<string, Entry>();
  readonly #engine: PollEngine;
  readonly #coord: Coordinator;
  readonly #replica: string;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #stateTtlMs: number;
  readonly #terminalTtlMs: number;
  readonly #onLeadChange: ClusterHubOptions['onLeadChange'];
  #timer: unknown = null;
  #stopped = false;
  #pending = new Set<Promise<unknown>>();

  constructor(o: ClusterHubOptions) {
    this.#engine = o.engine;
    this.#coord = o.coordinator;
    this.#replica = o.replicaId;
    this.#clock = o.clock ?? systemClock;
    this.#leaseMs = o.leaseMs ?? 5_000;
    this.#stateTtlMs = o.stateTtlMs ?? 600_000;
    this.#terminalTtlMs = o.terminalTtlMs ?? 300_000;
    this.#onLeadChange = o.onLeadChange;
    this.#arm();
  }

  /** Jobs this replica polls right now. */
  get leading(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.stopPolling) n++;
    return n;
  }

  watch(key: JobKey, fn: Watcher): () => void {
    const id = toGlobalId(key);
    const w: LocalWatcher = { fn, gotFirst: false };
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { id, key, watchers: new Set(), lastSeq: 0, last: null, unsubscribe: null, stopPolling: null, degraded: false, resync: false, closed: false };
      this.#entries.set(id, entry);
      entry.watchers.add(w);
      this.#track(this.#open(entry));
    } else {
      entry.watchers.add(w);
      const last = entry.last;
      if (last) queueMicrotask(() => entry && entry.watchers.has(w) && this.#deliverTo(w, last));
    }
    const e = entry;
    return () => {
      e.watchers.delete(w);
      if (e.watchers.size === 0) this.#track(this.#close(e));
    };
  }

  /**
   * The latest cluster-wide event of a job this replica watches (it may not poll it itself),
   * observed when the change was seen: the holder does not publish unchanged polls.
   */
  latest(id: string): Observation | undefined {
    const last = this.#entries.get(id)?.last;
    return last ? { job: last.job, observedAt: last.at } : undefined;
  }

  /** Resolves when no coordinator call started by the hub is pending (test seam). */
  async whenSettled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    await Promise.allSettled([...this.#entries.values()].map((e) => this.#close(e)));
  }

  /**
   * Stops polling and renewing without releasing anything: what a crashed replica looks like to
   * the others (failover tests).
   * @internal
   */
  abandon(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    for (const e of this.#entries.values()) {
      e.closed = true;
      this.#stopLocalPolling(e);
      void e.unsubscribe?.();
    }
    this.#entries.clear();
  }

  async #open(entry: Entry): Promise<void> {
    try {
      entry.unsubscribe = await this.#coord.subscribe(entry.id, (ev) => this.#accept(entry, ev));
      const latest = await this.#coord.latest(entry.id);
      if (latest) this.#accept(entry, latest);
    } catch {
      entry.degraded = true;
    }
    if (!entry.closed && !entry.last?.job.terminal) await this.#contest(entry);
  }

  async #close(entry: Entry): Promise<void> {
    if (entry.closed) return;
    entry.closed = true;
    this.#entries.delete(entry.id);
    const leading = entry.stopPolling !== null;
    this.#stopLocalPolling(entry);
    await entry.unsubscribe?.().catch(() => undefined);
    if (leading) await this.#coord.release(entry.id, this.#replica).catch(() => undefined);
  }

  /** Takes or renews the lease; polls while held, follows the channel otherwise. */
  async #contest(entry: Entry): Promise<void> {
    let held: boolean;
    try {
      if (!this.#coord.healthy && this.#coord.distributed) throw new Error('coordinator down');
      held = await this.#coord.acquire(entry.id, this.#replica, this.#leaseMs);
      if (entry.degraded) {
        entry.degraded = false;
        // Back from local-only polling: adopt whatever the cluster says next.
        entry.resync = true;
        if (!entry.unsubscribe) entry.unsubscribe = await this.#coord.subscribe(entry.id, (ev) => this.#accept(entry, ev));
      }
    } catch {
      entry.degraded = true;
      held = true; // degrade: poll locally rather than leave watchers without events
    }
    if (entry.closed) return;
    if (held && !entry.stopPolling) this.#startLocalPolling(entry);
    if (!held && entry.stopPolling) this.#stopLocalPolling(entry);
  }

  #startLocalPolling(entry: Entry): void {
    const seed = entry.last ? { job: entry.last.job, seq: entry.lastSeq } : undefined;
    entry.stopPolling = this.#engine.watch(entry.key, (ev) => this.#onLocalEvent(entry, ev), seed);
    this.#onLeadChange?.(entry.id, true);
  }

  #stopLocalPolling(entry: Entry): void {
    if (!entry.stopPolling) return;
    entry.stopPolling();
    entry.stopPolling = null;
    this.#onLeadChange?.(entry.id, false);
  }

  #onLocalEvent(entry: Entry, ev: WatchEvent): void {
    if (ev.kind === 'error') {
      for (const w of [...entry.watchers]) w.fn(ev);
      this.#track(this.#close(entry));
      return;
    }
    const record: JobEventRecord = {
      id: entry.id,
      seq: ev.seq,
      job: ev.job,
      previous: ev.previous ? { state: ev.previous.state, rawStatus: ev.previous.rawStatus } : null,
      at: ev.at,
    };
    // Local watchers get it at once; the channel echo is dropped by seq.
    this.#accept(entry, record);
    if (entry.degraded) return;
    const ttl = ev.job.terminal ? this.#terminalTtlMs : this.#stateTtlMs;
    this.#track(
      this.#coord.publish(record, ttl).then(
        async (published) => {
          if (!published) this.#stopLocalPolling(entry); // someone else is ahead: follow them
          if (ev.job.terminal) await this.#coord.release(entry.id, this.#replica);
        },
        () => {
          entry.degraded = true;
        },
      ),
    );
  }

  #accept(entry: Entry, ev: JobEventRecord): void {
    if (entry.closed) return;
    if (entry.resync && entry.last && ev.seq <= entry.lastSeq) {
      if (ev.job.rawStatus === entry.last.job.rawStatus) {
        entry.lastSeq = ev.seq;
        entry.resync = false;
        return;
      }
    } else if (ev.seq <= entry.lastSeq) {
      return;
    }
    entry.resync = false;
    entry.lastSeq = ev.seq;
    entry.last = ev;
    for (const w of [...entry.watchers]) this.#deliverTo(w, ev);
    if (ev.job.terminal) this.#stopLocalPolling(entry);
  }

  /** A watcher's first event is its snapshot (no previous state), whatever the cluster saw before. */
  #deliverTo(w: LocalWatcher, ev: JobEventRecord): void {
    const previous = w.gotFirst ? ev.previous : null;
    w.gotFirst = true;
    try {
      w.fn({ kind: 'status', job: ev.job, previous, seq: ev.seq, at: ev.at });
    } catch {
      // one watcher's failure must not starve the others
    }
  }

  /** Lease upkeep: renew held leases, take over jobs whose holder went away. */
  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      for (const entry of this.#entries.values()) {
        if (!entry.closed && !entry.last?.job.terminal) this.#track(this.#contest(entry));
      }
      this.#arm();
    }, Math.max(50, Math.floor(this.#leaseMs / 3)));
  }

  /** Background coordinator work: failures are already handled where they matter (degraded mode). */
  #track<T>(p: Promise<T>): void {
    const tracked = p.catch(() => undefined);
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }
}
