/**
 * The STS fake judged over HTTP with hand-built requests (signed by the client signer here, which
 * the fake itself never uses), so each refusal a correct client cannot provoke is covered too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signAcs3 } from '../../src/providers/alibaba/sign.js';
import { HttpTransport } from '../../src/providers/http.js';
import type { AlibabaCredentials } from '../../src/providers/types.js';
import { createAlibabaStsFake } from '../../src/simulator/alibaba-sts.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { SimulatedIdentities } from '../../src/simulator/identities.js';

const START = Date.parse('2025-01-02T03:04:05Z');
const clock = { ms: START };
const identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: 3_600_000 });

const CALLER = '1111111111111111';
const OTHER = '2222222222222222';
const TARGET = '3333333333333333';
const USER: AlibabaCredentials = { accessKeyId: 'LTAIcaller', accessKeySecret: 'caller-secret' };
const STRANGER: AlibabaCredentials = { accessKeyId: 'LTAIstranger', accessKeySecret: 'stranger-secret' };
const ROLE = `acs:ram::${TARGET}:role/job-reader`;
const GUARDED = `acs:ram::${TARGET}:role/guarded`;
const OIDC_ROLE = `acs:ram::${TARGET}:role/rrsa-reader`;
const PROVIDER = `acs:ram::${TARGET}:oidc-provider/ack-rrsa`;
const OIDC_TOKEN = 'opaque-projected-token';

identities.addAlibabaKey(CALLER, USER.accessKeyId, USER.accessKeySecret);
identities.addAlibabaKey(OTHER, STRANGER.accessKeyId, STRANGER.accessKeySecret);
identities.addAlibabaRole({ arn: ROLE, trustedAccounts: [CALLER] });
identities.addAlibabaRole({ arn: GUARDED, trustedAccounts: [CALLER], externalId: 'ext-42' });
identities.addAlibabaRole({ arn: OIDC_ROLE, trustedAccounts: [], oidcProviderArn: PROVIDER });
identities.trustAlibabaOidcToken(PROVIDER, OIDC_TOKEN);

let fake: FakeProviderServer;
const transport = new HttpTransport();

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

interface Answer {
  status: number;
  headers: Record<string, string>;
  json: Record<string, any>;
}

let nonces = 0;

/** A V3-signed AssumeRole (or other action) call. */
async function signed(
  query: Record<string, string>,
  o: {
    credentials?: AlibabaCredentials;
    action?: string;
    version?: string;
    date?: Date;
    nonce?: string;
    mutate?: (h: Record<string, string>) => void;
  } = {},
): Promise<Answer> {
  const url = new URL('/', fake.url);
  const s = signAcs3({
    method: 'POST',
    host: url.host,
    action: o.action ?? 'AssumeRole',
    version: o.version ?? '2015-04-01',
    query,
    date: o.date ?? new Date(clock.ms),
    nonce: o.nonce ?? `nonce-${Date.now()}-${nonces++}`,
    credentials: o.credentials ?? USER,
  });
  url.search = `?${s.canonicalQuery}`;
  o.mutate?.(s.headers);
  const res = await transport.send('TEST', { method: 'POST', url, headers: s.headers });
  return { status: res.status, headers: res.headers, json: JSON.parse(res.body) as Record<string, any> };
}

