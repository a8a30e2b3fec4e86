/**
 * Identical subscriptions share one execution, whichever transport they came over (graphql-ws,
 * HTTP callbacks). Subscribers whose operations have the same
 * document, operation name and variables (so the same job set) join one group: the group runs the
 * subscription's source stream once, executes the selection set once per event, serializes the
 * result once, and hands the same JSON to every member. A member is only its channel, its id and a
 * pending promise, so per-subscription memory stays small.
 *
 * A member that joins a running group first gets the group's current state: per job, the latest
 * event as a snapshot (no previous state, as a fresh subscription would see it), plus any per-ref
 * errors so far. Snapshots are executed and serialized once per job version, whoever asks.
 *
 * Sharing assumes the result does not depend on who subscribed: the context is built per group,
 * not per connection. Per-user data would need the user in the group key.
 */
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { StreamItem } from './job-status-stream.js';

export interface SharedSubscriptionsOptions<C> {
  /** The context one group's execution runs with. */
  context: () => unknown;
  /**
   * Writes a `next` message for subscription `id` to `channel`; `payload` is serialized JSON
   * (UTF-8). `slot` names a status event's subscriber and job: a slow reader may get only the
   * latest message of a slot. It is unique per subscription, not per client id, because a client
   * may reuse an id once the subscription completed. Per-ref errors have none and are always delivered.
   */
  send: (channel: C, id: string, payload: Buffer, slot?: string) => void;
  /** What is sent for an execution result (the error contract). */
  format: (result: ExecutionResult) => unknown;
  /** A member joined (its snapshots are on their way); per channel, so transports can be told apart. */
  onJoin?: (channel: C) => void;
  /** A member left or its group ended. */
  onLeave?: (channel: C) => void;
}

interface Group<C> {
  key: string;
  args: ExecutionArgs;
  members: Set<Member<C>>;
  /** Resolves once the source stream runs (null), or to the result that ended it at once. */
  started: Promise<ExecutionResult | null>;
  source: AsyncIterator<unknown> | null;
  /** Latest event per job id, with its snapshot JSON once a joiner needed it. */
  latest: Map<string, Latest>;
  /** Serialized per-ref error events so far, replayed to joiners. */
  errors: Buffer[];
  closed: boolean;
}

interface Latest {
  item: Extract<StreamItem, { kind: 'change' }>;
  snapshot: Buffer | Promise<Buffer> | null;
}

const DONE: IteratorResult<never> = { done: true, value: undefined };

/** One subscriber, as a transport sees it: an async iterator that ends when the group ends. */
class Member<C> implements AsyncIterableIterator<never> {
  static #serial = 0;
  /** Prefix of this member's slots (see {@link SharedSubscriptionsOptions.send}). */
  readonly slot = `${++Member.#serial}\u0000`;
  #wake: { resolve: (r: IteratorResult<never>) => void; reject: (e: unknown) => void } | null = null;
  #ended: { error: unknown } | null = null;

  constructor(
    readonly channel: C,
    readonly id: string,
    readonly group: Group<C>,
    readonly owner: SharedSubscriptions<C>,
  ) {}

