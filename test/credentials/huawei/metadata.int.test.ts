import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ecsSecurityKey } from '../../../src/credentials/huawei/metadata.js';
import { JobError } from '../../../src/errors.js';
import { HttpTransport } from '../../../src/providers/http.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import { createHuaweiMetadataFake } from '../../../src/simulator/huawei-metadata.js';
import { SimulatedIdentities } from '../../../src/simulator/identities.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const clock = { ms: START };
let identities: SimulatedIdentities;
let fake: FakeProviderServer;
let transport: HttpTransport;

beforeAll(async () => {
  identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: 900_000 });
  fake = createHuaweiMetadataFake({ identities });
  await fake.start();
  transport = new HttpTransport({ deadlineMs: 2_000 });
});
afterAll(async () => {
  await transport.close();
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
  identities.huaweiMetadataDomain = 'd-instance';
  fake.clearFaults();
});

async function rejection(p: Promise<unknown>): Promise<JobError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(JobError);
    return err as JobError;
  }
  throw new Error('expected a rejection');
}

describe('ecsSecurityKey against the metadata fake', () => {
  it('obtains exactly the key the fake issued, with its expiry', async () => {
    const got = await ecsSecurityKey({ endpoint: fake.url, transport });
    expect(identities.huaweiKey(got.value.ak)).toEqual({
      domainId: 'd-instance',
      ak: got.value.ak,
      sk: got.value.sk,
      securityToken: got.value.securityToken,
      expiresAt: got.expiresAt,
    });
    expect(got.expiresAt).toBe(START + 900_000);
  });

  it('reports no bound agency as PROVIDER_AUTH_FAILED and an outage as CREDENTIALS_UNAVAILABLE', async () => {
    identities.huaweiMetadataDomain = null;
    const unbound = await rejection(ecsSecurityKey({ endpoint: fake.url, transport }));
    expect(unbound.code).toBe('PROVIDER_AUTH_FAILED');
    expect(unbound.details).toMatchObject({ provider: 'ECS_METADATA', httpStatus: 404 });

    identities.huaweiMetadataDomain = 'd-instance';
    fake.enqueueFaults({ status: 500, body: 'oops' }, { kind: 'reset' });
    expect((await rejection(ecsSecurityKey({ endpoint: fake.url, transport }))).code).toBe('CREDENTIALS_UNAVAILABLE');
    const reset = await rejection(ecsSecurityKey({ endpoint: fake.url, transport }));
    expect(reset.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect((reset.cause as JobError).code).toBe('PROVIDER_UNAVAILABLE');
  });
});
