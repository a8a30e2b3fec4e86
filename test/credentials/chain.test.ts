/**
 * ChainCredential: the first step that yields is used from then on, steps are built lazily and
 * once, and a chain with no usable step fails with one coded error naming each step's code.
 */
import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { ChainCredential, type ChainStep } from '../../src/credentials/chain.js';
import { FixedCredential, type CredentialHealth, type CredentialSource } from '../../src/credentials/refreshing.js';

interface Keys {
  ak: string;
}

/** A step whose source answers from a script, counting how often it was built and asked. */
class ScriptedStep implements CredentialSource<Keys> {
  built = 0;
  asked = 0;
  readonly signals: Array<AbortSignal | undefined> = [];
  readonly invalidated: Keys[] = [];
  /** Answers of the next gets, in order; the last one repeats. */
  constructor(
    readonly name: string,
    readonly answers: Array<Keys | Error>,
  ) {}

  get step(): ChainStep<Keys> {
    return {
      name: this.name,
      source: () => {
        this.built++;
        return this;
      },
    };
  }

  get(signal?: AbortSignal): Promise<Keys> {
    this.asked++;
    this.signals.push(signal);
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }

  invalidate(used: Keys): void {
    this.invalidated.push(used);
  }

  health(): CredentialHealth {
    return { ok: true, expiresAt: 1_767_225_600_000, obtained: 7 };
  }
}

const ENV_KEYS = { ak: 'env-ak' };
const PROFILE_KEYS = { ak: 'profile-ak' };
const unavailable = () => new JobError('CREDENTIALS_UNAVAILABLE', 'no Alibaba CLI profile or credentials file');

