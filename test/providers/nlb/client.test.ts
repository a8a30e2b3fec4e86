/**
 * What only the NLB client does, against the fake. Everything it shares with the other four
 * clients (signing, mapping, errors) is in ../client-contract.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { createNlbClient } from '../../../src/providers/nlb/client.js';
import type { JobKey } from '../../../src/providers/types.js';
import { createNlbFake } from '../../../src/simulator/nlb.js';
import { useHarness } from '../alibaba/harness.js';

const h = useHarness(createNlbFake, createNlbClient);

const key = (jobId: string): JobKey => ({
  provider: 'NLB',
  account: null,
  region: 'cn-hangzhou',
  projectId: null,
  jobId,
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('NLB client against the fake', () => {
  it('sends a v4 UUID ClientToken, a fresh one on every call', async () => {
    const client = h.client();
    await client.fetchJob(key('job-a'));
    await client.fetchJob(key('job-a'));
    const [a, b] = h.fake.requests;
    expect(a!.query.get('ClientToken')).toMatch(UUID);
    expect(b!.query.get('ClientToken')).toMatch(UUID);
    expect(a!.query.get('ClientToken')).not.toBe(b!.query.get('ClientToken'));
  });

  it('accepts the zh-doc casing Processing', async () => {
    h.jobs.pin('NLB', 'pinned-zh', 'Processing');
    expect(await h.client().fetchJob(key('pinned-zh'))).toMatchObject({ state: 'RUNNING', rawStatus: 'Processing' });
  });
});
