/**
 * RefreshingCredential (renewal timing, single flight, backoff, refusals, health), FixedCredential
 * and isCredentialSource, driven by an injected clock and a scripted `obtain`: no waiting, no I/O.
 */
import { describe, expect, it } from 'vitest';
import type { CredentialSettings } from '../../src/config.js';
import { JobError } from '../../src/errors.js';
import {
  FixedCredential,
  isCredentialSource,
  RefreshingCredential,
  type RefreshingOptions,
  type RenewalResult,
} from '../../src/credentials/refreshing.js';
import type { Expiring, ObtainCredential } from '../../src/credentials/types.js';

const T0 = Date.UTC(2026, 0, 1);
const LIFETIME = 1_000_000;

/** Round numbers: renew at half the lifetime, no jitter, backoff 1 s doubling to 8 s. */
const SETTINGS: Partial<CredentialSettings> = {
  refreshAt: 0.5,
  refreshJitter: 0,
  retryBaseMs: 1_000,
  retryMaxMs: 8_000,
  unknownLifetimeMs: 60_000,
};

interface Cred {
  id: string;
  secret: string;
}

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

/** Lets promise callbacks and background renewals run (no time passes on the injected clock). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A scripted credential service: counts calls, issues numbered credentials, fails on request. */
class Issuer {
  t = T0;
  calls = 0;
  issued = 0;
  /** Expiry of what is issued, relative to the clock; null: never expires. */
  lifetimeMs: number | null = LIFETIME;
  /** Thrown by the next calls, in order; once empty, calls succeed. */
  failures: unknown[] = [];
  /** While set, calls wait for it (to hold a renewal in flight). */
  gate: Promise<void> | null = null;
  /** Time the service takes to answer (the clock moves by this much during a call). */
  latencyMs = 0;

  readonly now = (): number => this.t;

  readonly obtain: ObtainCredential<Cred> = async (): Promise<Expiring<Cred>> => {
    this.calls++;
    if (this.gate) await this.gate;
    this.t += this.latencyMs;
    if (this.failures.length > 0) throw this.failures.shift();
    const n = ++this.issued;
    return {
      value: { id: `cred-${n}`, secret: `secret-value-${n}` },
      expiresAt: this.lifetimeMs === null ? null : this.t + this.lifetimeMs,
    };
  };

  credential(options: Omit<RefreshingOptions, 'now'> = {}): RefreshingCredential<Cred> {
    return new RefreshingCredential(this.obtain, {
      now: this.now,
      random: () => 1,
      ...options,
      settings: { ...SETTINGS, ...options.settings },
    });
  }
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('RefreshingCredential: obtaining and reusing', () => {
  it('obtains a credential on the first get and hands the same one out until renewal is due', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    const first = await credential.get();
    issuer.t += 1_000;
    const second = await credential.get();
    expect(first).toEqual({ id: 'cred-1', secret: 'secret-value-1' });
    expect(second).toBe(first);
    expect(issuer.calls).toBe(1);
  });

  it('renews once when ten callers ask at the same moment with nothing held', async () => {
    const issuer = new Issuer();
    const gate = deferred();
    issuer.gate = gate.promise;
    const credential = issuer.credential();
    const calls = Array.from({ length: 10 }, () => credential.get());
    await settle();
    expect(issuer.calls).toBe(1);
    gate.release();
    const values = await Promise.all(calls);
    expect(new Set(values).size).toBe(1);
    expect(values[0]?.id).toBe('cred-1');
    expect(issuer.calls).toBe(1);
  });

  it('gives every caller waiting on the single renewal the same coded error when it fails', async () => {
    const issuer = new Issuer();
    const gate = deferred();
    issuer.gate = gate.promise;
    issuer.failures.push(new JobError('PROVIDER_AUTH_FAILED', 'STS refused the role assumption'));
    const credential = issuer.credential();
    const calls = Array.from({ length: 5 }, () => rejectionOf(credential.get()));
    gate.release();
    const errors = await Promise.all(calls);
    expect(issuer.calls).toBe(1);
    expect(new Set(errors).size).toBe(1);
    expect(errors[0]).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', message: 'STS refused the role assumption' });
  });

  it('waits for a new credential once the held one has expired instead of handing out the expired one', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    issuer.t = T0 + LIFETIME;
    expect((await credential.get()).id).toBe('cred-2');
    expect(issuer.calls).toBe(2);
  });
});