describe('ChainCredential', () => {
  it('uses the first step that yields a credential and never builds the steps after it', async () => {
    const env = new ScriptedStep('environment', [ENV_KEYS]);
    const profile = new ScriptedStep('profile files', [PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [env.step, profile.step]);
    expect(await chain.get()).toBe(ENV_KEYS);
    expect(profile.built).toBe(0);
    expect(profile.asked).toBe(0);
  });

  it('builds no step at all until the first get', () => {
    const env = new ScriptedStep('environment', [ENV_KEYS]);
    const chain = new ChainCredential('account prod', [env.step]);
    chain.health();
    chain.invalidate(ENV_KEYS);
    expect(env.built).toBe(0);
  });

  it('walks past failing steps, in order, to the first one that yields', async () => {
    const order: string[] = [];
    const steps = ['environment', 'RRSA', 'profile files'].map((name, i): ChainStep<Keys> => ({
      name,
      source: () => ({
        get: () => {
          order.push(name);
          return i < 2 ? Promise.reject(unavailable()) : Promise.resolve(PROFILE_KEYS);
        },
        invalidate: () => undefined,
        health: () => ({ ok: true, obtained: 0 }),
      }),
    }));
    const chain = new ChainCredential('account prod', steps);
    expect(await chain.get()).toBe(PROFILE_KEYS);
    expect(order).toEqual(['environment', 'RRSA', 'profile files']);
  });

  it('goes on to the next step when a step throws while being built, as a vendor step can', async () => {
    const broken: ChainStep<Keys> = {
      name: 'profile files',
      source: () => {
        throw new Error('the CLI profile is disabled');
      },
    };
    const metadata = new ScriptedStep('ECS metadata', [PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [broken, metadata.step]);
    expect(await chain.get()).toEqual(PROFILE_KEYS);
    expect(metadata.asked).toBe(1);
  });

  it('sticks to the chosen step from then on, even once an earlier step could answer', async () => {
    const env = new ScriptedStep('environment', [unavailable(), ENV_KEYS]);
    const profile = new ScriptedStep('profile files', [PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [env.step, profile.step]);
    expect(await chain.get()).toBe(PROFILE_KEYS);
    expect(await chain.get()).toBe(PROFILE_KEYS);
    expect(await chain.get()).toBe(PROFILE_KEYS);
    expect(env.asked).toBe(1);
    expect(profile.asked).toBe(3);
  });

  it("passes the chosen step's later failures on instead of walking the chain again", async () => {
    const env = new ScriptedStep('environment', [ENV_KEYS, new JobError('PROVIDER_AUTH_FAILED', 'refused')]);
    const profile = new ScriptedStep('profile files', [PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [env.step, profile.step]);
    await chain.get();
    await expect(chain.get()).rejects.toMatchObject({ code: 'PROVIDER_AUTH_FAILED', message: 'refused' });
    expect(profile.built).toBe(0);
  });

  it("builds each step's source once, however often the chain is walked", async () => {
    const env = new ScriptedStep('environment', [unavailable()]);
    const profile = new ScriptedStep('profile files', [unavailable(), unavailable(), PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [env.step, profile.step]);
    await expect(chain.get()).rejects.toThrow(JobError);
    await expect(chain.get()).rejects.toThrow(JobError);
    expect(await chain.get()).toBe(PROFILE_KEYS);
    expect([env.built, profile.built]).toEqual([1, 1]);
    expect([env.asked, profile.asked]).toEqual([3, 3]);
  });

  it("fails with CREDENTIALS_UNAVAILABLE naming the chain and each step's error code", async () => {
    const chain = new ChainCredential('account prod', [
      new ScriptedStep('environment', [new JobError('PROVIDER_AUTH_FAILED', 'refused')]).step,
      new ScriptedStep('profile files', [unavailable()]).step,
      new ScriptedStep('ECS metadata', [new TypeError('fetch failed')]).step,
    ]);
    const err: unknown = await chain.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err).toMatchObject({
      code: 'CREDENTIALS_UNAVAILABLE',
      message:
        'no credential in the default chain for account prod ' +
        '(environment: PROVIDER_AUTH_FAILED; profile files: CREDENTIALS_UNAVAILABLE; ECS metadata: failed)',
    });
  });

  it("never repeats a step's error message, which may carry what the step read", async () => {
    const leaky = new Error('profile [default] access_key_secret = hunter2');
    const chain = new ChainCredential('account prod', [new ScriptedStep('profile files', [leaky]).step]);
    const err = (await chain.get().catch((e: unknown) => e)) as JobError;
    expect(err.message).not.toContain('hunter2');
  });

  it("passes the caller's abort signal to the steps it asks", async () => {
    const env = new ScriptedStep('environment', [unavailable()]);
    const profile = new ScriptedStep('profile files', [PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [env.step, profile.step]);
    const first = new AbortController().signal;
    const second = new AbortController().signal;
    await chain.get(first);
    await chain.get(second);
    expect(env.signals).toEqual([first]);
    expect(profile.signals).toEqual([first, second]);
  });

  it('forwards a refusal to the chosen step only', async () => {
    const env = new ScriptedStep('environment', [unavailable()]);
    const profile = new ScriptedStep('profile files', [PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [env.step, profile.step]);
    chain.invalidate(PROFILE_KEYS); // nothing chosen yet: nobody to tell
    expect(profile.invalidated).toEqual([]);
    await chain.get();
    chain.invalidate(PROFILE_KEYS);
    expect(profile.invalidated).toEqual([PROFILE_KEYS]);
    expect(env.invalidated).toEqual([]);
  });

  it('is healthy with nothing obtained before the first get', () => {
    const chain = new ChainCredential('account prod', [new ScriptedStep('environment', [ENV_KEYS]).step]);
    expect(chain.health()).toEqual({ ok: true, obtained: 0 });
  });

  it('reports the failed walk in its health until a step yields', async () => {
    const profile = new ScriptedStep('profile files', [unavailable(), PROFILE_KEYS]);
    const chain = new ChainCredential('account prod', [profile.step]);
    await chain.get().catch(() => undefined);
    expect(chain.health()).toEqual({
      ok: false,
      error: {
        code: 'CREDENTIALS_UNAVAILABLE',
        message: 'no credential in the default chain for account prod (profile files: CREDENTIALS_UNAVAILABLE)',
      },
      obtained: 0,
    });
    await chain.get();
    expect(chain.health()).toEqual(profile.health());
  });

  it("reports the chosen step's own health once one has yielded", async () => {
    const chain = new ChainCredential('account prod', [
      { name: 'environment', source: () => new FixedCredential(ENV_KEYS) },
    ]);
    await chain.get();
    expect(chain.health()).toEqual({ ok: true, expiresAt: null, obtained: 1 });
  });
});
