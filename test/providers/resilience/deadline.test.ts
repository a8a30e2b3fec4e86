import { describe, expect, it } from 'vitest';
import { CallDeadline } from '../../../src/providers/resilience/index.js';

describe('CallDeadline', () => {
  it('counts the remaining budget down on its clock', () => {
    let t = 1_000;
    const d = new CallDeadline(500, undefined, () => t);
    expect(d.remainingMs()).toBe(500);
    t += 200;
    expect(d.remainingMs()).toBe(300);
    t += 1_000;
    expect(d.remainingMs()).toBe(0);
    d.dispose();
  });

  it('aborts its signal when the deadline passes, and says so', async () => {
    const d = new CallDeadline(5);
    await new Promise((resolve) => d.signal.addEventListener('abort', resolve));
    expect(d.expired).toBe(true);
    expect(d.cancelled).toBe(false);
    expect(d.remainingMs()).toBe(0);
  });

  it('aborts its signal when the caller aborts, as a cancellation rather than an expiry', () => {
    const caller = new AbortController();
    const d = new CallDeadline(60_000, caller.signal);
    caller.abort();
    expect(d.signal.aborted).toBe(true);
    expect(d.cancelled).toBe(true);
    expect(d.expired).toBe(false);
    d.dispose();
  });

  it('starts aborted when the caller already gave up', () => {
    const caller = new AbortController();
    caller.abort();
    const d = new CallDeadline(60_000, caller.signal);
    expect(d.signal.aborted).toBe(true);
    expect(d.cancelled).toBe(true);
    d.dispose();
  });

  it('stops listening to the caller once disposed', () => {
    const caller = new AbortController();
    const d = new CallDeadline(60_000, caller.signal);
    d.dispose();
    caller.abort();
    expect(d.signal.aborted).toBe(false);
  });
});
