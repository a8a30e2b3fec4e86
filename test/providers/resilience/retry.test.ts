import { describe, expect, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { retrying, type RetryBudget, type RetryInfo } from '../../../src/providers/resilience/index.js';

const unavailable = () =>
  new JobError('PROVIDER_UNAVAILABLE', 'DLI is unavailable (HTTP 503)', { provider: 'DLI', httpStatus: 503 });
const badBody = () => new JobError('PROVIDER_BAD_RESPONSE', 'DLI answered without a job status', { provider: 'DLI' });
const authFailed = () =>
  new JobError('PROVIDER_AUTH_FAILED', 'DLI authentication failed (APIGW.0301)', { provider: 'DLI' });
const throttled = (retryAfterMs?: number) =>
  new JobError('PROVIDER_THROTTLED', 'DLI throttled the request', {
    provider: 'DLI',
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });

/** Answers attempt n with outcomes[n-1] (an error is thrown, anything else returned). */
function script(...outcomes: unknown[]) {
  const calls: number[] = [];
  const attempt = async (n: number) => {
    calls.push(n);
    const o = outcomes[n - 1] ?? 'ok';
    if (o instanceof Error) throw o;
    return o;
  };
  return { attempt, calls };
}

/** A budget with a fixed remaining time, and a sleep that only records. */
function harness(remainingMs = 60_000) {
  const controller = new AbortController();
  const budget: RetryBudget = { signal: controller.signal, remainingMs: () => remainingMs };
  const waits: number[] = [];
  const retries: RetryInfo[] = [];
  const options = {
    maxAttempts: 3,
    baseDelayMs: 100,
    maxDelayMs: 5_000,
    random: () => 0.5,
    sleep: async (ms: number) => {
      waits.push(ms);
    },
    onRetry: (i: RetryInfo) => retries.push(i),
  };
  return { controller, budget, waits, retries, options };
}

describe('retrying', () => {
  it('returns the first success without retrying', async () => {
    const { attempt, calls } = script('job');
    const h = harness();
    await expect(retrying(attempt, h.budget, h.options)).resolves.toBe('job');
    expect(calls).toEqual([1]);
    expect(h.waits).toEqual([]);
  });

  it('retries transient failures with growing jittered waits until one succeeds', async () => {
    const { attempt, calls } = script(unavailable(), unavailable(), 'job');
    const h = harness();
    await expect(retrying(attempt, h.budget, h.options)).resolves.toBe('job');
    expect(calls).toEqual([1, 2, 3]);
    expect(h.waits).toEqual([50, 100]);
    expect(h.retries.map((r) => [r.attempt, r.delayMs, (r.error as JobError).code])).toEqual([
      [1, 50, 'PROVIDER_UNAVAILABLE'],
      [2, 100, 'PROVIDER_UNAVAILABLE'],
    ]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const last = throttled();
    const { attempt, calls } = script(unavailable(), unavailable(), last, 'job');
    const h = harness();
    await expect(retrying(attempt, h.budget, h.options)).rejects.toBe(last);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('makes exactly one attempt when maxAttempts is 1', async () => {
    const { attempt, calls } = script(unavailable(), 'job');
    const h = harness();
    await expect(retrying(attempt, h.budget, { ...h.options, maxAttempts: 1 })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
    expect(calls).toEqual([1]);
  });

  it('never retries an authentication failure', async () => {
    const { attempt, calls } = script(authFailed(), 'job');
    const h = harness();
    await expect(retrying(attempt, h.budget, h.options)).rejects.toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
    expect(calls).toEqual([1]);
    expect(h.retries).toEqual([]);
  });

  it('retries an unreadable body once per call, even among other transient failures', async () => {
    const one = script(badBody(), 'job');
    const h1 = harness();
    await expect(retrying(one.attempt, h1.budget, h1.options)).resolves.toBe('job');
    expect(one.calls).toEqual([1, 2]);

    const two = script(badBody(), badBody(), 'job');
    const h2 = harness();
    await expect(retrying(two.attempt, h2.budget, h2.options)).rejects.toMatchObject({ code: 'PROVIDER_BAD_RESPONSE' });
    expect(two.calls).toEqual([1, 2]);

    const mixed = script(badBody(), unavailable(), badBody(), 'job');
    const h3 = harness();
    await expect(retrying(mixed.attempt, h3.budget, { ...h3.options, maxAttempts: 5 })).rejects.toMatchObject({
      code: 'PROVIDER_BAD_RESPONSE',
    });
    expect(mixed.calls).toEqual([1, 2, 3]);
  });

  it('waits at least as long as the provider asked', async () => {
    const { attempt } = script(throttled(1_200), 'job');
    const h = harness();
    await retrying(attempt, h.budget, h.options);
    expect(h.waits).toEqual([1_200]);
  });

  it('does not retry when the provider asks for a longer wait than the maximum delay', async () => {
    const { attempt, calls } = script(throttled(60_000), 'job');
    const h = harness();
    await expect(retrying(attempt, h.budget, h.options)).rejects.toMatchObject({
      code: 'PROVIDER_THROTTLED',
      details: { retryAfterMs: 60_000 },
    });
    expect(calls).toEqual([1]);
  });

  it('does not start a wait the remaining deadline cannot cover', async () => {
    const { attempt, calls } = script(throttled(1_000), 'job');
    const h = harness(900);
    await expect(retrying(attempt, h.budget, h.options)).rejects.toMatchObject({ code: 'PROVIDER_THROTTLED' });
    expect(calls).toEqual([1]);
    expect(h.waits).toEqual([]);
  });

  it('stops retrying once the budget signal aborts, even during a wait', async () => {
    const { attempt, calls } = script(unavailable(), unavailable(), 'job');
    const h = harness();
    const sleep = async () => {
      h.controller.abort();
    };
    await expect(retrying(attempt, h.budget, { ...h.options, sleep })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
    expect(calls).toEqual([1]);
  });

  it('does not retry when the signal was already aborted by the time an attempt failed', async () => {
    const h = harness();
    const calls: number[] = [];
    const attempt = async (n: number) => {
      calls.push(n);
      h.controller.abort();
      throw unavailable();
    };
    await expect(retrying(attempt, h.budget, h.options)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(calls).toEqual([1]);
  });
});
