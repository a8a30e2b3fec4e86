/**
 * `withResilience(client, options)`: the same ProviderClient, hardened. Per call: one overall
 * deadline; per attempt, in this order: the endpoint's circuit breaker (fail fast while open),
 * a slot from the provider quota of the account and region (bounded wait, src/quotas), then the
 * client's own `fetchJob`, which signs afresh (new nonce and timestamp) every time. Failed
 * attempts are retried by {@link retrying} with capped full-jitter backoff, as
 * {@link retryClassOf} allows. "Endpoint" means provider + region: each client serves one
 * provider of one account, so breakers are kept per region.
 */
import { DEFAULTS, type ResilienceSettings } from '../../config.js';
import { isJobError, JobError, type ErrorCode } from '../../errors.js';
import type { JobKey, ProviderClient, ProviderJob } from '../types.js';
import { EndpointBreaker, type BreakerState } from './circuit-breaker.js';
import { CallDeadline } from './deadline.js';
import { LocalJobError } from './local-error.js';
import type { BudgetScope, CallBudget } from './call-budget.js';
import { retrying, type RetryInfo } from './retry.js';
import type { Sleep } from './sleep.js';

/** The tunables, as configuration carries them (defined with their defaults in src/config.ts). */
export type { ResilienceSettings };

/** What a client wrapped without settings gets: the configuration's defaults. */
export const DEFAULT_RESILIENCE: Readonly<ResilienceSettings> = DEFAULTS.resilience;

/**
 * Something worth a log line or a metric. Carries codes and numbers only, never messages or bodies.
 * - `provider-throttled`: the provider answered attempt `attempt` with throttling (429,
 *   `Throttling.*`, APIGW.0308); one event per such answer, whether or not a retry got past it.
 * - `rate-limited`: our own rate limit made an attempt wait for a token, or refused it
 *   (`rejected`, no request sent). Nothing the provider said.
 */
export type ResilienceEvent =
  | { type: 'retry'; provider: string; region: string; attempt: number; delayMs: number; code: ErrorCode }
  | { type: 'breaker'; provider: string; region: string; state: BreakerState }
  | { type: 'provider-throttled'; provider: string; region: string; attempt: number }
  | { type: 'rate-limited'; provider: string; region: string; waitMs: number; rejected: boolean };

export interface ResilienceOptions extends Partial<ResilienceSettings> {
  onEvent?: (event: ResilienceEvent) => void;
  /** Test seam for backoff jitter. @default Math.random */
  random?: () => number;
  /** Test seam for backoff and rate-limit waits. @default abortableSleep */
  sleep?: Sleep;
  /**
   * The provider quotas every attempt waits on (src/quotas); the composition root always passes
   * one. Without it calls are not rate-limited (unit tests of the other layers).
   */
  budget?: CallBudget;
  /** The account these calls are made for, as quotas count it. @default 'default' */
  account?: string;
}