describe('RefreshingCredential: when renewal starts', () => {
  it('does not renew before refreshAt of the lifetime has passed', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    issuer.t = T0 + LIFETIME / 2 - 1;
    await credential.get();
    await settle();
    expect(issuer.calls).toBe(1);
  });

  it('renews in the background at refreshAt of the lifetime, answering that call with the credential still held', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    issuer.t = T0 + LIFETIME / 2;
    expect((await credential.get()).id).toBe('cred-1');
    expect(issuer.calls).toBe(2);
    await settle();
    expect((await credential.get()).id).toBe('cred-2');
    expect(issuer.calls).toBe(2);
  });

  it('starts only one background renewal however many calls arrive while it runs', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    const gate = deferred();
    issuer.gate = gate.promise;
    issuer.t = T0 + LIFETIME / 2;
    const during = await Promise.all(Array.from({ length: 10 }, () => credential.get()));
    expect(during.every((c) => c.id === 'cred-1')).toBe(true);
    expect(issuer.calls).toBe(2);
    gate.release();
    await settle();
    expect((await credential.get()).id).toBe('cred-2');
    expect(issuer.calls).toBe(2);
  });

  it('measures the lifetime from when the credential arrived, not from when it was asked for', async () => {
    const issuer = new Issuer();
    issuer.latencyMs = 200_000;
    const credential = issuer.credential();
    await credential.get(); // arrives at T0+200 s, expires at T0+1200 s: renewal due at T0+700 s
    issuer.latencyMs = 0;
    issuer.t = T0 + 700_000 - 1;
    await credential.get();
    expect(issuer.calls).toBe(1);
    issuer.t = T0 + 700_000;
    await credential.get();
    expect(issuer.calls).toBe(2);
  });

  /** Asserts that nothing is renewed just before `due` (a fraction of the lifetime) and a renewal starts at it. */
  async function expectRenewalAt(credential: RefreshingCredential<Cred>, issuer: Issuer, due: number): Promise<void> {
    await credential.get();
    issuer.t = T0 + Math.round(LIFETIME * due) - 1;
    await credential.get();
    expect(issuer.calls).toBe(1);
    issuer.t += 1;
    await credential.get();
    expect(issuer.calls).toBe(2);
  }

  it('renews earlier by refreshJitter of the lifetime for the lowest random draw', async () => {
    const issuer = new Issuer();
    await expectRenewalAt(issuer.credential({ random: () => 0, settings: { refreshJitter: 0.1 } }), issuer, 0.4);
  });

  it('renews exactly at refreshAt for a middle random draw', async () => {
    const issuer = new Issuer();
    await expectRenewalAt(issuer.credential({ random: () => 0.5, settings: { refreshJitter: 0.1 } }), issuer, 0.5);
  });

  it('renews later by refreshJitter of the lifetime for the highest random draw', async () => {
    const issuer = new Issuer();
    await expectRenewalAt(issuer.credential({ random: () => 1, settings: { refreshJitter: 0.1 } }), issuer, 0.6);
  });

  it('never renews before 5% of the lifetime, whatever refreshAt says', async () => {
    const issuer = new Issuer();
    await expectRenewalAt(issuer.credential({ settings: { refreshAt: 0 } }), issuer, 0.05);
  });

  it('never waits past 95% of the lifetime to renew, whatever refreshAt says', async () => {
    const issuer = new Issuer();
    await expectRenewalAt(issuer.credential({ settings: { refreshAt: 1 } }), issuer, 0.95);
  });

  it('treats a credential without expiry as lasting unknownLifetimeMs when deciding to renew it', async () => {
    const issuer = new Issuer();
    issuer.lifetimeMs = null;
    const credential = issuer.credential({ settings: { unknownLifetimeMs: 60_000 } });
    await credential.get();
    issuer.t = T0 + 30_000 - 1;
    await credential.get();
    expect(issuer.calls).toBe(1);
    issuer.t = T0 + 30_000;
    expect((await credential.get()).id).toBe('cred-1');
    await settle();
    expect(issuer.calls).toBe(2);
    expect((await credential.get()).id).toBe('cred-2');
  });

  it('keeps using a credential without expiry for as long as its renewals fail', async () => {
    const issuer = new Issuer();
    issuer.lifetimeMs = null;
    const credential = issuer.credential();
    await credential.get();
    issuer.failures.push(new Error('down'), new Error('down'), new Error('down'));
    for (let i = 1; i <= 3; i++) {
      issuer.t = T0 + i * 10_000_000;
      expect((await credential.get()).id).toBe('cred-1');
      await settle();
    }
    expect(issuer.calls).toBe(4);
    expect(credential.health()).toEqual({ ok: true, expiresAt: null, obtained: 1 });
  });
});

