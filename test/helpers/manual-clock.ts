/** A Clock for tests: time moves only when a test says so (src/polling/clock.ts is the seam). */
import type { Clock } from '../../src/polling/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when told to; timers fire in time order during {@link advance}. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #fired = 0;
  readonly #timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.#seq;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Pending timers (for leak assertions). */
  get pending(): number {
    return this.#timers.size;
  }

  /** Timers fired so far: unchanged means nothing timer-driven started since a test last looked. */
  get fired(): number {
    return this.#fired;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting promise callbacks run
   * between them (`settle` yields to the event loop so real I/O started by a timer can finish).
   */
  async advance(ms: number, settle: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const next = [...this.#timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      this.#fired++;
      next.fn();
    }
    this.#now = end;
    await settle();
  }
}
