/**
 * A circuit breaker per provider endpoint (provider + region), on cockatiel's
 * CircuitBreakerPolicy with a ConsecutiveBreaker: after `threshold` consecutive attempts that
 * failed because the provider is unhealthy ({@link countsAgainstProvider}), calls fail fast with
 * PROVIDER_UNAVAILABLE without touching the network; after `cooldownMs` one probe goes through
 * (half-open) and the provider's answer to it closes or re-opens the breaker.
 *
 * Answers that prove the provider is up (a not-found, a forbidden, an auth failure, throttling)
 * neither count nor reset the count while closed, and close the breaker (with a fresh count)
 * when they answer a probe. An attempt that got no answer from the provider (its caller
 * cancelled it, or the local rate limit refused it) says nothing about the provider: it never
 * counts, and as a probe it neither closes the breaker nor starts another cool-down: the breaker
 * stays open and the next call probes.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IHalfOpenAfterBackoffContext,
} from 'cockatiel';
import { isJobError } from '../../errors.js';
import { countsAgainstProvider } from './classify.js';
import { LocalJobError } from './local-error.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failed attempts that open the breaker. */
  threshold: number;
  /** Time an open breaker waits before letting one probe through. */
  cooldownMs: number;
}

/** A state change, for logs and metrics. */
export interface BreakerChange {
  provider: string;
  region: string;
  state: BreakerState;
}

const STATES: Readonly<Record<CircuitState, BreakerState>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  // Manual isolation is not used; it behaves as open.
  [CircuitState.Isolated]: 'open',
};

/** Carries an error past the breaker without counting it (cockatiel passes unhandled errors through). */
class NotCounted {
  constructor(readonly error: unknown) {}
}

/**
 * A probe that got no answer from the provider. cockatiel 3.2.1 closes a half-open breaker on
 * any error its filter does not handle, so this one is handled (re-opens the breaker) and the
 * cool-down after it is zero: the breaker stays open only until the next call, which probes.
 */
class NoAnswer {
  constructor(readonly error: unknown) {}
}

/**
 * A provider answer to a probe that proves the provider is up: given to cockatiel as a success, so
 * it closes and resets the count.
 */
class UpAnswer {
  constructor(readonly error: unknown) {}
}

/** `cooldownMs` before each probe, except straight after a probe that got no answer. */
function coolDown(ms: number): IBackoff<IHalfOpenAfterBackoffContext> {
  const afterFailure: IBackoff<IHalfOpenAfterBackoffContext> = {
    duration: ms,
    next: ({ result }) => ('error' in result && result.error instanceof NoAnswer ? probeNow : afterFailure),
  };
  const probeNow: IBackoff<IHalfOpenAfterBackoffContext> = { duration: 0, next: afterFailure.next };
  return afterFailure;
}

export class EndpointBreaker {
  readonly #policy: CircuitBreakerPolicy;
  #openedAt = 0;

  constructor(
    readonly provider: string,
    readonly region: string,
    readonly options: BreakerOptions,
    onChange?: (change: BreakerChange) => void,
  ) {
    this.#policy = circuitBreaker(
      handleWhen((err) => err instanceof NoAnswer || countsAgainstProvider(err)),
      { breaker: new ConsecutiveBreaker(options.threshold), halfOpenAfter: coolDown(options.cooldownMs) },
    );
    this.#policy.onStateChange((s) => {
      // cockatiel times the cool-down with Date.now; so does the hint given to callers.
      if (s === CircuitState.Open) this.#openedAt = Date.now();
      onChange?.({ provider, region, state: STATES[s] });
    });
  }

  /**
   * Runs one attempt through the breaker. `cancelled()` is asked when the attempt fails: true
   * means the caller gave up, so the failure says nothing about the provider. A LocalJobError
   * from the attempt (e.g. the rate limit) means no request was sent.
   * @throws JobError PROVIDER_UNAVAILABLE (no call made) while the breaker is open
   */
  async execute<T>(attempt: () => Promise<T>, cancelled: () => boolean): Promise<T> {
    let result: T | UpAnswer;
    try {
      result = await this.#policy.execute(async () => {
        // cockatiel starts an attempt either while closed or as the single half-open probe, and
        // starts the probe before its state reads half-open: anything but closed means probe.
        const probe = this.#policy.state !== CircuitState.Closed;
        try {
          return await attempt();
        } catch (err) {
          if (cancelled() || !fromProvider(err)) throw probe ? new NoAnswer(err) : new NotCounted(err);
          if (countsAgainstProvider(err)) throw err;
          if (probe) return new UpAnswer(err);
          throw new NotCounted(err);
        }
      });
    } catch (err) {
      if (err instanceof NotCounted || err instanceof NoAnswer) throw err.error;
      if (err instanceof BrokenCircuitError) throw this.#openError();
      throw err;
    }
    if (result instanceof UpAnswer) throw result.error;
    return result;
  }

  #openError(): LocalJobError {
    const retryAfterMs = Math.max(0, this.#openedAt + this.options.cooldownMs - Date.now());
    return new LocalJobError(
      'PROVIDER_UNAVAILABLE',
      `${this.provider} circuit breaker is open for region ${this.region} after ${this.options.threshold} consecutive failures; ` +
        `failing fast without calling the provider until a probe succeeds (next probe in about ${Math.ceil(retryAfterMs / 1000)} s)`,
      { provider: this.provider, retryAfterMs },
    );
  }
}

/**
 * Whether a failed attempt got as far as the provider (an answer, or none in time), rather than
 * failing in this process.
 */
function fromProvider(err: unknown): boolean {
  return isJobError(err) && !(err instanceof LocalJobError);
}
