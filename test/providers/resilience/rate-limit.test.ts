import { describe, expect, it } from 'vitest';
import { acquireToken, LocalJobError, TokenBucket } from '../../../src/providers/resilience/index.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('TokenBucket', () => {
  it('lets a full burst through at once, then makes the next caller wait one refill interval', () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 10, burst: 3 }, c.now);
    expect([b.reserve(1_000), b.reserve(1_000), b.reserve(1_000)]).toEqual([0, 0, 0]);
    expect(b.reserve(1_000)).toBe(100);
  });

  it('queues reservations in arrival order, each one interval after the previous', () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 10, burst: 1 }, c.now);
    expect([b.reserve(1_000), b.reserve(1_000), b.reserve(1_000), b.reserve(1_000)]).toEqual([0, 100, 200, 300]);
  });

  it('refills with time, never above the burst size', () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 10, burst: 2 }, c.now);
    b.reserve(0);
    b.reserve(0);
    c.advance(100);
    expect(b.tokens).toBeCloseTo(1);
    c.advance(10_000);
    expect(b.tokens).toBe(2);
  });

  it('refuses, reserving nothing, when the wait would exceed the bound', () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 10, burst: 1 }, c.now);
    b.reserve(0);
    expect(b.reserve(50)).toBeNull();
    expect(b.reserve(100)).toBe(100);
  });

  it('takes back a token its caller never used', () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 10, burst: 1 }, c.now);
    b.reserve(0);
    b.reserve(1_000);
    b.refund();
    expect(b.reserve(1_000)).toBe(100);
  });
});

describe('acquireToken', () => {
  it('waits for a token when the bucket is empty', async () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 5, burst: 1 }, c.now);
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      c.advance(ms);
    };
    const signal = new AbortController().signal;
    expect(await acquireToken(b, 'CFW', 1_000, signal, sleep)).toEqual({ waitedMs: 0 });
    expect(await acquireToken(b, 'CFW', 1_000, signal, sleep)).toEqual({ waitedMs: 200 });
    expect(waits).toEqual([200]);
  });

  it('fails locally with PROVIDER_THROTTLED and a retry hint when the wait would be too long', async () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 1, burst: 1 }, c.now);
    const signal = new AbortController().signal;
    await acquireToken(b, 'CFW', 100, signal);
    const err = await acquireToken(b, 'CFW', 100, signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalJobError);
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', details: { provider: 'CFW', retryAfterMs: 1_000 } });
    expect((err as Error).message).toMatch(/client-side rate limit of 1\/s.*no request was sent/);
  });

  it('returns the token when the caller gives up while waiting', async () => {
    const c = clock();
    const b = new TokenBucket({ ratePerSec: 10, burst: 1 }, c.now);
    const controller = new AbortController();
    await acquireToken(b, 'CFW', 1_000, controller.signal);
    const sleep = async () => {
      controller.abort();
    };
    await acquireToken(b, 'CFW', 1_000, controller.signal, sleep);
    expect(b.waitMs()).toBe(100);
  });
});
