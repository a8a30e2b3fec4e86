/**
 * The STS client against the STS fake over loopback: the credentials it returns are the ones the
 * fake issued, and every refusal or outage comes back with the right code and no secret.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assumeRole, assumeRoleWithOidc } from '../../../src/credentials/alibaba/sts.js';
import { JobError } from '../../../src/errors.js';
import { HttpTransport } from '../../../src/providers/http.js';
import type { AlibabaCredentials } from '../../../src/providers/types.js';
import { createAlibabaStsFake } from '../../../src/simulator/alibaba-sts.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import { SimulatedIdentities } from '../../../src/simulator/identities.js';
import { rejection } from '../../helpers/provider-harness.js';

const START = Date.parse('2025-01-02T03:04:05Z');
const clock = { ms: START };
const identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: 900_000 });

const HOME = '1000000000000001';
const TARGET = '1000000000000002';
const USER: AlibabaCredentials = { accessKeyId: 'LTAIhomeUser', accessKeySecret: 'home-user-secret-DO-NOT-LEAK' };
const ROLE = `acs:ram::${TARGET}:role/reader`;
const GUARDED = `acs:ram::${TARGET}:role/guarded`;
const BACK = `acs:ram::${HOME}:role/back`;
const OIDC_ROLE = `acs:ram::${TARGET}:role/rrsa`;
const PROVIDER = `acs:ram::${TARGET}:oidc-provider/ack-rrsa`;
const OIDC_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.projected-token-DO-NOT-LEAK';

identities.addAlibabaKey(HOME, USER.accessKeyId, USER.accessKeySecret);
identities.addAlibabaRole({ arn: ROLE, trustedAccounts: [HOME] });
identities.addAlibabaRole({ arn: GUARDED, trustedAccounts: [HOME], externalId: 'ext-7' });
identities.addAlibabaRole({ arn: BACK, trustedAccounts: [TARGET] });
identities.addAlibabaRole({ arn: OIDC_ROLE, trustedAccounts: [], oidcProviderArn: PROVIDER });
identities.trustAlibabaOidcToken(PROVIDER, OIDC_TOKEN);

let fake: FakeProviderServer;
const transport = new HttpTransport({ deadlineMs: 1_000 });

beforeAll(async () => {
  fake = createAlibabaStsFake({ identities });
  await fake.start(0);
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

const common = () => ({ endpoint: fake.url, transport, now: () => new Date(clock.ms) });
const assume = (over: Partial<Parameters<typeof assumeRole>[0]> = {}) =>
  assumeRole({ ...common(), credentials: USER, roleArn: ROLE, ...over });
const assumeOidc = (over: Partial<Parameters<typeof assumeRoleWithOidc>[0]> = {}) =>
  assumeRoleWithOidc({ ...common(), roleArn: OIDC_ROLE, oidcProviderArn: PROVIDER, oidcToken: OIDC_TOKEN, ...over });

function expectNothingSecret(err: JobError, ...secrets: string[]): void {
  for (const s of [USER.accessKeySecret, OIDC_TOKEN, 'string to sign', ...secrets])
    expect(err.message).not.toContain(s);
}

describe('assumeRole against the STS fake', () => {
  it('returns a credential the fake issued for the role account, with its expiry', async () => {
    const result = await assume();
    const record = identities.alibabaKey(result.value.accessKeyId);
    expect(record?.account).toBe(TARGET);
    expect(result.value).toEqual({
      accessKeyId: record!.accessKeyId,
      accessKeySecret: record!.accessKeySecret,
      securityToken: record!.securityToken,
    });
    // STS states expiry to the second.
    expect(result.expiresAt).toBe(START + 900_000);
  });

  it('assumes a role with STS base credentials, security token included', async () => {
    const first = await assume();
    const second = await assume({ credentials: first.value, roleArn: BACK });
    expect(identities.alibabaKey(second.value.accessKeyId)?.account).toBe(HOME);
    expect(fake.requests[1]?.headers['x-acs-security-token']).toBe(first.value.securityToken);
  });

  it('passes the ExternalId a guarded role asks for', async () => {
    const result = await assume({ roleArn: GUARDED, externalId: 'ext-7' });
    expect(identities.alibabaKey(result.value.accessKeyId)?.account).toBe(TARGET);
  });

  it('reports a wrong ExternalId as PROVIDER_AUTH_FAILED NoPermission', async () => {
    const err = await rejection(assume({ roleArn: GUARDED, externalId: 'ext-8' }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details).toMatchObject({ provider: 'STS', providerCode: 'NoPermission', httpStatus: 403 });
    expect(err.details.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(err.message).not.toContain('ext-8');
  });

  it('reports an unknown key as PROVIDER_AUTH_FAILED InvalidAccessKeyId.NotFound', async () => {
    const err = await rejection(assume({ credentials: { accessKeyId: 'LTAIghost', accessKeySecret: 'ghost-secret' } }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details).toMatchObject({ providerCode: 'InvalidAccessKeyId.NotFound', httpStatus: 404 });
    expect(err.details.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expectNothingSecret(err, 'ghost-secret');
  });

  it('reports a wrong secret as SignatureDoesNotMatch without the secret or the string to sign', async () => {
    const err = await rejection(assume({ credentials: { ...USER, accessKeySecret: 'typo-secret' } }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details.providerCode).toBe('SignatureDoesNotMatch');
    expectNothingSecret(err, 'typo-secret', 'ACS3-HMAC-SHA256');
  });

  it('reports an expired STS base credential as InvalidSecurityToken.Expired without its token', async () => {
    const base = await assume();
    clock.ms = START + 900_000;
    const err = await rejection(assume({ credentials: base.value, roleArn: BACK }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details.providerCode).toBe('InvalidSecurityToken.Expired');
    expectNothingSecret(err, base.value.accessKeySecret, base.value.securityToken!);
  });

  it('reports an untrusted caller and a missing role as PROVIDER_AUTH_FAILED', async () => {
    const first = await assume();
    // The target account's credentials are not trusted by its own reader role.
    expect((await rejection(assume({ credentials: first.value }))).details.providerCode).toBe('NoPermission');
    const missing = await rejection(assume({ roleArn: `acs:ram::${TARGET}:role/none` }));
    expect(missing.code).toBe('PROVIDER_AUTH_FAILED');
    expect(missing.details.providerCode).toBe('EntityNotExist.Role');
  });
});

describe('assumeRoleWithOidc against the STS fake', () => {
  it('returns a credential the fake issued for the role account', async () => {
    const result = await assumeOidc({ durationSeconds: 900 });
    const record = identities.alibabaKey(result.value.accessKeyId);
    expect(record).toMatchObject({ account: TARGET, securityToken: result.value.securityToken });
    expect(result.expiresAt).toBe(START + 900_000);
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('reports a token the provider does not vouch for without the token', async () => {
    const stale = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvbGQifQ.stale-token-DO-NOT-LEAK';
    const err = await rejection(assumeOidc({ oidcToken: stale }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details).toMatchObject({
      provider: 'STS',
      providerCode: 'AuthenticationFail.OIDCToken.Invalid',
      httpStatus: 401,
    });
    expectNothingSecret(err, stale);
  });

  it('reports a provider the role does not trust as PROVIDER_AUTH_FAILED', async () => {
    const err = await rejection(assumeOidc({ oidcProviderArn: `acs:ram::${TARGET}:oidc-provider/other` }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details.providerCode).toBe('AuthenticationFail.NoPermission');
  });
});

describe('STS outages', () => {
  const both = () => [() => assume(), () => assumeOidc()];

  it('maps a 5xx to CREDENTIALS_UNAVAILABLE', async () => {
    for (const call of both()) {
      fake.enqueueFaults({ status: 503, body: { RequestId: 'R-503', Code: 'ServiceUnavailable', Message: 'busy' } });
      const err = await rejection(call());
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(err.details).toMatchObject({
        provider: 'STS',
        httpStatus: 503,
        providerCode: 'ServiceUnavailable',
        requestId: 'R-503',
      });
    }
  });

  it('maps throttling to CREDENTIALS_UNAVAILABLE', async () => {
    fake.enqueueFaults({
      status: 400,
      body: { RequestId: 'R', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
    });
    expect((await rejection(assume())).code).toBe('CREDENTIALS_UNAVAILABLE');
  });

  it('maps a reset connection to CREDENTIALS_UNAVAILABLE, keeping the transport error as cause', async () => {
    for (const call of both()) {
      fake.enqueueFaults({ kind: 'reset' });
      const err = await rejection(call());
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(err.cause).toBeInstanceOf(JobError);
      expect((err.cause as JobError).code).toBe('PROVIDER_UNAVAILABLE');
    }
  });

  it('maps a hang past the deadline to CREDENTIALS_UNAVAILABLE', async () => {
    fake.enqueueFaults({ kind: 'hang' });
    const err = await rejection(assume());
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect((err.cause as JobError).code).toBe('PROVIDER_TIMEOUT');
  });

  it('maps a truncated 200 to CREDENTIALS_UNAVAILABLE', async () => {
    fake.enqueueFaults({ status: 200, body: '{"RequestId":"R","Credentials":{"AccessKeyId":"STS.x"' });
    expect((await rejection(assumeOidc())).code).toBe('CREDENTIALS_UNAVAILABLE');
  });

  it('maps a closed port to CREDENTIALS_UNAVAILABLE', async () => {
    const gone = createAlibabaStsFake({ identities });
    const url = await gone.start(0);
    await gone.stop();
    const err = await rejection(assumeRole({ endpoint: url, transport, credentials: USER, roleArn: ROLE }));
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.details.provider).toBe('STS');
  });
});
