import { describe, expect, it, vi } from 'vitest';
import { JobError } from '../src/errors.js';
import { resolveJobRef, validateJobKey, type ProjectLookup } from '../src/refs.js';
import { refDefaults } from './helpers/ref-defaults.js';

const PROJECT = '0123456789abcdef0123456789abcdef';
const defaults = refDefaults({ alibabaRegion: 'cn-hangzhou', huaweiRegion: 'cn-north-4', huaweiProjectId: PROJECT });
const none = refDefaults({ alibabaRegion: null, huaweiRegion: null, huaweiProjectId: null });

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return err instanceof JobError ? err.code : 'NOT_A_JOB_ERROR';
  }
  return undefined;
}

describe('resolveJobRef', () => {
  it('fills region and project from the default account per vendor', async () => {
    expect(await resolveJobRef({ provider: 'NLB', jobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****' }, defaults)).toEqual({
      provider: 'NLB',
      account: null,
      region: 'cn-hangzhou',
      projectId: null,
      jobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****',
    });
    expect(await resolveJobRef({ provider: 'DLI', jobId: 'abc' }, defaults)).toMatchObject({
      account: null,
      region: 'cn-north-4',
      projectId: PROJECT,
    });
  });

  it('keeps explicit region and project over the defaults', async () => {
    const key = await resolveJobRef(
      { provider: 'CFW', jobId: 'j', region: 'eu-west-101', projectId: 'ffffffffffffffffffffffffffffffff' },
      defaults,
    );
    expect(key).toMatchObject({ region: 'eu-west-101', projectId: 'ffffffffffffffffffffffffffffffff' });
  });

  it('ignores projectId for Alibaba providers', async () => {
    expect(
      (await resolveJobRef({ provider: 'DATAWORKS', jobId: 'j', projectId: 'whatever' }, defaults)).projectId,
    ).toBeNull();
  });

  it('is BAD_USER_INPUT when region or project is missing everywhere', async () => {
    expect(await codeOf(resolveJobRef({ provider: 'NLB', jobId: 'j' }, none))).toBe('BAD_USER_INPUT');
    expect(await codeOf(resolveJobRef({ provider: 'DLI', jobId: 'j', region: 'cn-north-4' }, none))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('applies the default project only in its own region: another region without a lookup is BAD_USER_INPUT naming it', async () => {
    const err = await resolveJobRef({ provider: 'DLI', jobId: 'j', region: 'cn-east-3' }, defaults).catch((e) => e);
    expect(err).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((err as Error).message).toContain('cn-east-3');
  });

  it('looks an unmapped region up with the account, and uses what it finds', async () => {
    const lookup: ProjectLookup = { projectFor: vi.fn(async () => 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee') };
    const withLookup = refDefaults({
      alibabaRegion: 'cn-hangzhou',
      huaweiRegion: 'cn-north-4',
      huaweiProjectId: PROJECT,
      projects: lookup,
    });
    const key = await resolveJobRef({ provider: 'DLI', jobId: 'j', region: 'cn-east-3' }, withLookup);
    expect(key.projectId).toBe('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee');
    expect(lookup.projectFor).toHaveBeenCalledWith(null, 'cn-east-3');
    // The mapped region never asks.
    await resolveJobRef({ provider: 'DLI', jobId: 'j' }, withLookup);
    expect(lookup.projectFor).toHaveBeenCalledTimes(1);
  });

  it.each(['', ' ', 'a b', 'a/b', '../x', 'x?y=1', 'x#y', '%2F', 'a'.repeat(65), 'ünï', 'line\nbreak'])(
    'rejects the job id %j',
    async (jobId) => {
      expect(await codeOf(resolveJobRef({ provider: 'DLI', jobId }, defaults))).toBe('BAD_USER_INPUT');
    },
  );

  it.each(['Hangzhou', 'cn_hangzhou', 'cn-hangzhou.evil.com', 'x'])('rejects the region %j', async (region) => {
    expect(await codeOf(resolveJobRef({ provider: 'NLB', jobId: 'j', region }, defaults))).toBe('BAD_USER_INPUT');
  });

  it("accepts each provider's documented id shapes", async () => {
    const ok: [string, string][] = [
      ['DATAWORKS', 'C664CDE3-9C0B-5792-B17F-6C543783BBBC'],
      ['NLB', '72dcd26b-f12d-4c27-b3af-18f6aed5****'],
      ['CFW', 'f588ce71-e26c-400d-8981-f854355f6849'],
      ['DLI', '208b08d4-0dc2-4dd7-8879-ddd4c020d7aa'],
      ['WORKSPACE', '575768277444198400'],
    ];
    for (const [provider, jobId] of ok)
      expect(await codeOf(resolveJobRef({ provider: provider as 'DLI', jobId }, defaults))).toBeUndefined();
    expect(await codeOf(resolveJobRef({ provider: 'DLI', jobId: 'abc****' }, defaults))).toBe('BAD_USER_INPUT');
  });

  it('rejects a project id that is not 32 hex characters', async () => {
    expect(await codeOf(resolveJobRef({ provider: 'WORKSPACE', jobId: 'j', projectId: 'ABCDEF' }, defaults))).toBe(
      'BAD_USER_INPUT',
    );
  });
});

describe('resolveJobRef with several accounts', () => {
  const accounts = refDefaults({
    alibabaRegion: 'cn-hangzhou',
    huaweiRegion: 'cn-north-4',
    huaweiProjectId: PROJECT,
    others: [
      { name: 'ali-b', cloud: 'alibaba', defaultRegion: 'cn-shanghai', projects: {} },
      { name: 'hw-b', cloud: 'huawei', defaultRegion: 'cn-east-3', projects: { 'cn-east-3': 'b'.repeat(32) } },
    ],
  });

  it("keys a named account by its name and takes that account's region and projects", async () => {
    expect(await resolveJobRef({ provider: 'NLB', jobId: 'j', account: 'ali-b' }, accounts)).toMatchObject({
      account: 'ali-b',
      region: 'cn-shanghai',
    });
    expect(await resolveJobRef({ provider: 'DLI', jobId: 'j', account: 'hw-b' }, accounts)).toMatchObject({
      account: 'hw-b',
      region: 'cn-east-3',
      projectId: 'b'.repeat(32),
    });
  });

  it('makes a ref naming the default account the same key as one naming none', async () => {
    expect(await resolveJobRef({ provider: 'NLB', jobId: 'j', account: 'default' }, accounts)).toEqual(
      await resolveJobRef({ provider: 'NLB', jobId: 'j' }, accounts),
    );
  });

  it('is BAD_USER_INPUT for an unknown account or one of the other cloud, naming the valid ones', async () => {
    const unknown = await resolveJobRef({ provider: 'NLB', jobId: 'j', account: 'nope' }, accounts).catch((e) => e);
    expect(unknown).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((unknown as Error).message).toMatch(/ali-b/);
    const other = await resolveJobRef({ provider: 'NLB', jobId: 'j', account: 'hw-b' }, accounts).catch((e) => e);
    expect(other).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((other as Error).message).toMatch(/huawei account/);
  });

  it('is FORBIDDEN for an account outside JOBS_ALLOW_ACCOUNTS, the default one by its name', async () => {
    const allow = { ...accounts, allow: { providers: [], accounts: ['ali-b'], regions: [], projects: [] } };
    expect(await codeOf(resolveJobRef({ provider: 'NLB', jobId: 'j', account: 'ali-b' }, allow))).toBeUndefined();
    expect(await codeOf(resolveJobRef({ provider: 'NLB', jobId: 'j' }, allow))).toBe('FORBIDDEN');
  });
});

describe('validateJobKey', () => {
  it('rejects an Alibaba key that carries a project', async () => {
    expect(
      await codeOf(
        validateJobKey({ provider: 'NLB', account: null, region: 'cn-hangzhou', projectId: 'p', jobId: 'j' }, defaults),
      ),
    ).toBe('BAD_USER_INPUT');
  });
});

describe('regions a provider is not offered in (src/providers/regions.ts)', () => {
  /** Defaults whose project lookup counts its calls: the IAM lookup is a call too. */
  function counting() {
    const lookup: ProjectLookup = { projectFor: vi.fn(async () => 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee') };
    return {
      lookup,
      defaults: refDefaults({
        alibabaRegion: 'cn-hangzhou',
        huaweiRegion: 'cn-north-4',
        huaweiProjectId: PROJECT,
        projects: lookup,
      }),
    };
  }

  it.each([
    [
      'a typo',
      'CFW',
      'cn-nrth-4',
      /CFW is not offered in region cn-nrth-4 \(did you mean cn-north-4\?\); CFW regions: /,
    ],
    ['a region of the other cloud', 'NLB', 'cn-north-4', /cn-north-4 is a region of Huawei Cloud, but NLB runs on/],
    ['a region of the other cloud', 'DLI', 'cn-shanghai', /cn-shanghai is a region of Alibaba Cloud, but DLI runs on/],
    [
      'Workspace in eu-west-101',
      'WORKSPACE',
      'eu-west-101',
      /WORKSPACE is not offered in region eu-west-101; WORKSPACE regions: af-north-1, /,
    ],
    [
      'a region the service never reached',
      'CFW',
      'ru-northwest-2',
      /CFW is not offered in region ru-northwest-2; CFW regions: /,
    ],
  ] as const)(
    'refuses %s (%s in %s) with BAD_USER_INPUT and makes no lookup',
    async (_what, provider, region, message) => {
      const { lookup, defaults: d } = counting();
      const err = await resolveJobRef({ provider, jobId: 'j', region }, d).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobError);
      expect(err).toMatchObject({ code: 'BAD_USER_INPUT', details: { provider } });
      expect((err as Error).message).toMatch(message);
      expect(lookup.projectFor).not.toHaveBeenCalled();
    },
  );

  it("refuses an account's default region the provider is not offered in", async () => {
    const euro = refDefaults({ alibabaRegion: 'cn-hangzhou', huaweiRegion: 'eu-west-0', huaweiProjectId: PROJECT });
    expect(await codeOf(resolveJobRef({ provider: 'DLI', jobId: 'j' }, euro))).toBeUndefined();
    const err = await resolveJobRef({ provider: 'CFW', jobId: 'j' }, euro).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^CFW is not offered in region eu-west-0/);
  });

  it('refuses a global id decoded with a region of the other cloud', async () => {
    const key = { provider: 'DATAWORKS' as const, account: null, region: 'cn-north-4', projectId: null, jobId: 'j' };
    expect(await codeOf(validateJobKey(key, defaults))).toBe('BAD_USER_INPUT');
  });

  it('accepts a DataWorks region served by the central endpoint', async () => {
    expect(await resolveJobRef({ provider: 'DATAWORKS', jobId: 'j', region: 'cn-qingdao' }, defaults)).toMatchObject({
      region: 'cn-qingdao',
    });
  });
});
