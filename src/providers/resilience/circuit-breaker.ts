/**
 * A circuit breaker per provider endpoint (provider + region), on cockatiel's
 * CircuitBreakerPolicy with a ConsecutiveBreaker: after `threshold` consecutive attempts that
 * failed because the provider is unhealthy ({@link countsAgainstProvider}), calls fail fast with
 * PROVIDER_UNAVAILABLE without touching the network; after `cooldownMs` one probe goes through
 * (half-open) and its outcome closes or re-opens the breaker.
 *
 * Answers that prove the provider is up (a not-found, a forbidden, an auth failure, throttling)
 * neither count nor reset the count while closed, and close the breaker when they answer a probe.
 * An attempt the caller cancelled is never held against the provider.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
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

/** Carries an error past the breaker without counting it. */
class NotCounted {
  constructor(readonly error: unknown) {}
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
      handleWhen((err) => countsAgainstProvider(err)),
      { breaker: new ConsecutiveBreaker(options.threshold), halfOpenAfter: options.cooldownMs },
    );
    this.#policy.onStateChange((s) => {
      // cockatiel times the cool-down with Date.now; so does the hint given to callers.
      if (s === CircuitState.Open) this.#openedAt = Date.now();
      onChange?.({ provider, region, state: STATES[s] });
    });
  }

  get state(): BreakerState {
    return STATES[this.#policy.state];
  }

  /**
   * Runs one attempt through the breaker. `cancelled()` is asked when the attempt fails: true
   * means the caller gave up, so the failure says nothing about the provider.
   * @throws JobError PROVIDER_UNAVAILABLE (no call made) while the breaker is open
   */
  async execute<T>(attempt: () => Promise<T>, cancelled: () => boolean): Promise<T> {
    try {
      return await this.#policy.execute(async () => {
        try {
          return await attempt();
        } catch (err) {
          throw cancelled() ? new NotCounted(err) : err;
        }
      });
    } catch (err) {
      if (err instanceof NotCounted) throw err.error;
      if (err instanceof BrokenCircuitError) throw this.#openError();
      throw err;
    }
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
