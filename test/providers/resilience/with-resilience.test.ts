import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobError } from '../../../src/errors.js';
import {
  withResilience,
  type ResilienceEvent,
  type ResilienceOptions,
} from '../../../src/providers/resilience/index.js';
import type { JobKey, ProviderClient, ProviderJob } from '../../../src/providers/types.js';
import { SharedCallBudget } from '../../../src/quotas/call-budget.js';
import { nlbJob, nlbKey } from '../../helpers/scripted-client.js';

type Outcome = JobError | 'ok' | 'hang';

/** A client answering call n with outcomes[n-1] ('ok' after the script runs out); records every call. */
function scripted(...outcomes: Outcome[]) {
  const calls: { key: JobKey; signal: AbortSignal | undefined }[] = [];
  const client: ProviderClient = {
    provider: 'NLB',
    async fetchJob(key, signal): Promise<ProviderJob> {
      calls.push({ key, signal });
      const o = outcomes[calls.length - 1] ?? 'ok';
      if (o === 'ok') return nlbJob(key, 'processing');
      if (o === 'hang') {
        return new Promise((_, reject) =>
          signal?.addEventListener('abort', () =>
            reject(new JobError('PROVIDER_TIMEOUT', 'NLB call was cancelled', { provider: 'NLB' })),
          ),
        );
      }
      throw o;
    },
  };
  return { client, calls };
}

/** Options with instant, recorded waits on a fake clock, and a mid-range jitter. */
function harness(extra: ResilienceOptions & { now?: () => number } = {}) {
  let t = 0;
  const events: ResilienceEvent[] = [];
  const waits: number[] = [];
  const options: ResilienceOptions = {
    retryBaseMs: 100,
    retryMaxDelayMs: 5_000,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
    onEvent: (e) => events.push(e),
    ...extra,
  };
  const { now = () => t } = extra;
  return { options, events, waits, now };
}

/** The harness with a provider quota of `ratePerSec` / `burst`, counted on the harness's clock. */
function limited(ratePerSec: number, burst: number, extra: ResilienceOptions & { now?: () => number } = {}) {
  const h = harness(extra);
  h.options.budget = new SharedCallBudget({
    limitsOf: () => ({ ratePerSec, burst, dailyBudget: null }),
    dayStartUtcOffsetMinutes: 0,
    now: h.now,
    random: () => 0,
    sleep: h.options.sleep!,
  });
  return h;
}

/** An endpoint's breaker state as the client's events tell it: the last `breaker` event, closed before any. */
function breakerState(events: ResilienceEvent[], region: string): string {
  const changes = events.filter(
    (e): e is Extract<ResilienceEvent, { type: 'breaker' }> => e.type === 'breaker' && e.region === region,
  );
  return changes.at(-1)?.state ?? 'closed';
}

/** Every endpoint whose breaker reported a change, with its current state. */
function breakerStates(events: ResilienceEvent[]): { provider: string; region: string; state: string }[] {
  const latest = new Map<string, { provider: string; region: string; state: string }>();
  for (const e of events)
    if (e.type === 'breaker')
      latest.set(`${e.provider}/${e.region}`, { provider: e.provider, region: e.region, state: e.state });
  return [...latest.values()];
}

const down = () =>
  new JobError('PROVIDER_UNAVAILABLE', 'NLB is unavailable: HTTP 503 (ServiceUnavailable)', {
    provider: 'NLB',
    httpStatus: 503,
    providerCode: 'ServiceUnavailable',
  });
const auth = () =>
  new JobError(
    'PROVIDER_AUTH_FAILED',
    'NLB rejected the request signature or credentials: HTTP 404 (InvalidAccessKeyId.NotFound)',
    { provider: 'NLB' },
  );
const key = nlbKey('job-1');