describe('RefreshingCredential: failures and backoff', () => {
  it('fails fast with the same error, without asking again, until the backoff after a failure has passed', async () => {
    const issuer = new Issuer();
    issuer.failures.push(new JobError('CREDENTIALS_UNAVAILABLE', 'STS could not serve the call (HTTP 503)'));
    const credential = issuer.credential();
    const first = await rejectionOf(credential.get());
    issuer.t = T0 + 999;
    const second = await rejectionOf(credential.get());
    expect(second).toBe(first);
    expect(issuer.calls).toBe(1);
    issuer.t = T0 + 1_000;
    expect((await credential.get()).id).toBe('cred-1');
    expect(issuer.calls).toBe(2);
  });

  it('treats a credential that arrives already expired as a failure and backs off instead of asking on every call', async () => {
    const issuer = new Issuer();
    issuer.lifetimeMs = -1;
    const credential = issuer.credential();
    const err = (await rejectionOf(credential.get())) as JobError;
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.message).toMatch(/already expired/);
    await rejectionOf(credential.get());
    await rejectionOf(credential.get());
    expect(issuer.calls).toBe(1);
    expect(credential.health().ok).toBe(false);
  });

  it('doubles the wait after each consecutive failure, up to retryMaxMs', async () => {
    const issuer = new Issuer();
    issuer.failures = Array.from({ length: 6 }, () => new Error('down'));
    const credential = issuer.credential();
    await rejectionOf(credential.get());
    for (const wait of [1_000, 2_000, 4_000, 8_000, 8_000]) {
      const failedAt = issuer.t;
      const calls = issuer.calls;
      issuer.t = failedAt + wait - 1;
      await rejectionOf(credential.get());
      expect(issuer.calls).toBe(calls);
      issuer.t = failedAt + wait;
      await rejectionOf(credential.get());
      expect(issuer.calls).toBe(calls + 1);
    }
  });

  it('shortens each backoff by up to half with its random draw', async () => {
    const issuer = new Issuer();
    issuer.failures.push(new Error('down'));
    const credential = issuer.credential({ random: () => 0 });
    await rejectionOf(credential.get());
    issuer.t = T0 + 499;
    await rejectionOf(credential.get());
    expect(issuer.calls).toBe(1);
    issuer.t = T0 + 500;
    expect((await credential.get()).id).toBe('cred-1');
  });

  it('starts the backoff from the first step again after a success', async () => {
    const issuer = new Issuer();
    issuer.failures.push(new Error('down'), new Error('down'));
    const credential = issuer.credential();
    await rejectionOf(credential.get());
    issuer.t += 1_000;
    await rejectionOf(credential.get()); // second failure: the next wait would be 2 s
    issuer.t += 2_000;
    await credential.get();
    issuer.failures.push(new Error('down'));
    issuer.t += LIFETIME; // expired
    await rejectionOf(credential.get());
    const failedAt = issuer.t;
    issuer.t = failedAt + 1_000;
    expect((await credential.get()).id).toBe('cred-2');
  });

  it('keeps the valid credential when a background renewal fails and tries again only after the backoff', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    issuer.failures.push(new Error('down'));
    issuer.t = T0 + LIFETIME / 2;
    expect((await credential.get()).id).toBe('cred-1');
    await settle();
    expect(issuer.calls).toBe(2);
    issuer.t += 999;
    expect((await credential.get()).id).toBe('cred-1');
    await settle();
    expect(issuer.calls).toBe(2);
    issuer.t += 1;
    expect((await credential.get()).id).toBe('cred-1');
    await settle();
    expect(issuer.calls).toBe(3);
    expect((await credential.get()).id).toBe('cred-2');
  });

  it("fails fast with the renewal's error once the held credential expires while the backoff runs", async () => {
    const issuer = new Issuer();
    const credential = issuer.credential({ settings: { retryBaseMs: 60_000, retryMaxMs: 60_000 } });
    await credential.get();
    issuer.failures.push(new JobError('PROVIDER_AUTH_FAILED', 'STS refused the role assumption'));
    issuer.t = T0 + LIFETIME - 1;
    await credential.get(); // background renewal fails at T0+LIFETIME-1: next attempt at +60 s
    await settle();
    issuer.t = T0 + LIFETIME;
    await expect(credential.get()).rejects.toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
    expect(issuer.calls).toBe(2);
  });

  it('turns a transient coded error into CREDENTIALS_UNAVAILABLE, keeping its message and details', async () => {
    const issuer = new Issuer();
    const thrown = new JobError('PROVIDER_TIMEOUT', 'STS did not answer in time', { provider: 'STS' });
    issuer.failures.push(thrown);
    const err = await rejectionOf(issuer.credential().get());
    expect(err).toBeInstanceOf(JobError);
    expect(err).toMatchObject({
      code: 'CREDENTIALS_UNAVAILABLE',
      message: 'STS did not answer in time',
      details: { provider: 'STS' },
      cause: thrown,
    });
  });

  it('turns a permanent coded error into PROVIDER_AUTH_FAILED, keeping its message and details', async () => {
    const issuer = new Issuer();
    const thrown = new JobError('PROVIDER_FORBIDDEN', 'STS forbade the role assumption', { provider: 'STS' });
    issuer.failures.push(thrown);
    const err = await rejectionOf(issuer.credential().get());
    expect(err).toBeInstanceOf(JobError);
    expect(err).toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      message: 'STS forbade the role assumption',
      details: { provider: 'STS' },
      cause: thrown,
    });
  });

  it('passes CREDENTIALS_UNAVAILABLE and PROVIDER_AUTH_FAILED errors through unchanged', async () => {
    for (const thrown of [
      new JobError('CREDENTIALS_UNAVAILABLE', 'IAM throttled the call'),
      new JobError('PROVIDER_AUTH_FAILED', 'IAM refused the call'),
    ]) {
      const issuer = new Issuer();
      issuer.failures.push(thrown);
      expect(await rejectionOf(issuer.credential().get())).toBe(thrown);
    }
  });

  it('turns an uncoded failure into CREDENTIALS_UNAVAILABLE without repeating its message', async () => {
    const issuer = new Issuer();
    const raw = new Error('request to https://user:hunter2@proxy failed');
    issuer.failures.push(raw);
    const err = await rejectionOf(issuer.credential().get());
    expect(err).toBeInstanceOf(JobError);
    expect(err).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE', cause: raw });
    expect((err as JobError).message).not.toContain('hunter2');
  });
});

