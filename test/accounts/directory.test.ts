import { describe, expect, it } from 'vitest';
import { AccountDirectory, type AccountInfo } from '../../src/accounts/directory.js';
import { DEFAULT_ACCOUNT_NAME } from '../../src/accounts/spec.js';
import { JobError } from '../../src/errors.js';

const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

const ali = (name: string, defaultRegion: string | null = 'cn-hangzhou'): AccountInfo => ({
  name,
  cloud: 'alibaba',
  defaultRegion,
  projects: {},
});
const hw = (name: string, projects: Record<string, string> = {}): AccountInfo => ({
  name,
  cloud: 'huawei',
  defaultRegion: 'cn-north-4',
  projects,
});

/** The JobError keyAccount throws (fails the test when it returns). */
function errorOf(run: () => unknown): JobError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(JobError);
    return err as JobError;
  }
  throw new Error('expected keyAccount to throw');
}

describe('AccountDirectory: defaults', () => {
  it('takes each cloud’s default from the defaults it is given', () => {
    const dir = new AccountDirectory([ali('a1'), ali('a2'), hw('h1'), hw('h2')], { alibaba: 'a2', huawei: 'h1' });
    expect(dir.defaultOf('alibaba')?.name).toBe('a2');
    expect(dir.defaultOf('huawei')?.name).toBe('h1');
  });

  it('makes the only account of a cloud its default without being told', () => {
    const dir = new AccountDirectory([ali('solo'), hw('h1'), hw('h2')]);
    expect(dir.defaultOf('alibaba')?.name).toBe('solo');
    expect(dir.defaultOf('huawei')).toBeUndefined();
  });

  it('has no default for a cloud without accounts', () => {
    const dir = new AccountDirectory([ali('a')]);
    expect(dir.defaultOf('huawei')).toBeUndefined();
  });

  it('ignores a default that names an account of the other cloud', () => {
    const dir = new AccountDirectory([ali('a1'), ali('a2'), hw('h1'), hw('h2')], { alibaba: 'h1' });
    expect(dir.defaultOf('alibaba')).toBeUndefined();
  });

  it('tells apart two accounts of the same name in different clouds', () => {
    const dir = new AccountDirectory([ali('shared', 'cn-shanghai'), hw('shared', { 'cn-north-4': PROJECT })]);
    expect(dir.list()).toHaveLength(2);
    expect(dir.get('alibaba', 'shared')?.defaultRegion).toBe('cn-shanghai');
    expect(dir.get('huawei', 'shared')?.projects).toEqual({ 'cn-north-4': PROJECT });
  });
});

describe('AccountDirectory.list and get', () => {
  const accounts = [ali('a1'), ali('a2'), hw('h1')];
  const dir = new AccountDirectory(accounts, { alibaba: 'a1' });

  it('lists every account', () => {
    expect(dir.list()).toEqual(accounts);
  });

  it('gives the cloud’s default for a null key account and the named account otherwise', () => {
    expect(dir.get('alibaba', null)).toEqual(ali('a1'));
    expect(dir.get('alibaba', 'a2')).toEqual(ali('a2'));
    expect(dir.get('huawei', null)).toEqual(hw('h1'));
  });

  it('finds no account of another cloud or an unknown name', () => {
    expect(dir.get('huawei', 'a2')).toBeUndefined();
    expect(dir.get('alibaba', 'nope')).toBeUndefined();
  });
});

