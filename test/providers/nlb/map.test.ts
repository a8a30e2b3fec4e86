import { describe, it, expect } from 'vitest';
import { NLB_STATES, mapNlbJob } from '../../../src/providers/nlb/map.js';
import type { JobKey } from '../../../src/providers/types.js';

const KEY: JobKey = {
  provider: 'NLB',
  account: null,
  region: 'cn-hangzhou',
  projectId: null,
  jobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****',
};

/** The API page's sample success response, verbatim (docs/providers.md#nlb-getjobstatus). */
const SEED = `{
  "RequestId": "365F4154-92F6-4AE4-92F8-7FF34B540710",
  "Status": "Succeeded"
}`;

describe('mapNlbJob', () => {
  it('maps the seed example field by field', () => {
    expect(mapNlbJob(KEY, SEED, null)).toEqual({
      provider: 'NLB',
      id: 'NLB:cn-hangzhou:-:72dcd26b-f12d-4c27-b3af-18f6aed5****',
      account: null,
      region: 'cn-hangzhou',
      projectId: null,
      jobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****',
      state: 'SUCCEEDED',
      rawStatus: 'Succeeded',
      terminal: true,
      startedAt: null,
      finishedAt: null,
      providerRequestId: '365F4154-92F6-4AE4-92F8-7FF34B540710',
      status: 'Succeeded',
    });
  });

  it('takes the request id passed in over the body RequestId', () => {
    expect(mapNlbJob(KEY, SEED, 'HEADER-ID').providerRequestId).toBe('HEADER-ID');
  });

  it.each([
    ['processing', 'RUNNING', false],
    ['Processing', 'RUNNING', false],
    ['Succeeded', 'SUCCEEDED', true],
    ['SUCCEEDED', 'SUCCEEDED', true],
    ['Failed', 'FAILED', true],
    ['failed', 'FAILED', true],
  ] as const)('maps Status %s to %s (terminal %s), keeping the raw casing', (status, state, terminal) => {
    const job = mapNlbJob(KEY, JSON.stringify({ RequestId: 'R', Status: status }), null);
    expect(job).toMatchObject({ state, terminal, rawStatus: status, status });
  });

  it('covers every documented status in the table', () => {
    expect(Object.keys(NLB_STATES).sort()).toEqual(['failed', 'processing', 'succeeded']);
  });

  it.each(['Pending', 'constructor', ''])('maps unknown status %j to UNKNOWN, not terminal', (status) => {
    const job = mapNlbJob(KEY, JSON.stringify({ Status: status }), null);
    expect(job).toMatchObject({ state: 'UNKNOWN', terminal: false, rawStatus: status });
  });

  it.each([
    ['not JSON', '<Response/>'],
    ['not an object', '"Succeeded"'],
    ['null', 'null'],
    ['without Status', '{"RequestId":"x"}'],
    ['with a non-string Status', '{"Status":true}'],
  ])('rejects a body %s as PROVIDER_BAD_RESPONSE', (_label, text) => {
    expect(() => mapNlbJob(KEY, text, null)).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE', details: { provider: 'NLB' } }),
    );
  });
});