describe('RefreshingCredential: refusals', () => {
  it('fetches a new credential on the next get after the provider refused the held one', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    const used = await credential.get();
    credential.invalidate(used);
    expect((await credential.get()).id).toBe('cred-2');
    expect(issuer.calls).toBe(2);
  });

  it('ignores a refusal of a credential that was already replaced', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    const old = await credential.get();
    issuer.t = T0 + LIFETIME;
    const current = await credential.get();
    credential.invalidate(old);
    expect(await credential.get()).toBe(current);
    expect(issuer.calls).toBe(2);
  });

  it('ignores a refusal of an equal-looking credential that is not the one held', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    const held = await credential.get();
    credential.invalidate({ ...held });
    expect(await credential.get()).toBe(held);
    expect(issuer.calls).toBe(1);
  });

  it('never hands a refused credential out again, even when getting its replacement fails', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    const refused = await credential.get();
    credential.invalidate(refused);
    issuer.failures.push(new JobError('CREDENTIALS_UNAVAILABLE', 'STS could not serve the call'));
    await expect(credential.get()).rejects.toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE' });
    await expect(credential.get()).rejects.toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE' });
    expect(issuer.calls).toBe(2);
  });

  it('shares one renewal among all the callers that arrive after a refusal', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    credential.invalidate(await credential.get());
    const values = await Promise.all(Array.from({ length: 5 }, () => credential.get()));
    expect(values.every((v) => v.id === 'cred-2')).toBe(true);
    expect(issuer.calls).toBe(2);
  });
});

describe('RefreshingCredential: onRenewal', () => {
  it('reports every attempt with its outcome and expiry, and never the credential', async () => {
    const issuer = new Issuer();
    const reports: RenewalResult[] = [];
    const credential = issuer.credential({ onRenewal: (r) => reports.push(r) });
    await credential.get();
    issuer.failures.push(new JobError('PROVIDER_AUTH_FAILED', 'STS refused the role assumption'));
    issuer.t = T0 + LIFETIME;
    await rejectionOf(credential.get());
    expect(reports).toHaveLength(2);
    expect(reports[0]).toEqual({ ok: true, expiresAt: T0 + LIFETIME });
    expect(reports[1]).toMatchObject({ ok: false, error: { code: 'PROVIDER_AUTH_FAILED' } });
    expect(JSON.stringify(reports)).not.toContain('secret-value');
    expect(Object.keys(reports[0]!)).not.toContain('value');
  });

  it('does not report calls that were answered from the held credential or failed fast', async () => {
    const issuer = new Issuer();
    const reports: RenewalResult[] = [];
    const credential = issuer.credential({ onRenewal: (r) => reports.push(r) });
    issuer.failures.push(new Error('down'));
    await rejectionOf(credential.get());
    await rejectionOf(credential.get());
    issuer.t += 1_000;
    await credential.get();
    await credential.get();
    expect(reports.map((r) => r.ok)).toEqual([false, true]);
  });

  it('still hands out credentials when the onRenewal callback throws', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential({
      onRenewal: () => {
        throw new Error('log sink broken');
      },
    });
    expect((await credential.get()).id).toBe('cred-1');
    expect(credential.health()).toMatchObject({ ok: true, obtained: 1 });
  });
});