  next(): Promise<IteratorResult<never>> {
    if (this.#ended) return this.#ended.error === undefined ? Promise.resolve(DONE) : Promise.reject(this.#ended.error);
    return new Promise((resolve, reject) => (this.#wake = { resolve, reject }));
  }

  return(): Promise<IteratorResult<never>> {
    this.owner.leave(this);
    this.end();
    return Promise.resolve(DONE);
  }

  throw(err?: unknown): Promise<IteratorResult<never>> {
    this.owner.leave(this);
    this.end();
    return Promise.reject(err);
  }

  /** The group is over (or this member left); `error` ends it with an error message. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = { error };
    const wake = this.#wake;
    this.#wake = null;
    if (!wake) return;
    if (error === undefined) wake.resolve(DONE);
    else wake.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class SharedSubscriptions<C> {
  readonly #groups = new Map<string, Group<C>>();
  readonly #docIds = new WeakMap<object, number>();
  #nextDocId = 0;

  constructor(private readonly o: SharedSubscriptionsOptions<C>) {}

  /**
   * `subscribe` for one subscriber of any transport: joins (or starts) the group of identical
   * operations. Resolves to the member's iterator, or to the result that ended the operation before
   * any event (argument errors), which graphql-ws sends as one message and callbacks as a
   * `complete` with errors.
   */
  async subscribe(
    args: ExecutionArgs,
    channel: C,
    id: string,
  ): Promise<AsyncIterableIterator<never> | ExecutionResult> {
    const key = this.#keyOf(args);
    let group = this.#groups.get(key);
    if (!group) {
      const g: Group<C> = {
        key,
        args,
        members: new Set(),
        started: Promise.resolve(null),
        source: null,
        latest: new Map(),
        errors: [],
        closed: false,
      };
      this.#groups.set(key, g);
      g.started = this.#start(g);
      group = g;
    }
    const member = new Member(channel, id, group, this);
    if (!(await this.#catchUp(group, member))) return this.subscribe(args, channel, id); // it ended meanwhile
    let failed: ExecutionResult | null;
    try {
      failed = await group.started;
    } catch (err) {
      this.leave(member);
      throw err;
    }
    if (failed) {
      this.leave(member);
      return failed;
    }
    return member;
  }

  /** A member leaves (unsubscribed, socket gone); the last one out stops the group's stream. */
  leave(member: Member<C>): void {
    const g = member.group;
    if (!g.members.delete(member)) return;
    this.o.onLeave?.(member.channel);
    if (g.members.size === 0) this.#close(g);
  }

  #keyOf(args: ExecutionArgs): string {
    let doc = this.#docIds.get(args.document);
    if (doc === undefined) this.#docIds.set(args.document, (doc = ++this.#nextDocId));
    return `${doc}\u0000${args.operationName ?? ''}\u0000${stableJson(args.variableValues ?? null)}`;
  }

  async #start(g: Group<C>): Promise<ExecutionResult | null> {
    const contextValue = this.o.context();
    g.args = { ...g.args, contextValue };
    let source: AsyncIterable<unknown> | ExecutionResult;
    try {
      source = await createSourceEventStream(g.args);
    } catch (err) {
      this.#forget(g);
      throw err;
    }
    if (!isAsyncIterable(source)) {
      this.#forget(g);
      return source;
    }
    g.source = source[Symbol.asyncIterator]();
    if (g.closed || g.members.size === 0) this.#close(g);
    else void this.#pump(g);
    return null;
  }

  async #pump(g: Group<C>): Promise<void> {
    let error: unknown;
    try {
      for (;;) {
        const step = await g.source!.next();
        if (step.done || g.closed) break;
        await this.#publish(g, step.value as StreamItem);
      }
    } catch (err) {
      error = err;
    }
    this.#forget(g);
    g.closed = true;
    const members = [...g.members];
    g.members.clear();
    for (const m of members) {
      this.o.onLeave?.(m.channel);
      m.end(error);
    }
  }

  async #publish(g: Group<C>, item: StreamItem): Promise<void> {
    const payload = await this.#run(g, item);
    if (item.kind === 'change') g.latest.set(item.change.job.id, { item, snapshot: null });
    else g.errors.push(payload);
    const job = item.kind === 'change' ? item.change.job.id : undefined;
    for (const m of g.members) this.o.send(m.channel, m.id, payload, job === undefined ? undefined : m.slot + job);
  }

  /**
   * Adds a joiner to the group and sends it the group's current state first: each job's latest
   * event as a snapshot, then the per-ref errors so far. The member joins in the same tick as its
   * snapshots are sent, so no event can slip in between or before them. False when the group
   * ended before the joiner got in.
   */
  async #catchUp(g: Group<C>, member: Member<C>): Promise<boolean> {
    for (;;) {
      if (g.closed) return false;
      const entries = [...g.latest.values()];
      const pending = entries.map((e) => (e.snapshot ??= this.#snapshot(g, e)));
      // Executions are synchronous for this schema; awaiting is only for resolvers that are not.
      const payloads = pending.some((p) => !Buffer.isBuffer(p))
        ? await Promise.all(pending.map((p) => Promise.resolve(p)))
        : (pending as Buffer[]);
      const unchanged =
        entries.length === g.latest.size && entries.every((e) => g.latest.get(e.item.change.job.id) === e);
      if (!unchanged) continue; // an event arrived while snapshots executed: take the newer state
      if (g.closed) return false;
      g.members.add(member);
      this.o.onJoin?.(member.channel);
      payloads.forEach((payload, i) =>
        this.o.send(member.channel, member.id, payload, member.slot + entries[i]!.item.change.job.id),
      );
      for (const payload of g.errors) this.o.send(member.channel, member.id, payload);
      return true;
    }
  }

  #snapshot(g: Group<C>, entry: Latest): Buffer | Promise<Buffer> {
    const snapshot = this.#run(g, {
      kind: 'change',
      change: { ...entry.item.change, previousState: null, previousRawStatus: null },
    });
    if (!Buffer.isBuffer(snapshot))
      void snapshot.then(
        (json) => (entry.snapshot = json),
        () => (entry.snapshot = null),
      );
    return snapshot;
  }

  /** One execution and one serialization (and UTF-8 encoding) of the selection set for an event. */
  #run(g: Group<C>, item: StreamItem): Buffer | Promise<Buffer> {
    const result = execute({ ...g.args, rootValue: item });
    const serialize = (r: ExecutionResult) => Buffer.from(JSON.stringify(this.o.format(r)));
    return isPromiseLike(result) ? Promise.resolve(result).then(serialize) : serialize(result);
  }

  /** Idempotent; also closes a source that only arrived after the group was closed. */
  #close(g: Group<C>): void {
    g.closed = true;
    this.#forget(g);
    void g.source?.return?.();
  }

  #forget(g: Group<C>): void {
    if (this.#groups.get(g.key) === g) this.#groups.delete(g.key);
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown })?.then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` variables share a group. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
