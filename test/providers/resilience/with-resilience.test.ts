import { describe, expect, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { withResilience, type ResilienceEvent, type ResilienceOptions } from '../../../src/providers/resilience/index.js';
import type { JobKey, ProviderClient, ProviderJob } from '../../../src/providers/types.js';
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
          signal?.addEventListener('abort', () => reject(new JobError('PROVIDER_TIMEOUT', 'NLB call was cancelled', { provider: 'NLB' }))),
        );
      }
      throw o;
    },
  };
  return { client, calls };
}

/** Options with instant, recorded waits on a fake clock, and a mid-range jitter. */
function harness(extra: ResilienceOptions = {}) {
  let t = 0;
  const events: ResilienceEvent[] = [];
  const waits: number[] = [];
  const options: ResilienceOptions = {
    retryBaseMs: 100,
    retryMaxDelayMs: 5_000,
    random: () => 0.5,
    now: () => t,
    sleep: async (ms) => {
      waits.push(ms);
      t += ms;
    },
    onEvent: (e) => events.push(e),
    ...extra,
  };
  return { options, events, waits };
}

const down = () => new JobError('PROVIDER_UNAVAILABLE', 'NLB is unavailable: HTTP 503 (ServiceUnavailable)', { provider: 'NLB', httpStatus: 503, providerCode: 'ServiceUnavailable' });
const auth = () => new JobError('PROVIDER_AUTH_FAILED', 'NLB rejected the request signature or credentials: HTTP 404 (InvalidAccessKeyId.NotFound)', { provider: 'NLB' });
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
    const err = await withResilience(client, harness().options).fetchJob(key).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { provider: 'NLB', httpStatus: 503, providerCode: 'ServiceUnavailable' } });
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
    const err = await withResilience(client, harness({ callDeadlineMs: 30 }).options).fetchJob(key).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_TIMEOUT', details: { provider: 'NLB' } });
    expect((err as Error).message).toBe('NLB call did not finish within its 30 ms deadline (1 attempt)');
    expect(calls).toHaveLength(1);
  });

  it('does not wait past the provider-requested limit: a long Retry-After ends the call with its hint', async () => {
    const throttled = new JobError('PROVIDER_THROTTLED', 'NLB throttled the request', { provider: 'NLB', retryAfterMs: 60_000 });
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
    expect(r.breakerState('cn-hangzhou')).toBe('open');
    const err = await r.fetchJob(key).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { provider: 'NLB' } });
    expect((err as Error).message).toMatch(/^NLB circuit breaker is open for region cn-hangzhou/);
    expect(h.events).toContainEqual({ type: 'breaker', provider: 'NLB', region: 'cn-hangzhou', state: 'open' });
    expect(r.breakerStates()).toEqual([{ provider: 'NLB', region: 'cn-hangzhou', state: 'open' }]);
  });

  it('keeps one breaker per region: another region of the same provider still works', async () => {
    const { client, calls } = scripted(down(), down(), 'ok');
    const r = withResilience(client, harness({ breakerThreshold: 2, retryMaxAttempts: 2 }).options);
    await r.fetchJob(key).catch(() => undefined);
    await expect(r.fetchJob({ ...key, region: 'cn-shanghai' })).resolves.toMatchObject({ region: 'cn-shanghai' });
    expect(calls).toHaveLength(3);
    expect(r.breakerState('cn-hangzhou')).toBe('open');
    expect(r.breakerState('cn-shanghai')).toBe('closed');
  });

  it('does not count not-found answers against the provider', async () => {
    const notFound = () => new JobError('JOB_NOT_FOUND', 'NLB has no such job', { provider: 'NLB' });
    const { client, calls } = scripted(notFound(), notFound(), notFound(), notFound(), 'ok');
    const r = withResilience(client, harness({ breakerThreshold: 2 }).options);
    for (let i = 0; i < 4; i++) await expect(r.fetchJob(key)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(r.fetchJob(key)).resolves.toBeDefined();
    expect(calls).toHaveLength(5);
    expect(r.breakerState('cn-hangzhou')).toBe('closed');
  });

  it('makes calls wait for a rate-limit token when the endpoint bucket is empty', async () => {
    const { client } = scripted();
    const h = harness({ rateLimitPerSec: 10, rateLimitBurst: 1 });
    const r = withResilience(client, h.options);
    await r.fetchJob(key);
    await r.fetchJob(key);
    expect(h.waits).toEqual([100]);
    expect(h.events).toEqual([{ type: 'throttled', provider: 'NLB', region: 'cn-hangzhou', waitMs: 100, rejected: false }]);
  });

  it('fails locally with PROVIDER_THROTTLED, sending nothing, when a token is further away than the bound', async () => {
    const { client, calls } = scripted();
    const h = harness({ rateLimitPerSec: 1, rateLimitBurst: 1, rateLimitMaxWaitMs: 100 });
    const r = withResilience(client, h.options);
    await r.fetchJob(key);
    const err = await r.fetchJob(key).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', details: { provider: 'NLB', retryAfterMs: 1_000 } });
    expect(calls).toHaveLength(1);
    expect(h.events).toEqual([{ type: 'throttled', provider: 'NLB', region: 'cn-hangzhou', waitMs: 1_000, rejected: true }]);
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
