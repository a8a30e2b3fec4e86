/**
 * One callback subscription's outbox: messages leave one at a time, in the order they were queued,
 * each retried by the emitter before the next goes, so a failing receiver loses and reorders
 * nothing. The first message that finally fails stops the queue and drops the rest.
 */
import type { CallbackAction, SendResult } from './emitter.js';

export interface QueuedMessage {
  action: CallbackAction;
  body: Buffer;
}

export interface MessageQueueHooks {
  /** A message is about to be sent. */
  sending(message: QueuedMessage): void;
  /** Everything queued has been sent. */
  idle(): void;
  /** A message failed for good (404, refused, given up on); the queue has stopped. */
  failed(result: SendResult, message: QueuedMessage): void;
}

export class MessageQueue {
  #items: QueuedMessage[] = [];
  /** Bytes of the messages in `#items` (the one in flight included). */
  #bytes = 0;
  #running = false;
  #started = false;
  #stopped = false;
  readonly #abort = new AbortController();
  #waiters: (() => void)[] = [];

  constructor(
    private readonly send: (message: QueuedMessage, signal: AbortSignal) => Promise<SendResult>,
    private readonly hooks: MessageQueueHooks,
  ) {}

  /** Something is in flight or waiting. */
  get busy(): boolean {
    return this.#running || this.#items.length > 0;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Bytes queued and not yet answered. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  push(message: QueuedMessage): void {
    if (this.#stopped) return;
    this.#items.push(message);
    this.#bytes += message.body.length;
    if (this.#started && !this.#running) void this.#run();
  }

  /** Messages queued before start wait (the router's POST has not been answered yet). */
  start(): void {
    this.#started = true;
    if (!this.#running) void this.#run();
  }

  /** Drops what waits behind the message in flight (that one still goes). */
  discardWaiting(): void {
    const kept = this.#running ? this.#items.slice(0, 1) : [];
    this.#items = kept;
    this.#bytes = kept.reduce((n, m) => n + m.body.length, 0);
  }

  /** Drops what is queued and aborts what is in flight. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#items = [];
    this.#bytes = 0;
    this.#abort.abort();
    this.#notify();
  }

  /** Resolves once nothing is queued or in flight (or the queue stopped). */
  drained(): Promise<void> {
    if (this.#stopped || (this.#started && !this.busy)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#items.length > 0 && !this.#stopped) {
      const message = this.#items[0]!;
      this.hooks.sending(message);
      const result = await this.send(message, this.#abort.signal);
      if (this.#stopped) break;
      if (result.outcome !== 'ok') {
        this.stop();
        this.#running = false;
        this.hooks.failed(result, message);
        return;
      }
      this.#bytes -= this.#items.shift()!.body.length;
    }
    this.#running = false;
    if (this.#stopped) return;
    this.#notify();
    this.hooks.idle();
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}
