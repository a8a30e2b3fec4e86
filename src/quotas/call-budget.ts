/**
 * The provider quotas, enforced before a request is sent: per provider, account and region, a
 * rate that holds in every sliding second and an optional daily budget. With Redis the counters
 * are shared by every replica (rate-limiter-flexible's atomic counters over the coordinator's
 * ioredis connection); without it they are this process's. While Redis is unreachable each
 * replica falls back to its share: the limits divided by the replicas last seen alive.
 */
import type { Cluster, Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { BudgetScope, CallBudget } from '../providers/resilience/call-budget.js';
import { LocalJobError } from '../providers/resilience/local-error.js';
import { acquireToken, TokenBucket } from '../providers/resilience/rate-limit.js';
import { abortableSleep, type Sleep } from '../providers/resilience/sleep.js';
import { providerDay, windowPlan, type QuotaLimits, type WindowPlan } from './limits.js';

export interface QuotaUse {
  scope: BudgetScope;
  /** Calls counted today, this one included (cluster-wide with Redis). */
  used: number;
  budget: number;
}

export interface CallBudgetOptions {
  /** The limits of a scope (configuration defaults, overridden per account). */
  limitsOf: (scope: BudgetScope) => QuotaLimits;
  /** Where the provider's day starts, in minutes east of UTC. */
  dayStartUtcOffsetMinutes: number;
  /** Shared counters; null keeps them in this process. */
  redis?: { client: Redis | Cluster; prefix: string } | null;
  /** Replicas seen alive recently (this one included), for the fallback share. @default () => 1 */
  liveReplicas?: () => number;
  /** Told of every call counted against a daily budget (metrics). */
  onDailyUse?: (use: QuotaUse) => void;
  /** Told when the shared counters fail and the fallback share takes over, and when they return. */
  onShared?: (available: boolean) => void;
  /** Longest wait for the shared counters before this replica falls back to its share. @default 500 */
  storeTimeoutMs?: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  sleep?: Sleep;
  /** @default Math.random */
  random?: () => number;
}

interface ScopeState {
  limits: QuotaLimits;
  /** No rate and no daily budget: calls are not counted. */
  unlimited: boolean;
  plan: WindowPlan;
  /** `{provider:account:region}`: one hash slot for everything of a scope (Redis Cluster). */
  tag: string;
  rate: RateLimiterAbstract;
  daily: RateLimiterAbstract | null;
  /** This process's share while Redis is away: a bucket of rate/replicas, and a daily counter. */
  fallbackBucket: TokenBucket | null;
  fallbackReplicas: number;
  fallbackDaily: RateLimiterMemory | null;
  /** Without Redis: the rate's count, kept here instead of in a RateLimiterMemory (see WindowCount). */
  window: WindowCount | null;
}

/**
 * The current window's count of one scope in this process: what RateLimiterMemory keeps under a
 * key per window, without its promise per call. Windows only move forward, so one slot suffices.
 */
class WindowCount {
  #slot = -1;
  #used = 0;

  constructor(readonly perWindow: number) {}

  /** Counts one call in window `slot` if it has room. */
  take(slot: number): boolean {
    if (slot !== this.#slot) {
      this.#slot = slot;
      this.#used = 0;
    }
    if (this.#used >= this.perWindow) return false;
    this.#used++;
    return true;
  }
}

/** The part of each quota polls may plan to use (src/polling/engine.ts); the rest is for queries. */
const POLL_SHARE = 0.8;

/** How long a replica serves from its share after the shared counters failed, before trying them again. */
const SHARED_RETRY_MS = 1_000;

/** A counter from rate-limiter-flexible rejects with a RateLimiterRes when over; anything else is a store failure. */
const overLimit = (err: unknown): err is RateLimiterRes => err instanceof RateLimiterRes;

export class SharedCallBudget implements CallBudget {
  readonly #o: CallBudgetOptions;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #scopes = new Map<string, ScopeState>();
  #sharedOk = true;
  #sharedRetryAt = 0;

  constructor(options: CallBudgetOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
  }

  /** Calls per second a scope can sustain (what the poll engine plans with). */
  sustainedPerSec(scope: BudgetScope): number {
    const s = this.#state(scope);
    return Number.isFinite(s.limits.ratePerSec) ? s.plan.sustainedPerSec : Infinity;
  }

  /**
   * Polls a second the poll engine may plan in a scope: its share of what the quota sustains (the
   * rest is headroom for queries, which draw from the same counters), divided by the replicas that
   * share it, and never more than the daily budget spread over the day, so polling alone never
   * spends a daily budget.
   */
  pollRate(scope: BudgetScope, replicas: number): number {
    const share = Math.max(1, replicas);
    const rate = this.sustainedPerSec(scope) / share;
    const daily = this.limits(scope).dailyBudget;
    return POLL_SHARE * (daily === null ? rate : Math.min(rate, daily / 86_400 / share));
  }

  /** The limits in force for a scope. */
  limits(scope: BudgetScope): QuotaLimits {
    return this.#state(scope).limits;
  }

  /**
   * A slot at once, synchronously, when that needs no store round trip: an unlimited scope, or this
   * process's own counters with room in the current window and no daily budget. False means "ask
   * {@link acquire}" (it may still grant at once); nothing is counted then.
   */
  tryAcquire(scope: BudgetScope): boolean {
    const s = this.#state(scope);
    if (s.unlimited) return true;
    if (!s.window || s.limits.dailyBudget !== null) return false;
    return s.window.take(Math.floor(this.#now() / s.plan.windowMs));
  }

  async acquire(scope: BudgetScope, maxWaitMs: number, signal: AbortSignal): Promise<number> {
    const s = this.#state(scope);
    // No quota at all (the built-in simulator's default): nothing to count, no round trip.
    if (s.unlimited) return 0;
    const refundDaily = s.limits.dailyBudget !== null ? await this.#takeDaily(s, scope) : null;
    try {
      const waited = await this.#takeRate(s, scope, maxWaitMs, signal);
      if (signal.aborted) await refundDaily?.();
      return waited;
    } catch (err) {
      await refundDaily?.();
      throw err;
    }
  }

  /** Counts one call against today's budget; returns how to give it back. */
  async #takeDaily(s: ScopeState, scope: BudgetScope): Promise<() => Promise<void>> {
    const budget = s.limits.dailyBudget!;
    const day = providerDay(this.#now(), this.#o.dayStartUtcOffsetMinutes);
    const key = `${s.tag}:day:${day.label}`;
    // The counter lives to the end of the provider's day (and a minute past, for clock skew).
    const ttlSec = Math.ceil((day.endsAt - this.#now()) / 1_000) + 60;
    // Local: raised here without a request, so never retried within the call nor counted by the breaker.
    const exhausted = () =>
      new LocalJobError(
        'PROVIDER_QUOTA_EXHAUSTED',
        `${scope.provider}: the daily budget of ${budget} calls for account ${scope.account} in ${scope.region} is spent; no request was sent`,
        { provider: scope.provider, account: scope.account, resetsAt: new Date(day.endsAt).toISOString() },
      );
    let limiter: RateLimiterAbstract = this.#sharedUsable() ? s.daily! : this.#fallbackDaily(s, budget);
    for (;;) {
      try {
        const res = await limiter.consume(key, 1, { customDuration: ttlSec });
        if (limiter === s.daily) this.#shared(true);
        this.#report(scope, res.consumedPoints, budget);
        const used = limiter;
        return async () => {
          await used.reward(key, 1).catch(() => undefined);
        };
      } catch (err) {
        if (overLimit(err)) throw exhausted();
        if (limiter !== s.daily) throw err;
        this.#shared(false);
        limiter = this.#fallbackDaily(s, budget);
      }
    }
  }

  async #takeRate(s: ScopeState, scope: BudgetScope, maxWaitMs: number, signal: AbortSignal): Promise<number> {
    const { windowMs } = s.plan;
    let waited = 0;
    for (;;) {
      const now = this.#now();
      const slot = Math.floor(now / windowMs);
      if (!this.#sharedUsable()) return waited + (await this.#fallbackRate(s, scope, maxWaitMs - waited, signal));
      if (s.window) {
        if (s.window.take(slot)) return waited;
      } else {
        try {
          await s.rate.consume(`${s.tag}:w:${slot}`, 1);
          this.#shared(true);
          return waited;
        } catch (err) {
          if (!overLimit(err)) {
            this.#shared(false);
            return waited + (await this.#fallbackRate(s, scope, maxWaitMs - waited, signal));
          }
        }
      }
      // Into the next window at a random point of its first half: waiters of every replica wake
      // spread out instead of racing at the edge, where the same ones would keep winning.
      const wait = Math.max(1, Math.ceil((slot + 1 + this.#random() / 2) * windowMs - now));
      if (waited + wait > maxWaitMs) {
        throw new LocalJobError(
          'PROVIDER_THROTTLED',
          `${scope.provider}: the rate limit of ${s.limits.ratePerSec}/s for account ${scope.account} in ${scope.region} is reached; no request was sent`,
          { provider: scope.provider, account: scope.account, retryAfterMs: wait },
        );
      }
      await this.#sleep(wait, signal);
      waited += wait;
      if (signal.aborted) return waited;
    }
  }

  /** Redis is away: this replica's share of the rate, from a local bucket. */
  async #fallbackRate(s: ScopeState, scope: BudgetScope, maxWaitMs: number, signal: AbortSignal): Promise<number> {
    const replicas = Math.max(1, this.#o.liveReplicas?.() ?? 1);
    if (!s.fallbackBucket || s.fallbackReplicas !== replicas) {
      s.fallbackBucket = new TokenBucket({
        ratePerSec: s.plan.sustainedPerSec / replicas,
        burst: Math.max(1, Math.floor(s.plan.perWindow / replicas)),
      });
      s.fallbackReplicas = replicas;
    }
    const { waitedMs } = await acquireToken(
      s.fallbackBucket,
      scope.provider,
      Math.max(0, maxWaitMs),
      signal,
      this.#sleep,
    );
    return waitedMs;
  }

  #fallbackDaily(s: ScopeState, budget: number): RateLimiterMemory {
    const replicas = Math.max(1, this.#o.liveReplicas?.() ?? 1);
    s.fallbackDaily ??= new RateLimiterMemory({ points: Math.max(1, Math.floor(budget / replicas)), duration: 86_400 });
    return s.fallbackDaily;
  }

  #state(scope: BudgetScope): ScopeState {
    const id = `${scope.provider}:${scope.account}:${scope.region}`;
    let s = this.#scopes.get(id);
    if (!s) {
      const limits = this.#o.limitsOf(scope);
      const unlimited = limits.ratePerSec === Infinity && limits.dailyBudget === null;
      // An unlimited rate with a daily budget is counted as the largest rate a plan can hold.
      const rate = Number.isFinite(limits.ratePerSec) ? limits.ratePerSec : 1_000_000;
      const plan = windowPlan(rate, Math.min(Number.isFinite(limits.burst) ? limits.burst : rate, rate));
      const redis = this.#o.redis;
      // Window keys are named per window, so their expiry only cleans up: a second past the window.
      const rateOptions = { points: plan.perWindow, duration: Math.ceil(plan.windowMs / 1_000) + 1 };
      const dailyOptions = { points: limits.dailyBudget ?? 1, duration: 86_400 };
      const make = (o: { points: number; duration: number }, kind: string): RateLimiterAbstract =>
        redis
          ? // A command sent just before the connection drops can wait for a reconnect that never
            // comes (ioredis resends it): bounded here, then the fallback share takes over.
            (new RLWrapperTimeouts({
              timeoutMs: this.#o.storeTimeoutMs ?? 500,
              limiter: new RateLimiterRedis({
                ...o,
                storeClient: redis.client,
                keyPrefix: `${redis.prefix}:quota:${kind}`,
                // Fail at once while disconnected instead of queueing.
                rejectIfRedisNotReady: true,
              }),
            }) as unknown as RateLimiterAbstract)
          : new RateLimiterMemory(o);
      s = {
        limits,
        unlimited,
        plan,
        tag: `{${id}}`,
        rate: make(rateOptions, 'rate'),
        daily: limits.dailyBudget === null ? null : make(dailyOptions, 'daily'),
        fallbackBucket: null,
        fallbackReplicas: 0,
        fallbackDaily: null,
        window: redis ? null : new WindowCount(plan.perWindow),
      };
      this.#scopes.set(id, s);
    }
    return s;
  }

  #report(scope: BudgetScope, used: number, budget: number): void {
    try {
      this.#o.onDailyUse?.({ scope, used, budget });
    } catch {
      // Metrics must not break calls.
    }
  }

  /**
   * Whether to try the shared counters: after they failed, not again for a second, so a call in an
   * outage pays neither a timeout nor a refused round trip (the fallback share serves it).
   */
  #sharedUsable(): boolean {
    return this.#sharedOk || this.#now() >= this.#sharedRetryAt;
  }

  #shared(available: boolean): void {
    if (!available) this.#sharedRetryAt = this.#now() + SHARED_RETRY_MS;
    if (this.#sharedOk === available || !this.#o.redis) return;
    this.#sharedOk = available;
    try {
      this.#o.onShared?.(available);
    } catch {
      // as above
    }
  }
}
