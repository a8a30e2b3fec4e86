/**
 * What the Alibaba request layer (src/providers/alibaba/request.ts) adds to every DataWorks and NLB
 * call, against the fakes' gateway: the `Accept: application/json` the official SDKs send, and
 * one re-send, signed with a fresh nonce, after `SignatureNonceUsed`.
 */
import { describe, expect, it } from 'vitest';
import { createDataWorksClient } from '../../../src/providers/dataworks/client.js';
import { createNlbClient } from '../../../src/providers/nlb/client.js';
import type { JobKey, ProviderName } from '../../../src/providers/types.js';
import { createDataWorksFake } from '../../../src/simulator/dataworks.js';
import { createNlbFake } from '../../../src/simulator/nlb.js';
import { rejection, useHarness } from './harness.js';

const dataworks = useHarness(createDataWorksFake, createDataWorksClient);
const nlb = useHarness(createNlbFake, createNlbClient);

const key = (provider: ProviderName, jobId: string): JobKey => ({
  provider,
  account: null,
  region: 'cn-hangzhou',
  projectId: null,
  jobId,
});

/** A nonce source that hands out the given nonces in order. */
function nonces(...list: string[]): () => string {
  return () => {
    const next = list.shift();
    if (next === undefined) throw new Error('the test ran out of nonces');
    return next;
  };
}

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('Accept: application/json', () => {
  it.each([
    ['DATAWORKS', dataworks],
    ['NLB', nlb],
  ] as const)('%s asks for JSON, outside SignedHeaders, and the gateway verifies the signature', async (p, h) => {
    const job = await h.client().fetchJob(key(p, 'accept-json'));
    expect(job.provider).toBe(p);
    const [req] = h.fake.requests;
    expect(req!.headers.accept).toBe('application/json');
    const signed = /SignedHeaders=([^,]+),/.exec(req!.headers.authorization ?? '')?.[1];
    expect(signed?.split(';')).not.toContain('accept');
  });
});

describe('SignatureNonceUsed', () => {
  it('signs the call again with a fresh nonce and sends it once more: the job is read', async () => {
    const client = dataworks.client({ nonce: nonces(A, A, B) });
    await client.fetchJob(key('DATAWORKS', 'nonce-first'));
    // The gateway has seen A: the second call is refused once, then re-sent with B.
    const job = await client.fetchJob(key('DATAWORKS', 'nonce-second'));
    expect(job).toMatchObject({ provider: 'DATAWORKS', jobId: 'nonce-second', state: 'RUNNING' });
    expect(dataworks.fake.requests.map((r) => r.headers['x-acs-signature-nonce'])).toEqual([A, A, B]);
    const [, refused, resent] = dataworks.fake.requests;
    expect(resent!.headers.authorization).not.toBe(refused!.headers.authorization);
    expect(resent!.query.get('JobId')).toBe('nonce-second');
  });

  it('passes a second refusal on as PROVIDER_AUTH_FAILED after exactly one re-send', async () => {
    const client = nlb.client({ nonce: () => A });
    await client.fetchJob(key('NLB', 'nonce-first'));
    const err = await rejection(client.fetchJob(key('NLB', 'nonce-again')));
    expect(err).toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      details: { provider: 'NLB', providerCode: 'SignatureNonceUsed', httpStatus: 400 },
    });
    expect(nlb.fake.requests).toHaveLength(3);
  });

  it('does not re-send for other signature failures', async () => {
    const client = dataworks.client({ credentials: { accessKeyId: 'SIMULATORACCESSKEYID', accessKeySecret: 'wrong' } });
    const err = await rejection(client.fetchJob(key('DATAWORKS', 'bad-secret')));
    expect(err.details.providerCode).toBe('SignatureDoesNotMatch');
    expect(dataworks.fake.requests).toHaveLength(1);
  });
});