/** Breaker state changes are reported through `onEvent` (`type: 'breaker'`), which feeds the metrics. */
export function withResilience(client: ProviderClient, options: ResilienceOptions = {}): ProviderClient {
  const s: ResilienceSettings = { ...DEFAULT_RESILIENCE, ...definedOnly(options) };
  const provider = client.provider;
  const emit = (event: ResilienceEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A broken log sink must not break provider calls.
    }
  };
  const breakers = new Map<string, EndpointBreaker>();
  const breakerFor = (region: string) => {
    let b = breakers.get(region);
    if (!b) {
      b = new EndpointBreaker(
        provider,
        region,
        { threshold: s.breakerThreshold, cooldownMs: s.breakerCooldownMs },
        (c) => emit({ type: 'breaker', ...c }),
      );
      breakers.set(region, b);
    }
    return b;
  };
  const maxWaitMs = s.rateLimitMaxWaitMs;
  const budget = options.budget;
  const account = options.account ?? 'default';

  /** Waits on the quota (bounded), reporting the wait or the refusal. */
  async function waitForTurn(scope: BudgetScope, deadline: CallDeadline): Promise<void> {
    try {
      const waitedMs = await budget!.acquire(scope, Math.min(maxWaitMs, deadline.remainingMs()), deadline.signal);
      if (waitedMs > 0)
        emit({ type: 'rate-limited', provider, region: scope.region, waitMs: waitedMs, rejected: false });
    } catch (err) {
      if (isJobError(err) && err.code === 'PROVIDER_THROTTLED')
        emit({
          type: 'rate-limited',
          provider,
          region: scope.region,
          waitMs: err.details.retryAfterMs ?? 0,
          rejected: true,
        });
      throw err;
    }
  }

  /** Reports each retry of a call in `region`. */
  function retryReporter(region: string): (info: RetryInfo) => void {
    return ({ attempt: n, delayMs, error }) =>
      emit({
        type: 'retry',
        provider,
        region,
        attempt: n,
        delayMs,
        code: isJobError(error) ? error.code : 'INTERNAL_SERVER_ERROR',
      });
  }

  async function fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob> {
    const deadline = new CallDeadline(s.callDeadlineMs, signal);
    const breaker = breakerFor(key.region);
    const scope: BudgetScope = { provider, account, region: key.region };
    let sent = 0;
    try {
      // Closures here are passed inline, not bound to names: under tsx (npm start) every named
      // closure also pays a defineProperty for its name, per call.
      return await retrying(
        (n) =>
          breaker.execute(
            async () => {
              // The quota's synchronous fast path spares a promise chain per attempt when a slot is free.
              if (budget && !budget.tryAcquire?.(scope)) await waitForTurn(scope, deadline);
              if (deadline.signal.aborted)
                throw new LocalJobError('PROVIDER_TIMEOUT', `${provider} call ended while waiting for its turn`, {
                  provider,
                });
              sent++;
              try {
                return await client.fetchJob(key, deadline.signal);
              } catch (err) {
                // Counted here, per answer: the call's final error shows at most the last one.
                if (isJobError(err) && err.code === 'PROVIDER_THROTTLED' && !(err instanceof LocalJobError)) {
                  emit({ type: 'provider-throttled', provider, region: key.region, attempt: n });
                }
                throw err;
              }
            },
            () => deadline.cancelled,
          ),
        deadline,
        {
          maxAttempts: s.retryMaxAttempts,
          baseDelayMs: s.retryBaseMs,
          maxDelayMs: s.retryMaxDelayMs,
          ...(options.random ? { random: options.random } : {}),
          ...(options.sleep ? { sleep: options.sleep } : {}),
          onRetry: retryReporter(key.region),
        },
      );
    } catch (err) {
      throw finalError(err, deadline, sent, provider);
    } finally {
      deadline.dispose();
    }
  }

  return { provider, fetchJob };
}

/**
 * The error a caller sees: permanent answers unchanged; a call cut off by its deadline as
 * PROVIDER_TIMEOUT; a transient failure that survived retries with the attempt count appended.
 */
function finalError(err: unknown, deadline: CallDeadline, sent: number, provider: string): unknown {
  if (isJobError(err) && !err.transient) return err;
  const tries = `${sent} attempt${sent === 1 ? '' : 's'}`;
  if (deadline.expired) {
    return new JobError(
      'PROVIDER_TIMEOUT',
      `${provider} call did not finish within its ${deadline.ms} ms deadline (${tries})`,
      { provider },
      { cause: err },
    );
  }
  if (!isJobError(err) || err instanceof LocalJobError || sent <= 1) return err;
  return new JobError(err.code, `${err.message} (after ${tries})`, err.details, { cause: err });
}

function definedOnly(o: ResilienceOptions): Partial<ResilienceSettings> {
  const out: Partial<Record<keyof ResilienceSettings, number>> = {};
  for (const k of Object.keys(DEFAULT_RESILIENCE) as (keyof ResilienceSettings)[]) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