describe('withResilience', () => {
  it('keeps the provider name and answers like the client when all goes well', async () => {
    const { client, calls } = scripted('ok');
    const r = withResilience(client, harness().options);
    expect(r.provider).toBe('NLB');
    await expect(r.fetchJob(key)).resolves.toMatchObject({ jobId: 'job-1', state: 'RUNNING' });
    expect(calls).toHaveLength(1);
  });

  it('calls fetchJob afresh for every attempt until a transient failure clears', async () => {
    const { client, calls } = scripted(down(), down(), 'ok');
    const h = harness();
    await expect(withResilience(client, h.options).fetchJob(key)).resolves.toMatchObject({ jobId: 'job-1' });
    expect(calls).toHaveLength(3);
    expect(h.events.filter((e) => e.type === 'retry')).toEqual([
      { type: 'retry', provider: 'NLB', region: 'cn-hangzhou', attempt: 1, delayMs: 50, code: 'PROVIDER_UNAVAILABLE' },
      { type: 'retry', provider: 'NLB', region: 'cn-hangzhou', attempt: 2, delayMs: 100, code: 'PROVIDER_UNAVAILABLE' },
    ]);
  });

  it('reports a failure that outlived its retries with its code, details and the attempt count', async () => {
    const { client, calls } = scripted(down(), down(), down(), 'ok');
    const err = await withResilience(client, harness().options)
      .fetchJob(key)
      .catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(err).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      details: { provider: 'NLB', httpStatus: 503, providerCode: 'ServiceUnavailable' },
    });
    expect((err as Error).message).toBe('NLB is unavailable: HTTP 503 (ServiceUnavailable) (after 3 attempts)');
  });

  it('honours the configured number of attempts', async () => {
    const { client, calls } = scripted(down(), down(), down(), down(), 'ok');
    await expect(withResilience(client, harness({ retryMaxAttempts: 5 }).options).fetchJob(key)).resolves.toBeDefined();
    expect(calls).toHaveLength(5);
  });

  it('makes exactly one call for an authentication failure and passes it on unchanged', async () => {
    const original = auth();
    const { client, calls } = scripted(original, 'ok');
    await expect(withResilience(client, harness().options).fetchJob(key)).rejects.toBe(original);
    expect(calls).toHaveLength(1);
  });

  it('gives each attempt the call deadline signal, which follows the caller signal', async () => {
    const { client, calls } = scripted('hang');
    const caller = new AbortController();
    const pending = withResilience(client, harness().options).fetchJob(key, caller.signal);
    await new Promise((r) => setImmediate(r));
    expect(calls[0]!.signal).toBeDefined();
    expect(calls[0]!.signal).not.toBe(caller.signal);
    caller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT', message: 'NLB call was cancelled' });
    expect(calls).toHaveLength(1);
  });

  it('ends a call at its overall deadline with PROVIDER_TIMEOUT naming the deadline', async () => {
    const { client, calls } = scripted('hang', 'hang', 'hang');
    const err = await withResilience(client, harness({ callDeadlineMs: 30 }).options)
      .fetchJob(key)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_TIMEOUT', details: { provider: 'NLB' } });
    expect((err as Error).message).toBe('NLB call did not finish within its 30 ms deadline (1 attempt)');
    expect(calls).toHaveLength(1);
  });

  it('does not wait past the provider-requested limit: a long Retry-After ends the call with its hint', async () => {
    const throttled = new JobError('PROVIDER_THROTTLED', 'NLB throttled the request', {
      provider: 'NLB',
      retryAfterMs: 60_000,
    });
    const { client, calls } = scripted(throttled, 'ok');
    await expect(withResilience(client, harness().options).fetchJob(key)).rejects.toMatchObject({
      code: 'PROVIDER_THROTTLED',
      details: { retryAfterMs: 60_000 },
    });
    expect(calls).toHaveLength(1);
  });

  it('opens the endpoint breaker after the threshold of failed attempts, then fails fast without calling', async () => {
    const { client, calls } = scripted(down(), down(), down(), 'ok');
    const h = harness({ breakerThreshold: 3 });
    const r = withResilience(client, h.options);
    await expect(r.fetchJob(key)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('open');
    const err = await r.fetchJob(key).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { provider: 'NLB' } });
    expect((err as Error).message).toMatch(/^NLB circuit breaker is open for region cn-hangzhou/);
    expect(h.events).toContainEqual({ type: 'breaker', provider: 'NLB', region: 'cn-hangzhou', state: 'open' });
    expect(breakerStates(h.events)).toEqual([{ provider: 'NLB', region: 'cn-hangzhou', state: 'open' }]);
  });

  it('keeps one breaker per region: another region of the same provider still works', async () => {
    const { client, calls } = scripted(down(), down(), 'ok');
    const h = harness({ breakerThreshold: 2, retryMaxAttempts: 2 });
    const r = withResilience(client, h.options);
    await r.fetchJob(key).catch(() => undefined);
    await expect(r.fetchJob({ ...key, region: 'cn-shanghai' })).resolves.toMatchObject({ region: 'cn-shanghai' });
    expect(calls).toHaveLength(3);
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('open');
    expect(breakerState(h.events, 'cn-shanghai')).toBe('closed');
  });

  it('does not count not-found answers against the provider', async () => {
    const notFound = () => new JobError('JOB_NOT_FOUND', 'NLB has no such job', { provider: 'NLB' });
    const { client, calls } = scripted(notFound(), notFound(), notFound(), notFound(), 'ok');
    const h = harness({ breakerThreshold: 2 });
    const r = withResilience(client, h.options);
    for (let i = 0; i < 4; i++) await expect(r.fetchJob(key)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(r.fetchJob(key)).resolves.toBeDefined();
    expect(calls).toHaveLength(5);
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('closed');
  });

  it("makes a call wait for the next window of the account's quota when this one is used", async () => {
    const { client } = scripted();
    // 10/s with no burst: nine windows of 111 ms, one call each.
    const h = limited(10, 1);
    const r = withResilience(client, h.options);
    await r.fetchJob(key);
    await r.fetchJob(key);
    expect(h.waits).toEqual([112]);
    expect(h.events).toEqual([
      { type: 'rate-limited', provider: 'NLB', region: 'cn-hangzhou', waitMs: 112, rejected: false },
    ]);
  });

  it('fails locally with PROVIDER_THROTTLED, sending nothing, when a token is further away than the bound', async () => {
    const { client, calls } = scripted();
    const h = limited(2, 1, { rateLimitMaxWaitMs: 100 });
    const r = withResilience(client, h.options);
    await r.fetchJob(key);
    const err = await r.fetchJob(key).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', details: { provider: 'NLB', retryAfterMs: 1_000 } });
    expect(calls).toHaveLength(1);
    expect(h.events).toEqual([
      { type: 'rate-limited', provider: 'NLB', region: 'cn-hangzhou', waitMs: 1_000, rejected: true },
    ]);
  });

  it('reports every throttling answer of the provider once, also one that a retry then got past', async () => {
    const throttled = () =>
      new JobError('PROVIDER_THROTTLED', 'NLB throttled the request', {
        provider: 'NLB',
        providerCode: 'Throttling.User',
      });
    const { client, calls } = scripted(throttled(), throttled(), 'ok');
    const h = harness();
    await expect(withResilience(client, h.options).fetchJob(key)).resolves.toBeDefined();
    expect(calls).toHaveLength(3);
    expect(h.events.filter((e) => e.type !== 'retry')).toEqual([
      { type: 'provider-throttled', provider: 'NLB', region: 'cn-hangzhou', attempt: 1 },
      { type: 'provider-throttled', provider: 'NLB', region: 'cn-hangzhou', attempt: 2 },
    ]);
  });

  it('does not report a refusal of the local rate limit as provider throttling', async () => {
    const { client } = scripted();
    const h = limited(2, 1, { rateLimitMaxWaitMs: 100 });
    const r = withResilience(client, h.options);
    await r.fetchJob(key);
    await expect(r.fetchJob(key)).rejects.toMatchObject({ code: 'PROVIDER_THROTTLED' });
    expect(h.events.map((e) => e.type)).not.toContain('provider-throttled');
  });

  it('keeps working when the event hook throws', async () => {
    const { client } = scripted(down(), 'ok');
    const onEvent = () => {
      throw new Error('log sink down');
    };
    const r = withResilience(client, harness({ onEvent }).options);
    await expect(r.fetchJob(key)).resolves.toBeDefined();
  });
});

