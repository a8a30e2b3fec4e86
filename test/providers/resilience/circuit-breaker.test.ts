import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobError } from '../../../src/errors.js';
import { EndpointBreaker, LocalJobError, type BreakerChange } from '../../../src/providers/resilience/index.js';

const down = () => new JobError('PROVIDER_UNAVAILABLE', 'DLI is unavailable (HTTP 503)', { provider: 'DLI' });
const notFound = () => new JobError('JOB_NOT_FOUND', 'DLI job not found', { provider: 'DLI' });
const fail = (err: Error) => async () => {
  throw err;
};
const ok = async () => 'job';
const never = () => false;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2026, 0, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

/** A breaker, the state changes it reported, and its state as they tell it (closed until the first). */
function breaker(threshold = 3, cooldownMs = 1_000) {
  const changes: BreakerChange[] = [];
  const b = new EndpointBreaker('DLI', 'cn-north-4', { threshold, cooldownMs }, (c) => changes.push(c));
  return { b, changes, state: () => changes.at(-1)?.state ?? 'closed' };
}

describe('EndpointBreaker', () => {
  it('opens after the threshold of consecutive outages and then fails fast without calling', async () => {
    const { b, changes, state } = breaker(3);
    for (let i = 0; i < 3; i++)
      await expect(b.execute(fail(down()), never)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(state()).toBe('open');
    expect(changes).toEqual([{ provider: 'DLI', region: 'cn-north-4', state: 'open' }]);
    const attempt = vi.fn(ok);
    const err = await b.execute(attempt, never).catch((e: unknown) => e);
    expect(attempt).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(LocalJobError);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { provider: 'DLI', retryAfterMs: 1_000 } });
    expect((err as Error).message).toMatch(
      /DLI circuit breaker is open for region cn-north-4 after 3 consecutive failures/,
    );
  });

  it('counts only consecutive failures: a success resets the count', async () => {
    const { b, state } = breaker(3);
    await b.execute(fail(down()), never).catch(() => undefined);
    await b.execute(fail(down()), never).catch(() => undefined);
    await b.execute(ok, never);
    await b.execute(fail(down()), never).catch(() => undefined);
    await b.execute(fail(down()), never).catch(() => undefined);
    expect(state()).toBe('closed');
  });

  it('does not count a not-found, which proves the provider is up, and passes it through', async () => {
    const { b, state } = breaker(2);
    for (let i = 0; i < 5; i++)
      await expect(b.execute(fail(notFound()), never)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(state()).toBe('closed');
  });

  it('does not count a failure of an attempt its caller cancelled', async () => {
    const { b, state } = breaker(2);
    for (let i = 0; i < 4; i++)
      await expect(b.execute(fail(down()), () => true)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(state()).toBe('closed');
  });

  it('lets one probe through after the cool-down and closes on its success', async () => {
    const { b, changes, state } = breaker(1, 1_000);
    await b.execute(fail(down()), never).catch(() => undefined);
    vi.setSystemTime(Date.now() + 999);
    await expect(b.execute(ok, never)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    vi.setSystemTime(Date.now() + 1);
    await expect(b.execute(ok, never)).resolves.toBe('job');
    expect(state()).toBe('closed');
    expect(changes.map((c) => c.state)).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the probe fails, for another cool-down', async () => {
    const { b, changes, state } = breaker(1, 1_000);
    await b.execute(fail(down()), never).catch(() => undefined);
    vi.setSystemTime(Date.now() + 1_000);
    await expect(b.execute(fail(down()), never)).rejects.toMatchObject({ message: 'DLI is unavailable (HTTP 503)' });
    expect(state()).toBe('open');
    const attempt = vi.fn(ok);
    await expect(b.execute(attempt, never)).rejects.toMatchObject({
      message: expect.stringMatching(/circuit breaker is open/),
    });
    expect(attempt).not.toHaveBeenCalled();
    expect(changes.map((c) => c.state)).toEqual(['open', 'half-open', 'open']);
  });
});

describe('EndpointBreaker: only a provider answer ends a half-open probe', () => {
  const rateLimited = () =>
    new LocalJobError('PROVIDER_THROTTLED', 'DLI: client-side rate limit of 1/s reached; no request was sent', {
      provider: 'DLI',
      retryAfterMs: 1_000,
    });
  /** Opens a breaker (threshold 3) and lets its cool-down pass, so the next call is the probe. */
  async function readyToProbe() {
    const made = breaker(3, 1_000);
    for (let i = 0; i < 3; i++) await made.b.execute(fail(down()), never).catch(() => undefined);
    vi.setSystemTime(Date.now() + 1_000);
    return made;
  }
  /** Five calls at once against a provider that is still down; how many of them reached it. */
  async function fiveConcurrentCallsToADownProvider(b: EndpointBreaker) {
    const attempt = vi.fn(fail(down()));
    const errors = await Promise.all(
      Array.from({ length: 5 }, () => b.execute(attempt, never).catch((e: unknown) => e as JobError)),
    );
    return { reached: attempt.mock.calls.length, errors };
  }

  const noAnswers: [string, () => Promise<unknown>, () => boolean][] = [
    ['cancelled by its caller', fail(down()), () => true],
    ['rejected by the local rate limit', fail(rateLimited()), never],
  ];

  it.each(noAnswers)(
    'a probe %s leaves the breaker open, and exactly one of the next calls probes',
    async (_name, probe, cancelled) => {
      const { b, changes, state } = await readyToProbe();
      await expect(b.execute(probe, cancelled)).rejects.toBeInstanceOf(JobError);
      const afterProbe = state();

      const { reached, errors } = await fiveConcurrentCallsToADownProvider(b);
      expect(reached).toBe(1);
      expect(afterProbe).not.toBe('closed');
      expect(
        errors.filter((e) => e instanceof LocalJobError && /circuit breaker is open/.test(e.message)),
      ).toHaveLength(4);
      expect(state()).toBe('open');
      expect(changes.map((c) => c.state)).not.toContain('closed');
    },
  );

  it.each(noAnswers)(
    'after a probe %s, a success from the provider still closes the breaker',
    async (_name, probe, cancelled) => {
      const { b, state } = await readyToProbe();
      await b.execute(probe, cancelled).catch(() => undefined);
      await expect(b.execute(ok, never)).resolves.toBe('job');
      expect(state()).toBe('closed');
    },
  );

  it('a not-found answer to a probe closes the breaker, which then needs the full threshold of failures to open again', async () => {
    const { b, changes, state } = await readyToProbe();
    await b.execute(fail(rateLimited()), never).catch(() => undefined);
    await expect(b.execute(fail(notFound()), never)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(state()).toBe('closed');
    expect(changes.at(-1)?.state).toBe('closed');
    await b.execute(fail(down()), never).catch(() => undefined);
    await b.execute(fail(down()), never).catch(() => undefined);
    expect(state()).toBe('closed');
    await b.execute(fail(down()), never).catch(() => undefined);
    expect(state()).toBe('open');
  });

  it('an authentication failure answering a probe closes the breaker: the provider is up', async () => {
    const { b, state } = await readyToProbe();
    const auth = new JobError('PROVIDER_AUTH_FAILED', 'DLI rejected the request signature', { provider: 'DLI' });
    await expect(b.execute(fail(auth), never)).rejects.toBe(auth);
    expect(state()).toBe('closed');
  });
});
