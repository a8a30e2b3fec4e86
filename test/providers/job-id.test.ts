import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { fromGlobalId, toGlobalId } from '../../src/providers/job-id.js';

describe('global job ids', () => {
  it('round-trips keys, including job ids that contain colons', () => {
    const keys = [
      {
        provider: 'DLI' as const,
        account: null,
        region: 'cn-north-4',
        projectId: '48cc2c48765f481480c7db940d6409d1',
        jobId: '6d2146a0-c2d5-41bd-8ca0-ca9694ada992',
      },
      { provider: 'NLB' as const, account: null, region: 'cn-hangzhou', projectId: null, jobId: 'a:b:c' },
    ];
    for (const key of keys) expect(fromGlobalId(toGlobalId(key))).toEqual(key);
    expect(toGlobalId(keys[1]!)).toBe('NLB:cn-hangzhou:-:a:b:c');
  });

  it.each(['', 'DLI', 'DLI:cn-north-4', 'DLI:cn-north-4:p', 'AWS:us-east-1:-:j', 'DLI::p:j'])(
    'rejects %j as BAD_USER_INPUT',
    (id) => {
      expect(() => fromGlobalId(id)).toThrow(JobError);
      try {
        fromGlobalId(id);
      } catch (err) {
        expect((err as JobError).code).toBe('BAD_USER_INPUT');
      }
    },
  );
});
