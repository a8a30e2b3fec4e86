/**
 * The event stream behind one `jobStatusChanged` subscription: watches each distinct job through
 * the poll engine and yields its snapshot, then each change, then completes once every job is
 * terminal or has failed.
 *
 * A slow consumer never grows memory without bound: at most one pending event per job is kept.
 * When a newer event arrives before the older one was read, they merge into one transition from
 * the older event's previous state to the newer state. The terminal event is always the last one
 * for its job, so merging can never drop it.
 */
import type { JobError } from '../errors.js';
import type { JobWatchSource } from '../polling/ports.js';
import type { WatchEvent } from '../polling/engine.js';
import { toGlobalId } from '../providers/job-id.js';
import type { JobKey, ProviderJob } from '../providers/types.js';
import type { JobRefInput } from '../refs.js';

/** One status event as the GraphQL `JobStatusChange` type exposes it. */
export interface JobStatusChange {
  job: ProviderJob;
  previousState: ProviderJob['state'] | null;
  previousRawStatus: string | null;
  state: ProviderJob['state'];
  rawStatus: string;
  terminal: boolean;
  /** Per-job version: 1 for the first snapshot ever polled, +1 per change. */
  sequence: number;
  at: Date;
  observedAt: Date;
  nextPollAt: Date | null;
}

/** What the stream yields: a change, or the coded error that ended one ref. */
export type StreamItem =
  { kind: 'change'; change: JobStatusChange } | { kind: 'error'; error: JobError; ref: JobRefInput };

/** A ref already resolved to a key, or the validation error it produced. */
export type WatchTarget = { ref: JobRefInput; key: JobKey } | { ref: JobRefInput; error: JobError };

/** `onClose` runs once when the stream ends for any reason (completion, unsubscribe, socket loss). */
export function createJobStatusStream(
  engine: JobWatchSource,
  targets: readonly WatchTarget[],
  onClose?: () => void,
): AsyncIterableIterator<StreamItem> {
  // Pending items in arrival order; status events keyed by job id so a newer one replaces an older one.
  const pending = new Map<string, StreamItem>();
  const active = new Set<string>();
  const unwatchers: (() => void)[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  let errorSeq = 0;

  const push = (slot: string, item: StreamItem) => {
    pending.set(slot, item);
    wake?.();
  };

  const onEvent = (id: string, ref: JobRefInput, event: WatchEvent) => {
    if (closed || !active.has(id)) return;
    if (event.kind === 'error') {
      active.delete(id);
      push(`error:${errorSeq++}`, { kind: 'error', error: event.error, ref });
      return;
    }
    const earlier = pending.get(id);
    const previous = earlier?.kind === 'change' ? earlier.change.previousState : (event.previous?.state ?? null);
    const previousRaw =
      earlier?.kind === 'change' ? earlier.change.previousRawStatus : (event.previous?.rawStatus ?? null);
    const { job } = event;
    if (job.terminal) active.delete(id);
    pending.delete(id); // re-insert at the end: a merged event is as recent as its newest part
    push(id, {
      kind: 'change',
      change: {
        job,
        previousState: previous,
        previousRawStatus: previousRaw,
        state: job.state,
        rawStatus: job.rawStatus,
        terminal: job.terminal,
        sequence: event.seq,
        at: new Date(event.at),
        observedAt: new Date(event.observedAt ?? event.at),
        nextPollAt: event.nextPollAt == null || job.terminal ? null : new Date(event.nextPollAt),
      },
    });
  };

  for (const target of targets) {
    if ('error' in target) {
      push(`error:${errorSeq++}`, { kind: 'error', error: target.error, ref: target.ref });
      continue;
    }
    const id = toGlobalId(target.key);
    if (active.has(id)) continue; // the same job twice in one subscription is watched once
    active.add(id);
    unwatchers.push(engine.watch(target.key, (e) => onEvent(id, target.ref, e)));
  }

  const close = () => {
    if (closed) return;
    closed = true;
    onClose?.();
    for (const u of unwatchers) u();
    pending.clear();
    wake?.();
  };

  const iterator: AsyncIterableIterator<StreamItem> = {
    async next() {
      for (;;) {
        if (closed) return { done: true, value: undefined };
        const first = pending.entries().next();
        if (!first.done) {
          const [slot, item] = first.value;
          pending.delete(slot);
          return { done: false, value: item };
        }
        if (active.size === 0) {
          close();
          return { done: true, value: undefined };
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
    async return() {
      close();
      return { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      close();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
