import { describe, expect, it } from 'vitest';
import { errorInterval, jittered, nextInterval } from '../../src/polling/backoff.js';

const o = { minIntervalMs: 1000, maxIntervalMs: 30000, jitter: 0.2 };

describe('poll intervals', () => {
  it('grow while nothing changes, up to the maximum', () => {
    let i = 1000;
    const seen: number[] = [];
    for (let n = 0; n < 12; n++) seen.push((i = nextInterval(i, false, o)));
    expect(seen[0]).toBe(1500);
    expect(seen.every((v, k) => k === 0 || v >= seen[k - 1]!)).toBe(true);
    expect(seen.at(-1)).toBe(30000);
  });

  it('return to the minimum on a change', () => {
    expect(nextInterval(30000, true, o)).toBe(1000);
  });

  it('double after errors and honour a longer Retry-After', () => {
    expect(errorInterval(1000, o)).toBe(2000);
    expect(errorInterval(20000, o)).toBe(30000);
    expect(errorInterval(1000, o, 45000)).toBe(45000);
  });

  it('spread delays by at most the jitter fraction', () => {
    expect(jittered(1000, o, () => 0)).toBe(800);
    expect(jittered(1000, o, () => 0.999999)).toBe(1200);
    expect(jittered(1000, o, () => 0.5)).toBe(1000);
  });
});
