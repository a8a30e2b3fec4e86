/**
 * One live callback subscription: a member of the shared executions (its `deliver` queues a
 * `next`), its outbox, its heartbeat, and how it ends. It ends with a `complete` when the stream
 * ends (with `errors` when it failed or the server shuts down), or silently when the receiver
 * forgot it (404), refused a message, or could not be reached; either way it leaves its shared
 * group, which releases the pollers when it was the last member.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { ClientErrorCode } from '../errors.js';
import type { Subscriber } from '../subscriptions/engine.js';
import type { CallbackEmitter, SendResult } from './emitter.js';
import { Heartbeat } from './heartbeat.js';
import { MessageQueue, type QueuedMessage } from './message-queue.js';
import type { CallbackExtension } from './request.js';

/** Why a callback subscription ended (the `reason` of its log line). */
export type EndReason =
  | 'completed'
  | 'failed'
  | 'shutdown'
  /** The receiver answered 404: it no longer knows the subscription. */
  | 'forgotten'
  /** The receiver answered another 4xx. */
  | 'refused'
  /** The receiver took messages more slowly than they came (SUBSCRIBER_TOO_SLOW). */
  | 'too_slow'
  /** The router subscribed again with the same callback URL: the new subscription replaces this one. */
  | 'replaced'
  /** 5xx, timeouts or network errors on every attempt. */
  | 'unreachable'
  /** The router closed its request before it got our answer. */
  | 'router_left';

const CLOSE = Buffer.from('}');

export class CallbackSubscription implements Subscriber {
  readonly transport = 'callback' as const;
  readonly #queue: MessageQueue;
  readonly #heartbeat: Heartbeat | null;
  /** `"id":…,"verifier":…`, the part every message shares. */
  readonly #identity: string;
  #member: AsyncIterator<never> | null = null;
  #ending: EndReason | null = null;
  #done!: (reason: EndReason) => void;
  /** Resolves once the subscription is over and its last message sent (or dropped). */
  readonly finished: Promise<EndReason>;

  constructor(
    readonly extension: CallbackExtension,
    emitter: CallbackEmitter,
    /** Bytes waiting in the outbox beyond which the subscription ends as too slow. */
    private readonly maxQueuedBytes = Infinity,
  ) {
    this.#identity = `"id":${JSON.stringify(extension.subscriptionId)},"verifier":${JSON.stringify(extension.verifier)}`;
    this.finished = new Promise((resolve) => (this.#done = resolve));
    this.#queue = new MessageQueue(
      (m, signal) => emitter.send(extension.callbackUrl, m.action, m.body, undefined, signal),
      {
        sending: () => this.#heartbeat?.sending(),
        idle: () => this.#heartbeat?.idle(),
        failed: (result) => this.#drop(reasonOf(result)),
      },
    );
    this.#heartbeat =
      extension.heartbeatIntervalMs > 0
        ? new Heartbeat(
            extension.heartbeatIntervalMs,
            () => this.#queue.push(this.message('check')),
            () => this.#queue.busy,
          )
        : null;
  }

  get id(): string {
    return this.extension.subscriptionId;
  }

  /** A message body: `check`, or `complete` with optional errors. */
  message(action: 'check' | 'complete', errors?: readonly GraphQLFormattedError[]): QueuedMessage {
    const tail = errors && errors.length > 0 ? `,"errors":${JSON.stringify(errors)}` : '';
    return { action, body: Buffer.from(`{"kind":"subscription","action":"${action}",${this.#identity}${tail}}`) };
  }

  /** A shared execution's `next` for this subscription (its payload bytes are the group's). */
  deliver(_id: string, payload: Buffer): void {
    if (this.#ending) return;
    const head = Buffer.from(`{"kind":"subscription","action":"next",${this.#identity},"payload":`);
    const body = Buffer.concat([head, payload, CLOSE]);
    if (this.#queue.queuedBytes + body.length > this.maxQueuedBytes) {
      // What waits is stale by now; the receiver gets a `complete` saying so as soon as the
      // message in flight is answered, and its client subscribes again for fresh snapshots.
      this.#queue.discardWaiting();
      this.complete('too_slow', TOO_SLOW_ERRORS);
      return;
    }
    this.#queue.push({ action: 'next', body });
  }

  /**
   * The member of the shared group; its end (the group's) completes this subscription. A stream
   * that failed goes to `onError` (to be logged) and ends it with an internal error, never its text.
   */
  follow(member: AsyncIterator<never>, onError: (err: unknown) => void): void {
    this.#member = member;
    member.next().then(
      () => this.complete('completed'),
      (err: unknown) => {
        onError(err);
        this.complete('failed', INTERNAL_ERRORS);
      },
    );
  }

  /** The initial check was answered and the router's POST too: messages may flow, heartbeats start. */
  start(): void {
    this.#heartbeat?.sending(); // the initial check was the last message sent
    this.#queue.start();
  }

  /** Ends with a `complete` after everything queued before it. */
  complete(reason: 'completed' | 'failed' | 'shutdown' | 'too_slow', errors?: readonly GraphQLFormattedError[]): void {
    if (this.#ending) return;
    this.#ending = reason;
    this.#leave();
    this.#heartbeat?.stop();
    this.#queue.push(this.message('complete', errors));
    void this.#queue.drained().then(() => {
      if (!this.#queue.stopped) this.#finish(reason);
    });
  }

  /** Ends without a message (the receiver is gone or refused us), or stops waiting for the `complete`. */
  abandon(reason: EndReason): void {
    this.#drop(reason);
  }

  #drop(reason: EndReason): void {
    this.#ending ??= reason;
    this.#leave();
    this.#heartbeat?.stop();
    this.#queue.stop();
    this.#finish(reason);
  }

  #leave(): void {
    const member = this.#member;
    this.#member = null;
    void member?.return?.();
  }

  #finish(reason: EndReason): void {
    this.#done(reason);
  }
}

function reasonOf(result: SendResult): EndReason {
  if (result.outcome === 'not_found') return 'forgotten';
  if (result.outcome === 'rejected') return 'refused';
  return 'unreachable';
}

const TOO_SLOW_ERRORS: readonly GraphQLFormattedError[] = [
  {
    message: 'the callback receiver fell too far behind: subscribe again',
    extensions: { code: 'SUBSCRIBER_TOO_SLOW' satisfies ClientErrorCode },
  },
];

const INTERNAL_ERRORS: readonly GraphQLFormattedError[] = [
  { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' satisfies ClientErrorCode } },
];
