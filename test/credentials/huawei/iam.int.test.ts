import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  assumeAgency,
  createTemporaryKeys,
  exchangeIdToken,
  findProjectId,
} from '../../../src/credentials/huawei/iam.js';
import { JobError } from '../../../src/errors.js';
import { HttpTransport } from '../../../src/providers/http.js';
import type { HuaweiAuth } from '../../../src/providers/types.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import { createHuaweiIamFake, projectWrites } from '../../../src/simulator/huawei-iam.js';
import { SimulatedIdentities } from '../../../src/simulator/identities.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const TTL = 3_600_000;
const clock = { ms: START };
const now = () => new Date(clock.ms);
const AK = 'HOMEAKHOMEAKHOMEAK00';
const SK = 'home-secret-key-never-shown';
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.workload-id-token.sig';
const BASE: HuaweiAuth = { kind: 'aksk', ak: AK, sk: SK };

let identities: SimulatedIdentities;
let fake: FakeProviderServer;
let transport: HttpTransport;
let endpoint: string;

beforeAll(async () => {
  identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: TTL });
  identities.addHuaweiDomain({ domainId: 'd-home', domainName: 'home', projects: { 'cn-north-4': 'p-home-n4' } });
  identities.addHuaweiDomain({
    domainId: 'd-target',
    domainName: 'target',
    projects: { 'cn-north-4': 'p-target-n4', 'ap-southeast-1': 'p-target-sg' },
  });
  identities.addHuaweiKey('d-home', AK, SK);
  identities.addHuaweiAgency({ domainId: 'd-target', agencyName: 'jobs-reader', trustedDomainId: 'd-home' });
  identities.trustHuaweiIdToken('cce-oidc', ID_TOKEN, 'd-home');
  fake = createHuaweiIamFake({ identities });
  endpoint = await fake.start();
  transport = new HttpTransport({ deadlineMs: 2_000 });
});
afterAll(async () => {
  await transport.close();
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
  fake.resetRequests();
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

describe('Huawei IAM client against the IAM fake', () => {
  it('runs the OIDC flow: ID token → IAM token → temporary key, each what the fake issued', async () => {
    const token = await exchangeIdToken({ endpoint, transport, now, idpId: 'cce-oidc', idToken: ID_TOKEN });
    expect(identities.huaweiToken(token.value)).toMatchObject({ domainId: 'd-home', expiresAt: token.expiresAt });
    expect(token.expiresAt).toBe(START + TTL);

    clock.ms += 60_000;
    const keys = await createTemporaryKeys({
      endpoint,
      transport,
      now,
      auth: { kind: 'token', token: token.value },
      durationSeconds: 21_600,
    });
    expect(identities.huaweiKey(keys.value.ak)).toEqual({
      domainId: 'd-home',
      ak: keys.value.ak,
      sk: keys.value.sk,
      securityToken: keys.value.securityToken,
      expiresAt: keys.expiresAt,
    });
    expect(keys.expiresAt).toBe(START + 60_000 + TTL);
  });

  it("assumes the agency with the permanent key, and again with the agency's own temporary key", async () => {
    const first = await assumeAgency({
      endpoint,
      transport,
      now,
      auth: BASE,
      domainName: 'target',
      agencyName: 'jobs-reader',
      durationSeconds: 3600,
    });
    expect(identities.huaweiKey(first.value.ak)?.domainId).toBe('d-target');

    // A temporary key of the trusted account signs with its security token.
    const homeTemp = await createTemporaryKeys({ endpoint, transport, now, auth: BASE, durationSeconds: 900 });
    const second = await assumeAgency({
      endpoint,
      transport,
      now,
      auth: { kind: 'aksk', ...homeTemp.value },
      domainId: 'd-target',
      agencyName: 'jobs-reader',
      durationSeconds: 3600,
    });
    expect(identities.huaweiKey(second.value.ak)?.domainId).toBe('d-target');
    expect(second.value.ak).not.toBe(first.value.ak);
  });

  it('finds the project id with exactly one GET and no write, and null for a region without a project', async () => {
    const agency = await assumeAgency({
      endpoint,
      transport,
      now,
      auth: BASE,
      domainId: 'd-target',
      agencyName: 'jobs-reader',
      durationSeconds: 900,
    });
    fake.resetRequests();
    const auth: HuaweiAuth = { kind: 'aksk', ...agency.value };
    expect(await findProjectId({ endpoint, transport, now, auth, region: 'ap-southeast-1' })).toBe('p-target-sg');
    expect(fake.requests.map((r) => `${r.method} ${r.path}?${r.rawQuery}`)).toEqual([
      'GET /v3/projects?name=ap-southeast-1',
    ]);
    expect(await findProjectId({ endpoint, transport, now, auth, region: 'eu-west-0' })).toBeNull();
    expect(fake.requests).toHaveLength(2);
    expect(projectWrites(fake)).toBe(0);
  });

  it('reports an untrusted ID token as PROVIDER_AUTH_FAILED without repeating it', async () => {
    const forged = 'eyJhbGciOiJSUzI1NiJ9.forged.sig';
    const err = await rejection(exchangeIdToken({ endpoint, transport, now, idpId: 'cce-oidc', idToken: forged }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details).toMatchObject({
      provider: 'IAM',
      httpStatus: 401,
      requestId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(err.message).not.toContain(forged);
  });

  it('reports a wrong secret, an expired temporary key and an expired token as PROVIDER_AUTH_FAILED', async () => {
    const wrong = await rejection(
      findProjectId({ endpoint, transport, now, auth: { kind: 'aksk', ak: AK, sk: 'not-the-secret' }, region: 'r' }),
    );
    expect(wrong.code).toBe('PROVIDER_AUTH_FAILED');
    expect(wrong.details.providerCode).toBe('APIGW.0301');
    expect(wrong.message).not.toMatch(/not-the-secret|canonicalRequest/);

    const temp = await createTemporaryKeys({ endpoint, transport, now, auth: BASE, durationSeconds: 900 });
    const token = await exchangeIdToken({ endpoint, transport, now, idpId: 'cce-oidc', idToken: ID_TOKEN });
    clock.ms += TTL;
    const expiredKey = await rejection(
      findProjectId({ endpoint, transport, now, auth: { kind: 'aksk', ...temp.value }, region: 'cn-north-4' }),
    );
    expect(expiredKey.code).toBe('PROVIDER_AUTH_FAILED');
    expect(expiredKey.message).toContain('has expired');
    const expiredToken = await rejection(
      createTemporaryKeys({
        endpoint,
        transport,
        now,
        auth: { kind: 'token', token: token.value },
        durationSeconds: 900,
      }),
    );
    expect(expiredToken.code).toBe('PROVIDER_AUTH_FAILED');
    for (const err of [expiredKey, expiredToken]) {
      for (const secret of [temp.value.sk, temp.value.securityToken, token.value]) {
        expect(err.message).not.toContain(secret);
      }
    }
  });

  it('reports an agency that does not trust the caller as PROVIDER_AUTH_FAILED', async () => {
    identities.addHuaweiKey('d-target', 'TARGETAKTARGETAK0000', 'target-sk');
    const err = await rejection(
      assumeAgency({
        endpoint,
        transport,
        now,
        auth: { kind: 'aksk', ak: 'TARGETAKTARGETAK0000', sk: 'target-sk' },
        domainId: 'd-target',
        agencyName: 'jobs-reader',
        durationSeconds: 900,
      }),
    );
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details.httpStatus).toBe(403);
  });

  it('reports a 5xx, a reset connection, a timeout and a closed port as CREDENTIALS_UNAVAILABLE', async () => {
    const call = (t: HttpTransport = transport, at: string = endpoint) =>
      rejection(findProjectId({ endpoint: at, transport: t, now, auth: BASE, region: 'cn-north-4' }));
    fake.enqueueFaults({ status: 503, body: { error_code: 'APIGW.0702', error_msg: 'backend unavailable' } });
    const outage = await call();
    expect(outage.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(outage.details).toMatchObject({ httpStatus: 503, providerCode: 'APIGW.0702' });

    fake.enqueueFaults({ kind: 'reset' });
    const reset = await call();
    expect(reset.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect((reset.cause as JobError).code).toBe('PROVIDER_UNAVAILABLE');

    const impatient = new HttpTransport({ deadlineMs: 200 });
    try {
      fake.enqueueFaults({ kind: 'hang' });
      const timeout = await call(impatient);
      expect(timeout.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect((timeout.cause as JobError).code).toBe('PROVIDER_TIMEOUT');
    } finally {
      await impatient.close();
    }

    const closed = createHuaweiIamFake({ identities });
    const closedUrl = await closed.start();
    await closed.stop();
    const refused = await call(transport, closedUrl);
    expect(refused.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(refused.transient).toBe(true);
  });
});
