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

function breaker(threshold = 3, cooldownMs = 1_000) {
  const changes: BreakerChange[] = [];
  const b = new EndpointBreaker('DLI', 'cn-north-4', { threshold, cooldownMs }, (c) => changes.push(c));
  return { b, changes };
}

describe('EndpointBreaker', () => {
  it('opens after the threshold of consecutive outages and then fails fast without calling', async () => {
    const { b, changes } = breaker(3);
    for (let i = 0; i < 3; i++) await expect(b.execute(fail(down()), never)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(b.state).toBe('open');
    expect(changes).toEqual([{ provider: 'DLI', region: 'cn-north-4', state: 'open' }]);
    const attempt = vi.fn(ok);
    const err = await b.execute(attempt, never).catch((e: unknown) => e);
    expect(attempt).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(LocalJobError);
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { provider: 'DLI', retryAfterMs: 1_000 } });
    expect((err as Error).message).toMatch(/DLI circuit breaker is open for region cn-north-4 after 3 consecutive failures/);
  });

  it('counts only consecutive failures: a success resets the count', async () => {
    const { b } = breaker(3);
    await b.execute(fail(down()), never).catch(() => undefined);
    await b.execute(fail(down()), never).catch(() => undefined);
    await b.execute(ok, never);
    await b.execute(fail(down()), never).catch(() => undefined);
    await b.execute(fail(down()), never).catch(() => undefined);
    expect(b.state).toBe('closed');
  });

  it('does not count a not-found, which proves the provider is up, and passes it through', async () => {
    const { b } = breaker(2);
    for (let i = 0; i < 5; i++) await expect(b.execute(fail(notFound()), never)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(b.state).toBe('closed');
  });

  it('does not count a failure of an attempt its caller cancelled', async () => {
    const { b } = breaker(2);
    for (let i = 0; i < 4; i++) await expect(b.execute(fail(down()), () => true)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(b.state).toBe('closed');
  });

  it('lets one probe through after the cool-down and closes on its success', async () => {
    const { b, changes } = breaker(1, 1_000);
    await b.execute(fail(down()), never).catch(() => undefined);
    vi.setSystemTime(Date.now() + 999);
    await expect(b.execute(ok, never)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    vi.setSystemTime(Date.now() + 1);
    await expect(b.execute(ok, never)).resolves.toBe('job');
    expect(b.state).toBe('closed');
    expect(changes.map((c) => c.state)).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the probe fails, for another cool-down', async () => {
    const { b, changes } = breaker(1, 1_000);
    await b.execute(fail(down()), never).catch(() => undefined);
    vi.setSystemTime(Date.now() + 1_000);
    await expect(b.execute(fail(down()), never)).rejects.toMatchObject({ message: 'DLI is unavailable (HTTP 503)' });
    expect(b.state).toBe('open');
    const attempt = vi.fn(ok);
    await expect(b.execute(attempt, never)).rejects.toMatchObject({ message: expect.stringMatching(/circuit breaker is open/) });
    expect(attempt).not.toHaveBeenCalled();
    expect(changes.map((c) => c.state)).toEqual(['open', 'half-open', 'open']);
  });
});
