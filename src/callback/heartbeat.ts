/**
 * Heartbeats for one callback subscription. A receiver may time a subscription out when more than
 * `heartbeatIntervalMs` passes between two messages *arriving* (Hive Gateway arms exactly that
 * timer, reset on every message; the protocol asks for a `check` within every interval). So a
 * `check` goes out whenever half the interval has passed since the last message was sent, not a
 * whole one: the other half covers network and scheduling delay, and a receiver whose timer
 * started before our first message. Never while another message is in flight or queued: that one
 * resets the receiver's timer itself, and messages must stay in order.
 */
export class Heartbeat {
  readonly #periodMs: number;
  #timer: NodeJS.Timeout | null = null;
  #lastSentAt = 0;
  #stopped = false;

  constructor(
    intervalMs: number,
    private readonly fire: () => void,
    private readonly busy: () => boolean,
  ) {
    this.#periodMs = Math.max(1, Math.floor(intervalMs / 2));
  }

  /** A message (of any kind) is being sent now. */
  sending(): void {
    this.#lastSentAt = performance.now();
    this.#arm(this.#periodMs);
  }

  /** Nothing is in flight or queued any more: a check is due now or at its time. */
  idle(): void {
    const due = this.#lastSentAt + this.#periodMs - performance.now();
    if (due <= 0) this.#fire();
    else this.#arm(due);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fire(), ms);
  }

  #fire(): void {
    this.#timer = null;
    if (this.#stopped || this.busy()) return; // the message in flight counts; idle() re-arms after it
    this.fire();
  }
}
