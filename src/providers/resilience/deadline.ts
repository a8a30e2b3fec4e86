/**
 * One deadline for a whole provider call, across all its attempts and waits. Its signal aborts
 * when the deadline passes or when the caller's own signal aborts (client gone), and it tells
 * the two apart: only the first is a provider timeout.
 */
export class CallDeadline implements EventListenerObject {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  readonly #endsAt: number;
  readonly #now: () => number;
  #expired = false;

  /**
   * @param ms budget for the whole call
   * @param caller the caller's signal, if any
   * @param now monotonic clock in ms (test seam) @default performance.now
   */
  constructor(
    readonly ms: number,
    caller?: AbortSignal,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now;
    this.#endsAt = now() + ms;
    this.#caller = caller;
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#controller.abort(new Error(`call deadline of ${ms} ms passed`));
    }, ms);
    this.#timer.unref();
    // The deadline itself listens (handleEvent): no closure per call.
    if (caller?.aborted) this.handleEvent();
    else caller?.addEventListener('abort', this, { once: true });
  }

  /** The caller's signal aborted: pass its reason on. */
  handleEvent(): void {
    this.#controller.abort(this.#caller?.reason);
  }

  /** Aborts on expiry or caller cancellation; pass it to every attempt and every wait. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The deadline itself passed (as opposed to the caller giving up). */
  get expired(): boolean {
    return this.#expired;
  }

  /** The caller cancelled before the deadline. */
  get cancelled(): boolean {
    return !this.#expired && this.#controller.signal.aborted;
  }

  /** Milliseconds left, never negative; 0 once the signal has aborted. */
  remainingMs(): number {
    return this.#controller.signal.aborted ? 0 : Math.max(0, this.#endsAt - this.#now());
  }

  /** Releases the timer and the caller listener; call when the call settles. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this);
  }
}