describe('AccountDirectory.keyAccount', () => {
  const dir = new AccountDirectory([ali('prod'), ali('retail'), hw('hw-main'), hw('hw-staging')], {
    alibaba: 'prod',
    huawei: 'hw-main',
  });

  it.each([undefined, null])('gives null for a ref naming no account (%s)', (requested) => {
    expect(dir.keyAccount('DATAWORKS', requested)).toBeNull();
    expect(dir.keyAccount('DLI', requested)).toBeNull();
  });

  it('gives null for a ref naming the cloud’s default account, so both forms are one key', () => {
    expect(dir.keyAccount('NLB', 'prod')).toBeNull();
    expect(dir.keyAccount('CFW', 'hw-main')).toBeNull();
  });

  it('gives the name for any other account of the provider’s cloud', () => {
    expect(dir.keyAccount('DATAWORKS', 'retail')).toBe('retail');
    expect(dir.keyAccount('WORKSPACE', 'hw-staging')).toBe('hw-staging');
  });

  it('rejects an unknown account as BAD_USER_INPUT, listing the cloud’s accounts', () => {
    const err = errorOf(() => dir.keyAccount('NLB', 'retial'));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.details).toEqual({ provider: 'NLB' });
    expect(err.message).toBe('unknown account "retial" for NLB (alibaba accounts: prod, retail)');
  });

  it('rejects an account of the other cloud as BAD_USER_INPUT, saying which cloud it belongs to', () => {
    const err = errorOf(() => dir.keyAccount('DLI', 'retail'));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.details).toEqual({ provider: 'DLI' });
    expect(err.message).toMatch(/^account "retail" is an? alibaba account; DLI jobs need an? huawei account$/);
    expect(errorOf(() => dir.keyAccount('DATAWORKS', 'hw-main')).message).toMatch(
      /^account "hw-main" is an? huawei account; DATAWORKS jobs need an? alibaba account$/,
    );
  });

  it('rejects a ref naming no account when the cloud has several and no default, listing them', () => {
    const noDefault = new AccountDirectory([ali('prod'), hw('h1'), hw('h2')]);
    expect(noDefault.keyAccount('NLB', undefined)).toBeNull();
    const err = errorOf(() => noDefault.keyAccount('CFW', null));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.details).toEqual({ provider: 'CFW' });
    expect(err.message).toBe('CFW refs must name an account (no default huawei account is configured): one of h1, h2');
    // A named account still works without a default.
    expect(noDefault.keyAccount('CFW', 'h2')).toBe('h2');
  });

  it('gives null for a ref naming no account when the cloud has no accounts at all', () => {
    const empty = new AccountDirectory([]);
    expect(empty.keyAccount('DATAWORKS', undefined)).toBeNull();
    expect(empty.keyAccount('DLI', null)).toBeNull();
  });

  it('rejects any named account when the cloud has none, without listing accounts', () => {
    const err = errorOf(() => new AccountDirectory([ali('prod')]).keyAccount('DLI', 'hw'));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.message).toBe('unknown account "hw" for DLI');
  });

  it('truncates a very long requested name in the message', () => {
    const long = 'x'.repeat(200);
    const message = errorOf(() => dir.keyAccount('NLB', long)).message;
    expect(message).toContain(`"${'x'.repeat(37)}..."`);
    expect(message).not.toContain('x'.repeat(38));
  });
});

describe('AccountDirectory.nameOf', () => {
  it('names the cloud’s default account for a null key account, and the key’s name otherwise', () => {
    const dir = new AccountDirectory([ali('prod'), ali('retail'), hw('hw-main')], { alibaba: 'prod' });
    expect(dir.nameOf('alibaba', null)).toBe('prod');
    expect(dir.nameOf('huawei', null)).toBe('hw-main');
    expect(dir.nameOf('alibaba', 'retail')).toBe('retail');
  });

  it(`falls back to '${DEFAULT_ACCOUNT_NAME}' for a cloud without a default account`, () => {
    const dir = new AccountDirectory([ali('a1'), ali('a2')]);
    expect(dir.nameOf('alibaba', null)).toBe(DEFAULT_ACCOUNT_NAME);
    expect(dir.nameOf('huawei', null)).toBe('default');
  });

  it('round-trips with keyAccount: the key of a named account names it back', () => {
    const dir = new AccountDirectory([ali('prod'), ali('retail')], { alibaba: 'prod' });
    for (const name of ['prod', 'retail']) {
      expect(dir.nameOf('alibaba', dir.keyAccount('DATAWORKS', name))).toBe(name);
    }
  });
});