/** An anonymous call with the given query and form body. */
async function anonymous(query: Record<string, string>, form?: Record<string, string>): Promise<Answer> {
  const url = new URL('/', fake.url);
  url.search = `?${new URLSearchParams(query).toString()}`;
  const res = await transport.send('TEST', {
    method: 'POST',
    url,
    headers: form ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  return { status: res.status, headers: res.headers, json: JSON.parse(res.body) as Record<string, any> };
}

const assume = (roleArn = ROLE, extra: Record<string, string> = {}) => ({
  RoleArn: roleArn,
  RoleSessionName: 'jobs-subgraph',
  DurationSeconds: '3600',
  ...extra,
});

const oidcForm = (over: Record<string, string> = {}) => ({
  RoleArn: OIDC_ROLE,
  OIDCProviderArn: PROVIDER,
  OIDCToken: OIDC_TOKEN,
  RoleSessionName: 'jobs-subgraph',
  ...over,
});
const OIDC_QUERY = { Action: 'AssumeRoleWithOIDC', Version: '2015-04-01', Format: 'JSON' };

function expectRefusal(res: Answer, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.json.Code).toBe(code);
  expect(Object.keys(res.json).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
  expect(res.json.RequestId).toBe(res.headers['x-acs-request-id']);
}

/** The credential a success answer carries, as the identities recorded it. */
function issuedRecord(res: Answer) {
  return identities.alibabaKey(res.json.Credentials.AccessKeyId as string);
}

describe('STS fake: AssumeRole', () => {
  it('issues a credential of the role account in the documented shape', async () => {
    const res = await signed(assume());
    expect(res.status).toBe(200);
    expect(res.json.RequestId).toBe(res.headers['x-acs-request-id']);
    expect(res.json.AssumedRoleUser).toEqual({
      Arn: `acs:ram::${TARGET}:role/job-reader/jobs-subgraph`,
      AssumedRoleId: expect.stringMatching(/^\d{19}:jobs-subgraph$/),
    });
    const { Credentials } = res.json;
    expect(Credentials.Expiration).toBe('2025-01-02T04:04:05Z');
    const record = issuedRecord(res);
    expect(record).toMatchObject({
      account: TARGET,
      accessKeySecret: Credentials.AccessKeySecret,
      securityToken: Credentials.SecurityToken,
      expiresAt: START + 3_600_000,
    });
  });

  it('accepts issued STS credentials, with their token, as the caller', async () => {
    identities.addAlibabaRole({ arn: `acs:ram::${OTHER}:role/hop`, trustedAccounts: [TARGET] });
    const first = (await signed(assume())).json.Credentials;
    const hop = await signed(assume(`acs:ram::${OTHER}:role/hop`), {
      credentials: {
        accessKeyId: first.AccessKeyId,
        accessKeySecret: first.AccessKeySecret,
        securityToken: first.SecurityToken,
      },
    });
    expect(hop.status).toBe(200);
    expect(issuedRecord(hop)?.account).toBe(OTHER);
  });

  it('rejects a signature made with the wrong secret with 400 SignatureDoesNotMatch', async () => {
    expectRefusal(
      await signed(assume(), { credentials: { ...USER, accessKeySecret: 'wrong' } }),
      400,
      'SignatureDoesNotMatch',
    );
  });

  it('rejects a query changed after signing with SignatureDoesNotMatch', async () => {
    const url = new URL('/', fake.url);
    const s = signAcs3({
      method: 'POST',
      host: url.host,
      action: 'AssumeRole',
      version: '2015-04-01',
      query: assume(),
      date: new Date(clock.ms),
      nonce: 'tampered-nonce',
      credentials: USER,
    });
    // Signed for job-reader, sent for guarded.
    url.search = `?${s.canonicalQuery.replace('job-reader', 'guarded')}`;
    const tampered = await transport.send('TEST', { method: 'POST', url, headers: s.headers });
    expect(tampered.status).toBe(400);
    expect(JSON.parse(tampered.body).Code).toBe('SignatureDoesNotMatch');
  });

  it('rejects an unknown access key with 404 InvalidAccessKeyId.NotFound', async () => {
    expectRefusal(
      await signed(assume(), { credentials: { accessKeyId: 'LTAInobody', accessKeySecret: 'x' } }),
      404,
      'InvalidAccessKeyId.NotFound',
    );
  });

  it('rejects an unsigned call with 400 IncompleteSignature', async () => {
    expectRefusal(await signed(assume(), { mutate: (h) => delete h.authorization }), 400, 'IncompleteSignature');
  });

  it('rejects a date more than 15 minutes off with InvalidTimeStamp.Expired', async () => {
    expectRefusal(await signed(assume(), { date: new Date(START - 16 * 60_000) }), 400, 'InvalidTimeStamp.Expired');
    expect((await signed(assume(), { date: new Date(START - 14 * 60_000) })).status).toBe(200);
  });

  it('rejects a reused nonce with SignatureNonceUsed', async () => {
    expect((await signed(assume(), { nonce: 'once' })).status).toBe(200);
    expectRefusal(await signed(assume(), { nonce: 'once' }), 400, 'SignatureNonceUsed');
  });

  it('rejects an expired STS base credential with 400 InvalidSecurityToken.Expired', async () => {
    const base = (await signed(assume())).json.Credentials;
    const credentials = {
      accessKeyId: base.AccessKeyId,
      accessKeySecret: base.AccessKeySecret,
      securityToken: base.SecurityToken,
    };
    identities.addAlibabaRole({ arn: `acs:ram::${CALLER}:role/back`, trustedAccounts: [TARGET] });
    clock.ms = START + 3_600_000;
    const res = await signed(assume(`acs:ram::${CALLER}:role/back`), { credentials });
    expectRefusal(res, 400, 'InvalidSecurityToken.Expired');
    expect(res.json.Message).toBe('Specified SecurityToken is expired.');
  });

  it('requires the security token of an STS key, and exactly that one', async () => {
    const base = (await signed(assume())).json.Credentials;
    const key = { accessKeyId: base.AccessKeyId, accessKeySecret: base.AccessKeySecret };
    identities.addAlibabaRole({ arn: `acs:ram::${CALLER}:role/back2`, trustedAccounts: [TARGET] });
    const role = assume(`acs:ram::${CALLER}:role/back2`);
    expectRefusal(await signed(role, { credentials: key }), 400, 'MissingSecurityToken');
    expectRefusal(
      await signed(role, { credentials: { ...key, securityToken: 'CAISforged' } }),
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
    );
    expectRefusal(
      await signed(assume(), { credentials: { ...USER, securityToken: 'CAISunasked' } }),
      400,
      'InvalidSecurityToken.MismatchWithAccessKey',
    );
  });

  it('refuses a caller whose account the role does not trust with 403 NoPermission', async () => {
    expectRefusal(await signed(assume(), { credentials: STRANGER }), 403, 'NoPermission');
  });

  it('refuses a missing or different ExternalId with 403 NoPermission and accepts the right one', async () => {
    expectRefusal(await signed(assume(GUARDED)), 403, 'NoPermission');
    expectRefusal(await signed(assume(GUARDED, { ExternalId: 'ext-43' })), 403, 'NoPermission');
    const res = await signed(assume(GUARDED, { ExternalId: 'ext-42' }));
    expect(res.status).toBe(200);
    expect(issuedRecord(res)?.account).toBe(TARGET);
  });

  it('answers a role that does not exist with 404 EntityNotExist.Role', async () => {
    expectRefusal(await signed(assume(`acs:ram::${TARGET}:role/missing`)), 404, 'EntityNotExist.Role');
  });

  it('checks RoleArn, RoleSessionName and DurationSeconds', async () => {
    expectRefusal(await signed({ RoleSessionName: 'x1' }), 400, 'MissingRoleArn');
    expectRefusal(await signed(assume(ROLE, { RoleSessionName: 'a' })), 400, 'InvalidParameter.RoleSessionName');
    expectRefusal(await signed(assume(ROLE, { DurationSeconds: '899' })), 400, 'InvalidParameter.DurationSeconds');
  });

  it('answers an unknown action or version like the gateway', async () => {
    expectRefusal(await signed(assume(), { action: 'GetCallerIdentity' }), 400, 'InvalidAction.NotFound');
    expectRefusal(await signed(assume(), { version: '2019-01-01' }), 400, 'InvalidVersion');
  });
});

describe('STS fake: AssumeRoleWithOIDC', () => {
  it('issues a credential for a trusted token sent in a form body, without any signature', async () => {
    const res = await anonymous(OIDC_QUERY, oidcForm());
    expect(res.status).toBe(200);
    expect(res.json.AssumedRoleUser.Arn).toBe(`acs:ram::${TARGET}:role/rrsa-reader/jobs-subgraph`);
    expect(issuedRecord(res)).toMatchObject({ account: TARGET, securityToken: res.json.Credentials.SecurityToken });
  });

  it('also takes every parameter in the query', async () => {
    const res = await anonymous({ ...OIDC_QUERY, ...oidcForm() });
    expect(res.status).toBe(200);
  });

  it('reports the claims of a JWT in OIDCTokenInfo', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${part({ alg: 'RS256' })}.${part({ sub: 'system:serviceaccount:jobs:api', iss: 'https://oidc.example', aud: 'sts.aliyuncs.com', iat: START / 1000, exp: START / 1000 + 3600 })}.sig`;
    identities.trustAlibabaOidcToken(PROVIDER, jwt);
    const res = await anonymous(OIDC_QUERY, oidcForm({ OIDCToken: jwt }));
    expect(res.json.OIDCTokenInfo).toEqual({
      Subject: 'system:serviceaccount:jobs:api',
      Issuer: 'https://oidc.example',
      ClientIds: 'sts.aliyuncs.com',
      IssuanceTime: '2025-01-02T03:04:05Z',
      ExpirationTime: '2025-01-02T04:04:05Z',
    });
  });

  it('refuses a token the provider does not vouch for with 401 AuthenticationFail.OIDCToken.Invalid', async () => {
    expectRefusal(
      await anonymous(OIDC_QUERY, oidcForm({ OIDCToken: 'someone-elses-token' })),
      401,
      'AuthenticationFail.OIDCToken.Invalid',
    );
    expectRefusal(
      await anonymous(OIDC_QUERY, oidcForm({ OIDCToken: '' })),
      401,
      'AuthenticationFail.OIDCToken.Invalid',
    );
  });

  it('stops accepting a token once it is distrusted (a rotated projected token)', async () => {
    identities.trustAlibabaOidcToken(PROVIDER, 'rotating-token');
    expect((await anonymous(OIDC_QUERY, oidcForm({ OIDCToken: 'rotating-token' }))).status).toBe(200);
    identities.distrustAlibabaOidcToken(PROVIDER, 'rotating-token');
    expect((await anonymous(OIDC_QUERY, oidcForm({ OIDCToken: 'rotating-token' }))).status).toBe(401);
  });

  it('refuses a provider the role does not trust with 401 AuthenticationFail.NoPermission', async () => {
    const other = `acs:ram::${TARGET}:oidc-provider/other`;
    identities.trustAlibabaOidcToken(other, OIDC_TOKEN);
    expectRefusal(
      await anonymous(OIDC_QUERY, oidcForm({ OIDCProviderArn: other })),
      401,
      'AuthenticationFail.NoPermission',
    );
    // A role without any OIDC trust refuses too.
    expectRefusal(await anonymous(OIDC_QUERY, oidcForm({ RoleArn: ROLE })), 401, 'AuthenticationFail.NoPermission');
  });

  it('answers a malformed provider ARN, a missing one and a missing role like STS', async () => {
    expectRefusal(
      await anonymous(OIDC_QUERY, oidcForm({ OIDCProviderArn: 'ack-rrsa' })),
      400,
      'InvalidParameter.OIDCProviderArn',
    );
    const { OIDCProviderArn: _omit, ...noProvider } = oidcForm();
    expectRefusal(await anonymous(OIDC_QUERY, noProvider), 400, 'MissingOIDCProviderArn');
    expectRefusal(
      await anonymous(OIDC_QUERY, oidcForm({ RoleArn: `acs:ram::${TARGET}:role/missing` })),
      404,
      'EntityNotExist.Role',
    );
  });
});

describe('STS fake: scripting and logging', () => {
  it('answers the next request with a scripted fault, then judges requests again', async () => {
    fake.enqueueFaults({ status: 503, body: { Code: 'ServiceUnavailable', Message: 'down' } });
    expect((await signed(assume())).status).toBe(503);
    expect((await signed(assume())).status).toBe(200);
  });

  it('logs every request with its action', async () => {
    await signed(assume());
    await anonymous(OIDC_QUERY, oidcForm());
    expect(fake.requests.map((r) => r.headers['x-acs-action'] ?? r.query.get('Action'))).toEqual([
      'AssumeRole',
      'AssumeRoleWithOIDC',
    ]);
  });
});
