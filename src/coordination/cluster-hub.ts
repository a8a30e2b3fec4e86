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
import { DEFAULTS } from '../config.js';
import type { JobWatchSource, Observation } from '../polling/ports.js';
import { toGlobalId } from '../providers/job-id.js';
import type { JobKey } from '../providers/types.js';
import type { Coordinator, JobEventRecord, Unsubscribe } from './coordinator.js';
import { systemClock, type Clock } from '../polling/clock.js';
import type { PollEngine, WatchEvent, Watcher } from '../polling/engine.js';

export interface ClusterHubOptions {
  engine: PollEngine;
  coordinator: Coordinator;
  /** Unique per process, e.g. hostname + pid + random. */
  replicaId: string;
  /** @default systemClock */
  clock?: Clock;
  /** Lease time: a dead holder's jobs are taken over within this. @default DEFAULTS.redis.leaseMs */
  leaseMs?: number;
  /** How long a terminal job's last event is kept. @default DEFAULTS.poll.terminalTtlMs */
  terminalTtlMs?: number;
  /** How long a running job's latest event is kept (refreshed by every change). @default DEFAULTS.redis.stateTtlMs */
  stateTtlMs?: number;
}

/** How long a running job's latest event is kept (refreshed by every change). */

interface LocalWatcher {
  fn: Watcher;
  gotFirst: boolean;
}

/**
 * Where a job stands on this replica. The transitions, and the method that makes each:
 *
 *   joining    lease taken                                  -> leading     (#contest)
 *   joining    lease held by another replica                -> following   (#contest)
 *   following  lease taken: its holder went away            -> leading     (#contest)
 *   leading    lease lost, or the coordinator holds a newer
 *              event than ours                              -> following   (#contest, #onLocalEvent)
 *   joining, following, leading:
 *              a coordinator call fails (Redis down)        -> degraded    (#degrade)
 *   degraded   the coordinator answers again (Redis up)     -> leading or following, resync (#contest)
 *   joining, following, leading, degraded:
 *              a terminal event                             -> done        (#accept)
 *   any        the last local watcher left, or a
 *              permanent error                              -> closed      (#close)
 */
type Phase =
  /** Subscribing to the job's channel and reading its stored event; not polled here yet. */
  | { kind: 'joining' }
  /** Another replica holds the lease; events come from the channel. */
  | { kind: 'following'; resync: boolean }
  /** This replica holds the lease: it polls the job, publishes each change and renews the lease. */
  | { kind: 'leading'; stopPolling: () => void; resync: boolean }
  /** The coordinator is unreachable: this replica polls for its own watchers, and events stay local. */
  | { kind: 'degraded'; stopPolling: () => void }
  /** The job reached a final state: nothing is polled or contested any more. */
  | { kind: 'done' }
  /** Nobody here watches the job any more: its channel is left and a held lease released. */
  | { kind: 'closed' };

// `resync` (following, leading): back from degraded, this replica's sequence and the cluster's may
// have drifted apart, so the next channel event is adopted by raw status even when its seq is not
// newer; the first event accepted clears it.

interface Entry {
  id: string;
  key: JobKey;
  watchers: Set<LocalWatcher>;
  lastSeq: number;
  last: JobEventRecord | null;
  /** Leaves the job's channel; null until subscribed. */
  unsubscribe: Unsubscribe | null;
  phase: Phase;
}

/** Phases in which the lease is still contested: the job is watched and not finished. */
const contested = (p: Phase): boolean => p.kind !== 'done' && p.kind !== 'closed';

export class ClusterHub implements JobWatchSource {
  readonly #entries = new Map<string, Entry>();
  readonly #engine: PollEngine;
  readonly #coord: Coordinator;
  readonly #replica: string;
  readonly #clock: Clock;
  readonly #leaseMs: number;
  readonly #terminalTtlMs: number;
  readonly #stateTtlMs: number;
  #timer: unknown = null;
  #stopped = false;

  constructor(o: ClusterHubOptions) {
    this.#engine = o.engine;
    this.#coord = o.coordinator;
    this.#replica = o.replicaId;
    this.#clock = o.clock ?? systemClock;
    this.#leaseMs = o.leaseMs ?? DEFAULTS.redis.leaseMs;
    this.#terminalTtlMs = o.terminalTtlMs ?? DEFAULTS.poll.terminalTtlMs;
    this.#stateTtlMs = o.stateTtlMs ?? DEFAULTS.redis.stateTtlMs;
    this.#arm();
  }

