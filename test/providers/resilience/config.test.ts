import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../src/config.js';
import { DEFAULT_RESILIENCE } from '../../../src/providers/resilience/index.js';

describe('resilience settings from the environment', () => {
  it('default to 3 attempts, 100 ms base, 5 s max delay, 20 s per call, breaker 5 / 30 s, 2 s wait for a quota slot', () => {
    const r = resolveConfig({}).resilience;
    expect(r).toEqual({
      retryMaxAttempts: 3,
      retryBaseMs: 100,
      retryMaxDelayMs: 5_000,
      callDeadlineMs: 20_000,
      breakerThreshold: 5,
      breakerCooldownMs: 30_000,
      rateLimitMaxWaitMs: 2_000,
    });
    expect(r).toEqual({ ...DEFAULT_RESILIENCE });
    expect(Object.isFrozen(r)).toBe(true);
  });

  it('read every variable', () => {
    const r = resolveConfig({
      JOBS_RETRY_MAX_ATTEMPTS: '1',
      JOBS_RETRY_BASE_MS: '5',
      JOBS_RETRY_MAX_DELAY_MS: '50',
      JOBS_CALL_DEADLINE_MS: '400',
      JOBS_BREAKER_THRESHOLD: '2',
      JOBS_BREAKER_COOLDOWN_MS: '250',
    }).resilience;
    expect(r).toEqual({
      retryMaxAttempts: 1,
      retryBaseMs: 5,
      retryMaxDelayMs: 50,
      callDeadlineMs: 400,
      breakerThreshold: 2,
      breakerCooldownMs: 250,
      rateLimitMaxWaitMs: 2_000,
    });
  });

  it.each([
    ['JOBS_RETRY_MAX_ATTEMPTS', '0'],
    ['JOBS_RETRY_MAX_ATTEMPTS', 'three'],
    ['JOBS_RETRY_BASE_MS', '-1'],
    ['JOBS_CALL_DEADLINE_MS', '10'],
    ['JOBS_BREAKER_THRESHOLD', '0'],
    ['JOBS_BREAKER_COOLDOWN_MS', '1.5'],
    ['JOBS_RATE_LIMIT_PER_SEC', '7'],
    ['JOBS_RATE_LIMIT_DATAWORKS_PER_SEC', '1'],
    ['JOBS_RATE_LIMIT_NLB_BURST', 'many'],
    ['JOBS_RATE_LIMIT_CFW_BURST', '200000'],
    ['JOBS_DAILY_BUDGET_DLI', '0'],
  ])('reject %s=%s naming the variable', (name, value) => {
    const err = (() => {
      try {
        resolveConfig({ [name]: value });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
  });

  it('reject a maximum retry delay below the base delay', () => {
    expect(() => resolveConfig({ JOBS_RETRY_BASE_MS: '500', JOBS_RETRY_MAX_DELAY_MS: '100' })).toThrow(
      /JOBS_RETRY_MAX_DELAY_MS/,
    );
  });
});

describe('provider quotas from the environment', () => {
  it('default to the documented limits: DataWorks 5/s with a 100-call day in live mode, the others 50/s', () => {
    const q = resolveConfig({ JOBS_MODE: 'live' }).quotas;
    expect(q.providers.DATAWORKS).toEqual({ ratePerSec: 5, burst: 1, dailyBudget: 100 });
    for (const p of ['NLB', 'CFW', 'DLI', 'WORKSPACE'] as const) {
      expect(q.providers[p]).toEqual({ ratePerSec: 50, burst: 10, dailyBudget: null });
    }
    expect(q.dayStartUtcOffsetMinutes).toBe(480);
  });

  it('apply no quota against the built-in simulator unless one is set', () => {
    const sim = resolveConfig({}).quotas.providers.DATAWORKS;
    expect(sim.dailyBudget).toBeNull();
    expect(sim.ratePerSec).toBeGreaterThanOrEqual(10_000);
    const set = resolveConfig({ JOBS_DAILY_BUDGET_DATAWORKS: '7', JOBS_RATE_LIMIT_DATAWORKS_PER_SEC: '5' }).quotas;
    expect(set.providers.DATAWORKS).toMatchObject({ ratePerSec: 5, dailyBudget: 7 });
  });

  it('read the per-provider variables, `off` turning a daily budget off', () => {
    const q = resolveConfig({
      JOBS_MODE: 'live',
      JOBS_RATE_LIMIT_DATAWORKS_PER_SEC: '50',
      JOBS_RATE_LIMIT_DATAWORKS_BURST: '5',
      JOBS_DAILY_BUDGET_DATAWORKS: 'off',
      JOBS_RATE_LIMIT_DLI_PER_SEC: '3',
      JOBS_DAILY_BUDGET_NLB: '1000',
    }).quotas.providers;
    expect(q.DATAWORKS).toEqual({ ratePerSec: 50, burst: 5, dailyBudget: null });
    // A rate below the default burst brings the burst down with it.
    expect(q.DLI).toEqual({ ratePerSec: 3, burst: 3, dailyBudget: null });
    expect(q.NLB.dailyBudget).toBe(1_000);
  });

  it('name the replacement of the old global rate variables', () => {
    expect(() => resolveConfig({ JOBS_RATE_LIMIT_BURST: '3' })).toThrow(/JOBS_RATE_LIMIT_<PROVIDER>_BURST/);
  });
});

describe('a burst above the rate', () => {
  it('is refused, naming the burst variable', () => {
    expect(() =>
      resolveConfig({ JOBS_MODE: 'live', JOBS_RATE_LIMIT_CFW_PER_SEC: '50', JOBS_RATE_LIMIT_CFW_BURST: '60' }),
    ).toThrow(/JOBS_RATE_LIMIT_CFW_BURST: must be <= JOBS_RATE_LIMIT_CFW_PER_SEC \(50\)/);
  });
});
