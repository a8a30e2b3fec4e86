import { describe, expect, it } from 'vitest';
import { JobError } from '../src/errors.js';
import { resolveJobRef, validateJobKey } from '../src/refs.js';

const defaults = {
  alibabaRegion: 'cn-hangzhou',
  huaweiRegion: 'cn-north-4',
  huaweiProjectId: '0123456789abcdef0123456789abcdef',
};
const none = { alibabaRegion: null, huaweiRegion: null, huaweiProjectId: null };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof JobError ? err.code : 'NOT_A_JOB_ERROR';
  }
  return undefined;
}

describe('resolveJobRef', () => {
  it('fills region and project from configuration per vendor', () => {
    expect(resolveJobRef({ provider: 'NLB', jobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****' }, defaults)).toEqual({
      provider: 'NLB',
      region: 'cn-hangzhou',
      projectId: null,
      jobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****',
    });
    expect(resolveJobRef({ provider: 'DLI', jobId: 'abc' }, defaults)).toMatchObject({
      region: 'cn-north-4',
      projectId: defaults.huaweiProjectId,
    });
  });

  it('keeps explicit region and project over the defaults', () => {
    const key = resolveJobRef(
      { provider: 'CFW', jobId: 'j', region: 'eu-west-101', projectId: 'ffffffffffffffffffffffffffffffff' },
      defaults,
    );
    expect(key).toMatchObject({ region: 'eu-west-101', projectId: 'ffffffffffffffffffffffffffffffff' });
  });

  it('ignores projectId for Alibaba providers', () => {
    expect(resolveJobRef({ provider: 'DATAWORKS', jobId: 'j', projectId: 'whatever' }, defaults).projectId).toBeNull();
  });

  it('is BAD_USER_INPUT when region or project is missing everywhere', () => {
    expect(codeOf(() => resolveJobRef({ provider: 'NLB', jobId: 'j' }, none))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => resolveJobRef({ provider: 'DLI', jobId: 'j', region: 'cn-north-4' }, none))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it.each(['', ' ', 'a b', 'a/b', '../x', 'x?y=1', 'x#y', '%2F', 'a'.repeat(65), 'ünï', 'line\nbreak'])(
    'rejects the job id %j',
    (jobId) => {
      expect(codeOf(() => resolveJobRef({ provider: 'DLI', jobId }, defaults))).toBe('BAD_USER_INPUT');
    },
  );

  it.each(['Hangzhou', 'cn_hangzhou', 'cn-hangzhou.evil.com', 'x'])('rejects the region %j', (region) => {
    expect(codeOf(() => resolveJobRef({ provider: 'NLB', jobId: 'j', region }, defaults))).toBe('BAD_USER_INPUT');
  });

  it("accepts each provider's documented id shapes", () => {
    const ok: [string, string][] = [
      ['DATAWORKS', 'C664CDE3-9C0B-5792-B17F-6C543783BBBC'],
      ['NLB', '72dcd26b-f12d-4c27-b3af-18f6aed5****'],
      ['CFW', 'f588ce71-e26c-400d-8981-f854355f6849'],
      ['DLI', '208b08d4-0dc2-4dd7-8879-ddd4c020d7aa'],
      ['WORKSPACE', '575768277444198400'],
    ];
    for (const [provider, jobId] of ok)
      expect(codeOf(() => resolveJobRef({ provider: provider as 'DLI', jobId }, defaults))).toBeUndefined();
    expect(codeOf(() => resolveJobRef({ provider: 'DLI', jobId: 'abc****' }, defaults))).toBe('BAD_USER_INPUT');
  });

  it('rejects a project id that is not 32 hex characters', () => {
    expect(codeOf(() => resolveJobRef({ provider: 'WORKSPACE', jobId: 'j', projectId: 'ABCDEF' }, defaults))).toBe(
      'BAD_USER_INPUT',
    );
  });
});

describe('validateJobKey', () => {
  it('rejects an Alibaba key that carries a project', () => {
    expect(
      codeOf(() => validateJobKey({ provider: 'NLB', region: 'cn-hangzhou', projectId: 'p', jobId: 'j' }, defaults)),
    ).toBe('BAD_USER_INPUT');
  });
});
