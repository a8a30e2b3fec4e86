import { describe, expect, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { fullJitterDelay, retryDelay } from '../../../src/providers/resilience/index.js';

const o = { baseDelayMs: 100, maxDelayMs: 1_000 };
const throttled = (retryAfterMs?: number) =>
  new JobError('PROVIDER_THROTTLED', 'x', { provider: 'DLI', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

describe('full-jitter backoff', () => {
  it('draws below a ceiling that doubles per retry', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4].map((r) => fullJitterDelay(r, o, top))).toEqual([99, 199, 399, 799]);
  });

  it('caps the ceiling at the maximum delay', () => {
    expect(fullJitterDelay(10, o, () => 0.999_999)).toBe(999);
    expect(fullJitterDelay(60, o, () => 0.5)).toBe(500);
  });

  it('spreads the whole range down to zero (full jitter)', () => {
    expect(fullJitterDelay(3, o, () => 0)).toBe(0);
    expect(fullJitterDelay(3, o, () => 0.5)).toBe(200);
  });
});

describe('retry delay after an error', () => {
  it('is the jittered backoff when the provider named no wait', () => {
    expect(retryDelay(throttled(), 2, o, () => 0.5)).toBe(100);
  });

  it('is never shorter than the wait the provider asked for', () => {
    expect(retryDelay(throttled(700), 1, o, () => 0)).toBe(700);
    expect(retryDelay(throttled(0), 1, o, () => 0.5)).toBe(50);
  });

  it('gives up (null) when the provider asks for longer than the maximum delay', () => {
    expect(retryDelay(throttled(1_001), 1, o, () => 0)).toBeNull();
    expect(retryDelay(throttled(1_000), 1, o, () => 0)).toBe(1_000);
  });
});
