/**
 * The single writer of a WebSocket connection: every frame (graphql-ws's own acks, `complete` and
 * `error` messages as well as shared subscriptions' `next` messages) leaves through it, so frames
 * leave in the order they were sent and a `complete` never overtakes a held `next`.
 *
 * It is also the backlog for a client that reads slower than jobs change. While the socket has
 * more than `thresholdBytes` queued, new messages wait here instead of the socket's buffer, and a
 * newer event of the same job for the same subscription replaces the older one (the client's
 * `sequence` shows the gap). Per-ref errors are never replaced. The terminal event is always the
 * last of its job, so it is never lost. Memory is bounded: at most one message per subscription
 * and job, plus the errors.
 */
/** A frame as sent: text, or UTF-8 bytes of text. */
export type Frame = Buffer | string;

export interface BacklogSink {
  /** Bytes queued on the socket and not yet written. */
  buffered(): number;
  write(message: Frame): void;
}

export class SlowConsumerBacklog {
  readonly #pending = new Map<string, Frame>();
  #unique = 0;

  constructor(
    private readonly sink: BacklogSink,
    private readonly thresholdBytes: number,
  ) {}

  /** Messages held back right now. */
  get size(): number {
    return this.#pending.size;
  }

  /** `slot` names what a newer message may replace (subscription + job); none means keep it. */
  send(message: Frame, slot?: string): void {
    if (this.#pending.size === 0 && this.sink.buffered() <= this.thresholdBytes) {
      this.sink.write(message);
      return;
    }
    const key = slot ?? `\u0000${this.#unique++}`;
    this.#pending.delete(key); // a replacement goes to the back: it is as recent as its newest part
    this.#pending.set(key, message);
  }

  /** Call when the socket drained: sends held messages in order while there is room. */
  flush(): void {
    for (const [key, message] of this.#pending) {
      if (this.sink.buffered() > this.thresholdBytes) return;
      this.#pending.delete(key);
      this.sink.write(message);
    }
  }
}
