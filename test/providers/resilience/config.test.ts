import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../src/config.js';
import { DEFAULT_RESILIENCE } from '../../../src/providers/resilience/index.js';

describe('resilience settings from the environment', () => {
  it('default to 3 attempts, 100 ms base, 5 s max delay, 20 s per call, breaker 5 / 30 s, 50 req/s burst 50, 2 s token wait', () => {
    const r = resolveConfig({}).resilience;
    expect(r).toEqual({
      retryMaxAttempts: 3,
      retryBaseMs: 100,
      retryMaxDelayMs: 5_000,
      callDeadlineMs: 20_000,
      breakerThreshold: 5,
      breakerCooldownMs: 30_000,
      rateLimitPerSec: 50,
      rateLimitBurst: 50,
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
      JOBS_RATE_LIMIT_PER_SEC: '7',
      JOBS_RATE_LIMIT_BURST: '3',
    }).resilience;
    expect(r).toEqual({
      retryMaxAttempts: 1,
      retryBaseMs: 5,
      retryMaxDelayMs: 50,
      callDeadlineMs: 400,
      breakerThreshold: 2,
      breakerCooldownMs: 250,
      rateLimitPerSec: 7,
      rateLimitBurst: 3,
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
    ['JOBS_RATE_LIMIT_PER_SEC', '0'],
    ['JOBS_RATE_LIMIT_BURST', 'many'],
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
