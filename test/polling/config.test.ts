import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';

describe('poll configuration', () => {
  it('gives DataWorks its own intervals by default and leaves the other providers to the global pair', () => {
    const c = resolveConfig({});
    expect(c.poll.providers).toEqual({ DATAWORKS: { minIntervalMs: 15_000, maxIntervalMs: 300_000 } });
    expect(c.poll).toMatchObject({ minIntervalMs: 1_000, maxIntervalMs: 30_000, notFoundGraceMs: 30_000 });
  });

  it("lets a provider's own variables win, then the global pair if set, then the provider's own default", () => {
    const c = resolveConfig({
      JOBS_POLL_MIN_INTERVAL_MS: '2000',
      JOBS_POLL_MIN_INTERVAL_MS_NLB: '5000',
      JOBS_POLL_MAX_INTERVAL_MS_DATAWORKS: '600000',
    });
    expect(c.poll).toMatchObject({ minIntervalMs: 2_000, maxIntervalMs: 30_000 });
    expect(c.poll.providers).toEqual({
      NLB: { minIntervalMs: 5_000, maxIntervalMs: 30_000 },
      DATAWORKS: { minIntervalMs: 2_000, maxIntervalMs: 600_000 },
    });
    expect(resolveConfig({ JOBS_POLL_MAX_INTERVAL_MS_DATAWORKS: '600000' }).poll.providers).toEqual({
      DATAWORKS: { minIntervalMs: 15_000, maxIntervalMs: 600_000 },
    });
  });

  it('applies a global pair that is set to every provider without variables of its own, DataWorks included', () => {
    const c = resolveConfig({ JOBS_POLL_MIN_INTERVAL_MS: '50', JOBS_POLL_MAX_INTERVAL_MS: '100' });
    expect(c.poll.providers).toEqual({});
    expect(c.poll).toMatchObject({ minIntervalMs: 50, maxIntervalMs: 100 });
  });

  it('rejects a provider minimum above its maximum, naming the variable to fix', () => {
    expect(() => resolveConfig({ JOBS_POLL_MIN_INTERVAL_MS_CFW: '60000' })).toThrow(
      /JOBS_POLL_MIN_INTERVAL_MS_CFW: .*set JOBS_POLL_MAX_INTERVAL_MS_CFW too/,
    );
    expect(() => resolveConfig({ JOBS_POLL_MAX_INTERVAL_MS_DATAWORKS: '10000' })).toThrow(
      /JOBS_POLL_MAX_INTERVAL_MS_DATAWORKS: must be >= the DATAWORKS minimum \(15000\)/,
    );
    expect(() => resolveConfig({ JOBS_POLL_MIN_INTERVAL_MS_DLI: 'soon' })).toThrow(/JOBS_POLL_MIN_INTERVAL_MS_DLI/);
  });

  it('reads the not-found grace period, 0 turning it off', () => {
    expect(resolveConfig({ JOBS_NOT_FOUND_GRACE_MS: '0' }).poll.notFoundGraceMs).toBe(0);
    expect(resolveConfig({ JOBS_NOT_FOUND_GRACE_MS: '5000' }).poll.notFoundGraceMs).toBe(5_000);
    expect(() => resolveConfig({ JOBS_NOT_FOUND_GRACE_MS: '-1' })).toThrow(/JOBS_NOT_FOUND_GRACE_MS/);
  });

  it("states the poll defaults in the README's configuration table", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const row = (names: string) =>
      readme
        .split('\n')
        .find((l) => l.startsWith(`| ${names} |`))
        ?.split(' | ')[1];
    const c = resolveConfig({});
    expect(row('`JOBS_POLL_MIN_INTERVAL_MS_DATAWORKS`, `JOBS_POLL_MAX_INTERVAL_MS_DATAWORKS`')).toBe(
      `\`${c.poll.providers.DATAWORKS?.minIntervalMs}\`, \`${c.poll.providers.DATAWORKS?.maxIntervalMs}\``,
    );
    expect(row('`JOBS_NOT_FOUND_GRACE_MS`')).toBe(`\`${c.poll.notFoundGraceMs}\``);
  });
});