/** A client that gives every call the current `answer` (a hang waits for the call's signal); records every call. */
function switchable(initial: Outcome = 'ok') {
  const state = { answer: initial, calls: 0 };
  const client: ProviderClient = {
    provider: 'NLB',
    async fetchJob(k, signal): Promise<ProviderJob> {
      state.calls++;
      const o = state.answer;
      if (o === 'ok') return nlbJob(k, 'processing');
      if (o === 'hang') {
        return new Promise((_, reject) =>
          signal?.addEventListener('abort', () =>
            reject(new JobError('PROVIDER_TIMEOUT', 'NLB call was cancelled', { provider: 'NLB' })),
          ),
        );
      }
      throw o;
    },
  };
  return { client, state };
}

describe('withResilience: a half-open probe that never got a provider answer', () => {
  // cockatiel times the breaker's cool-down with Date.now.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 0, 1));
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const cooldown = () => vi.setSystemTime(Date.now() + 1_000);

  /** Five calls at once while the provider is still down: how many reached it, and what the callers got. */
  async function fiveConcurrentCalls(
    fetchJob: (k: JobKey) => Promise<ProviderJob>,
    provider: { state: { calls: number; answer: Outcome } },
  ) {
    provider.state.answer = down();
    const before = provider.state.calls;
    const failed = (e: unknown) => e as JobError;
    const succeeded = () => new JobError('INTERNAL_SERVER_ERROR', 'expected the call to fail');
    const errors = await Promise.all(
      Array.from({ length: 5 }, (_, i) => fetchJob(nlbKey(`job-${i}`)).then(succeeded, failed)),
    );
    return { reached: provider.state.calls - before, errors };
  }

  it('a probe cancelled by its caller does not close the breaker: one of the next calls probes, the others fail fast', async () => {
    const p = switchable(down());
    const h = harness({ breakerThreshold: 1, breakerCooldownMs: 1_000, retryMaxAttempts: 1 });
    const r = withResilience(p.client, h.options);
    await r.fetchJob(key).catch(() => undefined);
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('open');
    cooldown();

    p.state.answer = 'hang';
    const caller = new AbortController();
    const probe = r.fetchJob(key, caller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    caller.abort();
    await expect(probe).rejects.toMatchObject({ code: 'PROVIDER_TIMEOUT' });
    const afterProbe = breakerState(h.events, 'cn-hangzhou');

    const { reached, errors } = await fiveConcurrentCalls(r.fetchJob, p);
    expect(reached).toBe(1);
    expect(afterProbe).not.toBe('closed');
    expect(errors.every((e) => e.code === 'PROVIDER_UNAVAILABLE')).toBe(true);
    expect(errors.filter((e) => /circuit breaker is open/.test(e.message))).toHaveLength(4);
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('open');

    cooldown();
    p.state.answer = 'ok';
    await expect(r.fetchJob(key)).resolves.toMatchObject({ jobId: 'job-1' });
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('closed');
  });

  it('a probe rejected by the local rate limit does not close the breaker: one of the next calls probes, the others fail fast', async () => {
    const clock = { t: 0 };
    const p = switchable(down());
    const h = limited(2, 1, {
      breakerThreshold: 5,
      breakerCooldownMs: 1_000,
      retryMaxAttempts: 1,
      rateLimitMaxWaitMs: 100,
      now: () => clock.t,
    });
    const r = withResilience(p.client, h.options);
    // Five failed attempts, a second apart on the quota's clock, open the breaker; the last one
    // uses up the quota's current window.
    for (let i = 0; i < 5; i++) {
      clock.t += 1_000;
      await r.fetchJob(key).catch(() => undefined);
    }
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('open');
    cooldown();

    await expect(r.fetchJob(key)).rejects.toMatchObject({
      code: 'PROVIDER_THROTTLED',
      message: expect.stringMatching(/rate limit of 2\/s for account default in cn-hangzhou is reached/),
    });
    expect(p.state.calls).toBe(5);
    const afterProbe = breakerState(h.events, 'cn-hangzhou');

    clock.t += 5_000; // the bucket is full again: the rate limit stops nobody below
    const { reached, errors } = await fiveConcurrentCalls(r.fetchJob, p);
    expect(reached).toBe(1);
    expect(afterProbe).not.toBe('closed');
    expect(errors.filter((e) => /circuit breaker is open/.test(e.message))).toHaveLength(4);

    cooldown();
    clock.t += 5_000;
    p.state.answer = new JobError('JOB_NOT_FOUND', 'NLB has no such job', { provider: 'NLB' });
    await expect(r.fetchJob(key)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(breakerState(h.events, 'cn-hangzhou')).toBe('closed');
  });
});
