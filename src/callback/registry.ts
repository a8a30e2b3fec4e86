/**
 * The live callback subscriptions of this replica: the cap on how many may run at once
 * (`JOBS_CALLBACK_MAX_SUBSCRIPTIONS`, counted from the moment a request is accepted for its
 * initial check), and shutdown, which completes every one so the router subscribes again
 * elsewhere.
 */
import type { GraphQLFormattedError } from 'graphql';
import type { ClientErrorCode } from '../errors.js';
import type { CallbackSubscription } from './subscription.js';

const SHUTDOWN_ERRORS: readonly GraphQLFormattedError[] = [
  {
    message: 'server shutting down: subscribe again',
    extensions: { code: 'SHUTTING_DOWN' satisfies ClientErrorCode },
  },
];

export class CallbackRegistry {
  /** By callback URL: the router makes it unique per subscription (it ends with the id). */
  readonly #live = new Map<string, CallbackSubscription>();
  #reserved = 0;
  #closed = false;

  constructor(private readonly max: number) {}

  /** Subscriptions running, plus requests between their check and their answer. */
  get size(): number {
    return this.#live.size + this.#reserved;
  }

  /** Shutting down: no new subscription starts. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Takes a place for a new subscription; false when the cap is reached or shutdown began. */
  reserve(): boolean {
    if (this.#closed || this.size >= this.max) return false;
    this.#reserved++;
    return true;
  }

  /** Gives a reserved place back (the request failed before the subscription started). */
  release(): void {
    this.#reserved--;
  }

  /**
   * The reserved place becomes a live subscription, until it finishes. A router that subscribes
   * again with a callback URL still live here (it retried, or restarted and reused the id) replaces
   * the old subscription, which ends without a message: the receiver now expects the new one.
   */
  add(sub: CallbackSubscription): void {
    this.#reserved--;
    const key = sub.extension.callbackUrl.href;
    this.#live.get(key)?.abandon('replaced');
    this.#live.set(key, sub);
    void sub.finished.then(() => {
      if (this.#live.get(key) === sub) this.#live.delete(key);
    });
    // Its check was under way when shutdown began: it ends like the others.
    if (this.#closed) sub.complete('shutdown', SHUTDOWN_ERRORS);
  }

  /**
   * Shutdown: sends `complete` (with a SHUTTING_DOWN error, so clients know to subscribe again) to
   * every live subscription after what is already queued for it, and waits up to `timeoutMs` for
   * them to go out; what has not by then is abandoned.
   */
  async completeAll(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const subs = [...this.#live.values()];
    for (const sub of subs) sub.complete('shutdown', SHUTDOWN_ERRORS);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(subs.map((s) => s.finished)), timeout]);
    clearTimeout(timer);
    for (const sub of subs) sub.abandon('shutdown');
  }
}