describe('RefreshingCredential: health', () => {
  it('is ok with nothing obtained and no expiry before the first get', () => {
    expect(new Issuer().credential().health()).toEqual({ ok: true, obtained: 0 });
  });

  it('reports the expiry and how many credentials were obtained, renewals included', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    expect(credential.health()).toEqual({ ok: true, expiresAt: T0 + LIFETIME, obtained: 1 });
    issuer.t = T0 + LIFETIME / 2;
    await credential.get();
    await settle();
    expect(credential.health()).toEqual({ ok: true, expiresAt: T0 + LIFETIME / 2 + LIFETIME, obtained: 2 });
  });

  it("reports the failure's code and message while no credential could be had", async () => {
    const issuer = new Issuer();
    issuer.failures.push(new JobError('PROVIDER_AUTH_FAILED', 'IAM refused the agency assumption'));
    const credential = issuer.credential();
    await rejectionOf(credential.get());
    expect(credential.health()).toEqual({
      ok: false,
      error: { code: 'PROVIDER_AUTH_FAILED', message: 'IAM refused the agency assumption' },
      obtained: 0,
    });
  });

  it('stays ok, without an error, while a failed renewal leaves the held credential valid', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    issuer.failures.push(new Error('down'));
    issuer.t = T0 + LIFETIME / 2;
    await credential.get();
    await settle();
    expect(issuer.calls).toBe(2);
    expect(credential.health()).toEqual({ ok: true, expiresAt: T0 + LIFETIME, obtained: 1 });
  });

  it('turns not ok once the held credential expires after a failed renewal', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    issuer.failures.push(new Error('down'));
    issuer.t = T0 + LIFETIME / 2;
    await credential.get();
    await settle();
    issuer.t = T0 + LIFETIME;
    expect(credential.health()).toEqual({
      ok: false,
      error: { code: 'CREDENTIALS_UNAVAILABLE', message: 'credentials could not be obtained' },
      expiresAt: T0 + LIFETIME,
      obtained: 1,
    });
  });

  it('turns ok again after a successful renewal', async () => {
    const issuer = new Issuer();
    issuer.failures.push(new Error('down'));
    const credential = issuer.credential();
    await rejectionOf(credential.get());
    issuer.t += 1_000;
    await credential.get();
    expect(credential.health()).toEqual({ ok: true, expiresAt: issuer.t + LIFETIME, obtained: 1 });
  });

  it('never contains any part of the credential', async () => {
    const issuer = new Issuer();
    const credential = issuer.credential();
    await credential.get();
    expect(JSON.stringify(credential.health())).not.toMatch(/cred-1|secret-value/);
  });
});

describe('FixedCredential', () => {
  it('hands out the same value on every get, even after a refusal', async () => {
    const value = { accessKeyId: 'LTAIexample', accessKeySecret: 'fixed-secret' };
    const fixed = new FixedCredential(value);
    expect(await fixed.get()).toBe(value);
    fixed.invalidate();
    expect(await fixed.get()).toBe(value);
  });

  it('reports itself healthy, never expiring, with one credential obtained', () => {
    expect(new FixedCredential({ token: 't' }).health()).toEqual({ ok: true, expiresAt: null, obtained: 1 });
  });
});

describe('isCredentialSource', () => {
  it('recognises fixed and refreshing credentials as sources', () => {
    expect(isCredentialSource(new FixedCredential({ token: 't' }))).toBe(true);
    expect(isCredentialSource(new Issuer().credential())).toBe(true);
  });

  it('tells a plain credential object from a source, even one with a non-function get field', () => {
    expect(isCredentialSource<object>({ accessKeyId: 'LTAIexample', accessKeySecret: 's' })).toBe(false);
    expect(isCredentialSource<object>({ get: 'not a function' })).toBe(false);
  });
});