  watch(key: JobKey, fn: Watcher): () => void {
    const id = toGlobalId(key);
    const w: LocalWatcher = { fn, gotFirst: false };
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { id, key, watchers: new Set(), lastSeq: 0, last: null, unsubscribe: null, phase: { kind: 'joining' } };
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

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    await Promise.allSettled([...this.#entries.values()].map((e) => this.#close(e)));
  }

  async #open(entry: Entry): Promise<void> {
    try {
      const unsubscribe = await this.#coord.subscribe(entry.id, (ev) => this.#accept(entry, ev));
      if (entry.phase.kind === 'closed') {
        await unsubscribe(); // every watcher left while we subscribed
        return;
      }
      entry.unsubscribe = unsubscribe;
      const latest = await this.#coord.latest(entry.id);
      if (latest) this.#accept(entry, latest);
    } catch {
      this.#degrade(entry);
    }
    if (contested(entry.phase)) await this.#contest(entry);
  }

  async #close(entry: Entry): Promise<void> {
    const p = entry.phase;
    if (p.kind === 'closed') return;
    entry.phase = { kind: 'closed' };
    if (this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id);
    const polling = p.kind === 'leading' || p.kind === 'degraded';
    if (polling) p.stopPolling();
    await entry.unsubscribe?.().catch(() => undefined);
    if (polling) await this.#coord.release(entry.id, this.#replica).catch(() => undefined);
  }

  /** Takes or renews the lease; polls while held, follows the channel otherwise. */
  async #contest(entry: Entry): Promise<void> {
    let held: boolean;
    try {
      if (!this.#coord.healthy && this.#coord.distributed) throw new Error('coordinator down');
      held = await this.#coord.acquire(entry.id, this.#replica, this.#leaseMs);
      if (entry.phase.kind === 'degraded' && !entry.unsubscribe) {
        entry.unsubscribe = await this.#coord.subscribe(entry.id, (ev) => this.#accept(entry, ev));
      }
    } catch {
      this.#degrade(entry);
      return;
    }
    const p = entry.phase;
    if (!contested(p)) return;
    // Back from local-only polling: adopt whatever the cluster says next.
    const resync = p.kind === 'degraded' || ((p.kind === 'following' || p.kind === 'leading') && p.resync);
    const polling = p.kind === 'leading' || p.kind === 'degraded' ? p.stopPolling : null;
    if (held) {
      entry.phase = { kind: 'leading', stopPolling: polling ?? this.#poll(entry), resync };
    } else {
      polling?.();
      entry.phase = { kind: 'following', resync };
    }
  }

  /** The coordinator failed: poll locally rather than leave watchers without events. */
  #degrade(entry: Entry): void {
    const p = entry.phase;
    if (!contested(p) || p.kind === 'degraded') return;
    entry.phase = { kind: 'degraded', stopPolling: p.kind === 'leading' ? p.stopPolling : this.#poll(entry) };
  }

  /** Starts this replica's poller for the job, continuing from the cluster's latest event. */
  #poll(entry: Entry): () => void {
    const seed = entry.last ? { job: entry.last.job, seq: entry.lastSeq } : undefined;
    return this.#engine.watch(entry.key, (ev) => this.#onLocalEvent(entry, ev), seed);
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
    // Only the lease holder publishes; a degraded replica's events stay with its own watchers.
    const publishing = entry.phase.kind === 'leading';
    // Local watchers get it at once; the channel echo is dropped by seq.
    this.#accept(entry, record);
    if (!publishing) return;
    const ttl = ev.job.terminal ? this.#terminalTtlMs : this.#stateTtlMs;
    this.#track(
      this.#coord.publish(record, ttl).then(
        async (published) => {
          const p = entry.phase;
          if (!published && p.kind === 'leading') {
            // Someone else is ahead: follow them.
            p.stopPolling();
            entry.phase = { kind: 'following', resync: p.resync };
          }
          if (ev.job.terminal) await this.#coord.release(entry.id, this.#replica);
        },
        () => this.#degrade(entry),
      ),
    );
  }

  #accept(entry: Entry, ev: JobEventRecord): void {
    const p = entry.phase;
    if (p.kind === 'closed') return;
    const resync = 'resync' in p && p.resync;
    if (resync && entry.last && ev.seq <= entry.lastSeq) {
      if (ev.job.rawStatus === entry.last.job.rawStatus) {
        entry.lastSeq = ev.seq;
        p.resync = false;
        return;
      }
    } else if (ev.seq <= entry.lastSeq) {
      return;
    }
    if ('resync' in p) p.resync = false;
    entry.lastSeq = ev.seq;
    entry.last = ev;
    for (const w of [...entry.watchers]) this.#deliverTo(w, ev);
    if (ev.job.terminal) {
      if (p.kind === 'leading' || p.kind === 'degraded') p.stopPolling();
      entry.phase = { kind: 'done' };
    }
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
    this.#timer = this.#clock.setTimeout(
      () => {
        for (const entry of this.#entries.values()) if (contested(entry.phase)) this.#track(this.#contest(entry));
        this.#arm();
      },
      Math.max(50, Math.floor(this.#leaseMs / 3)),
    );
  }

  /** Background coordinator work: failures are already handled where they matter (degraded mode). */
  #track(p: Promise<unknown>): void {
    void p.catch(() => undefined);
  }
}
