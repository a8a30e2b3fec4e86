import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signHuaweiRequest } from '../../src/providers/huawei/sign.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { createHuaweiIamFake, projectWrites } from '../../src/simulator/huawei-iam.js';
import { SimulatedIdentities } from '../../src/simulator/identities.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const TTL = 3_600_000;
const clock = { ms: START };
const HOME = { domainId: 'd-home', domainName: 'home-account', projects: { 'cn-north-4': 'p-home-north-4' } };
const TARGET = {
  domainId: 'd-target',
  domainName: 'target-account',
  projects: { 'cn-north-4': 'p-target-north-4', 'ap-southeast-1': 'p-target-sg' },
};
const AK = 'HOMEAKHOMEAKHOMEAK00';
const SK = 'home-secret-key';
const OUTSIDER_AK = 'OUTSIDERAKOUTSIDER00';
const OUTSIDER_SK = 'outsider-secret-key';

let identities: SimulatedIdentities;
let fake: FakeProviderServer;

beforeAll(async () => {
  identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: TTL });
  identities.addHuaweiDomain(HOME);
  identities.addHuaweiDomain(TARGET);
  identities.addHuaweiDomain({ domainId: 'd-outsider', domainName: 'outsider', projects: {} });
  identities.addHuaweiKey(HOME.domainId, AK, SK);
  identities.addHuaweiKey('d-outsider', OUTSIDER_AK, OUTSIDER_SK);
  identities.addHuaweiAgency({ domainId: TARGET.domainId, agencyName: 'jobs-reader', trustedDomainId: HOME.domainId });
  identities.trustHuaweiIdToken('cce-oidc', 'good-id-token', HOME.domainId);
  fake = createHuaweiIamFake({ identities });
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
  fake.resetRequests();
});

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

interface SendOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Signs with the client signer (the fake verifies with its own). */
  sign?: { ak: string; sk: string; securityToken?: string; date?: Date };
  /** Added after signing, so not covered by the signature. */
  unsignedHeaders?: Record<string, string>;
}

async function send(path: string, options: SendOptions = {}): Promise<Reply> {
  const url = new URL(path, fake.url);
  const method = options.method ?? 'GET';
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  let headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  if (options.sign) {
    const signed = signHuaweiRequest(
      { method, url, headers, ...(body === undefined ? {} : { body }) },
      options.sign,
      options.sign.date ?? new Date(clock.ms),
    );
    headers = signed.headers;
  }
  delete headers.Host; // fetch sets the same Host itself
  headers = { ...headers, ...options.unsignedHeaders };
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text stays as is
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const tokenMethod = { auth: { identity: { methods: ['token'], token: { duration_seconds: 900 } } } };
const assumeRole = (assume: Record<string, unknown>) => ({
  auth: { identity: { methods: ['assume_role'], assume_role: { duration_seconds: 3600, ...assume } } },
});
const exchange = (idpId: string, idToken: string, scope?: unknown) =>
  send('/v3.0/OS-AUTH/id-token/tokens', {
    method: 'POST',
    headers: { 'X-Idp-Id': idpId },
    body: { auth: { id_token: { id: idToken }, ...(scope === undefined ? {} : { scope }) } },
  });

describe('Huawei IAM fake: ID-token exchange', () => {
  it('issues an unscoped token of the mapped account in X-Subject-Token, with IAM-format expires_at', async () => {
    const res = await exchange('cce-oidc', 'good-id-token');
    expect(res.status).toBe(201);
    const token = res.headers.get('x-subject-token') ?? '';
    const record = identities.huaweiToken(token);
    expect(record).toMatchObject({ domainId: HOME.domainId, projectId: null, expiresAt: START + TTL });
    expect(res.body.token.expires_at).toBe('2025-01-02T04:04:05.000000Z');
    expect(res.body.token.user.domain).toEqual({ id: HOME.domainId, name: HOME.domainName });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('scopes the token to a project of the account named by id or by region name', async () => {
    const byName = await exchange('cce-oidc', 'good-id-token', { project: { name: 'cn-north-4' } });
    expect(identities.huaweiToken(byName.headers.get('x-subject-token') ?? '')?.projectId).toBe('p-home-north-4');
    const byId = await exchange('cce-oidc', 'good-id-token', { project: { id: 'p-home-north-4' } });
    expect(byId.body.token.project).toMatchObject({ id: 'p-home-north-4', name: 'cn-north-4' });
    const foreign = await exchange('cce-oidc', 'good-id-token', { project: { id: 'p-target-sg' } });
    expect(foreign.status).toBe(401);
  });

  it('refuses an untrusted ID token, a token under another identity provider, and a distrusted one', async () => {
    for (const [idp, token] of [
      ['cce-oidc', 'forged-id-token'],
      ['other-idp', 'good-id-token'],
    ]) {
      const res = await exchange(idp as string, token as string);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        error: { code: 401, message: expect.any(String), title: 'Unauthorized' },
      });
      expect(res.headers.get('x-subject-token')).toBeNull();
    }
    identities.trustHuaweiIdToken('cce-oidc', 'rotated-id-token', HOME.domainId);
    expect((await exchange('cce-oidc', 'rotated-id-token')).status).toBe(201);
    identities.distrustHuaweiIdToken('cce-oidc', 'rotated-id-token');
    expect((await exchange('cce-oidc', 'rotated-id-token')).status).toBe(401);
  });

  it('answers a request without X-Idp-Id or id_token with 400 IAM.0011', async () => {
    const noIdp = await send('/v3.0/OS-AUTH/id-token/tokens', {
      method: 'POST',
      body: { auth: { id_token: { id: 'good-id-token' } } },
    });
    expect(noIdp.status).toBe(400);
    expect(noIdp.body).toMatchObject({ error_code: 'IAM.0011' });
    const noToken = await send('/v3.0/OS-AUTH/id-token/tokens', {
      method: 'POST',
      headers: { 'X-Idp-Id': 'cce-oidc' },
      body: { auth: {} },
    });
    expect(noToken.status).toBe(400);
  });
});

describe('Huawei IAM fake: securitytokens', () => {
  it('trades a live IAM token for a temporary key of the same account', async () => {
    const token = identities.issueHuaweiToken(HOME.domainId, null).token;
    const res = await send('/v3.0/OS-CREDENTIAL/securitytokens', {
      method: 'POST',
      headers: { 'X-Auth-Token': token },
      body: tokenMethod,
    });
    expect(res.status).toBe(201);
    const { access, secret, securitytoken, expires_at } = res.body.credential;
    expect(identities.huaweiKey(access)).toEqual({
      domainId: HOME.domainId,
      ak: access,
      sk: secret,
      securityToken: securitytoken,
      expiresAt: START + TTL,
    });
    expect(expires_at).toBe('2025-01-02T04:04:05.000000Z');
  });

  it('refuses an expired token with APIGW.0301 "token expires", and an unknown one', async () => {
    const token = identities.issueHuaweiToken(HOME.domainId, null).token;
    clock.ms += TTL;
    const expired = await send('/v3.0/OS-CREDENTIAL/securitytokens', {
      method: 'POST',
      headers: { 'X-Auth-Token': token },
      body: tokenMethod,
    });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({
      error_code: 'APIGW.0301',
      error_msg: expect.stringContaining('token expires'),
    });
    const unknown = await send('/v3.0/OS-CREDENTIAL/securitytokens', {
      method: 'POST',
      headers: { 'X-Auth-Token': 'MIInot-issued' },
      body: tokenMethod,
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error_code: 'APIGW.0301', request_id: unknown.headers.get('x-request-id') });
  });

  it('assumes an agency that trusts the signing account, by domain id or domain name', async () => {
    for (const target of [{ domain_id: TARGET.domainId }, { domain_name: TARGET.domainName }]) {
      const res = await send('/v3.0/OS-CREDENTIAL/securitytokens', {
        method: 'POST',
        body: assumeRole({ agency_name: 'jobs-reader', ...target }),
        sign: { ak: AK, sk: SK },
      });
      expect(res.status).toBe(201);
      expect(identities.huaweiKey(res.body.credential.access)?.domainId).toBe(TARGET.domainId);
    }
  });

  it('refuses an agency caller the agency does not trust with 403, and an unknown agency with 404', async () => {
    const untrusted = await send('/v3.0/OS-CREDENTIAL/securitytokens', {
      method: 'POST',
      body: assumeRole({ agency_name: 'jobs-reader', domain_id: TARGET.domainId }),
      sign: { ak: OUTSIDER_AK, sk: OUTSIDER_SK },
    });
    expect(untrusted.status).toBe(403);
    expect(untrusted.body.error).toMatchObject({ code: 403, title: 'Forbidden' });
    for (const target of [
      { agency_name: 'no-such-agency', domain_id: TARGET.domainId },
      { agency_name: 'jobs-reader', domain_name: 'no-such-account' },
    ]) {
      const missing = await send('/v3.0/OS-CREDENTIAL/securitytokens', {
        method: 'POST',
        body: assumeRole(target),
        sign: { ak: AK, sk: SK },
      });
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error_code: 'IAM.0004' });
    }
  });

  it('refuses a wrong secret, an unknown AK, a tampered body and a stale X-Sdk-Date', async () => {
    const cases: Array<[SendOptions, string]> = [
      [{ sign: { ak: AK, sk: 'wrong-secret' } }, 'APIGW.0301'],
      [{ sign: { ak: 'NOSUCHAKNOSUCHAK0000', sk: SK } }, 'APIGW.0301'],
      [{ sign: { ak: AK, sk: SK, date: new Date(START - 16 * 60_000) } }, 'APIGW.0303'],
    ];
    for (const [options, code] of cases) {
      const res = await send('/v3.0/OS-CREDENTIAL/securitytokens', { method: 'POST', body: tokenMethod, ...options });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error_code: code });
    }
    // Signed for one body, sent with another.
    const url = new URL('/v3.0/OS-CREDENTIAL/securitytokens', fake.url);
    const signed = signHuaweiRequest(
      { method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(tokenMethod) },
      { ak: AK, sk: SK },
      new Date(clock.ms),
    ).headers;
    delete signed.Host;
    const tampered = await fetch(url, { method: 'POST', headers: signed, body: JSON.stringify(assumeRole({})) });
    expect(tampered.status).toBe(401);
  });

  it('accepts a temporary key only with its own signed security token, and not once it has expired', async () => {
    const temp = identities.issueHuaweiTemporaryKey(HOME.domainId);
    const withToken = { ak: temp.ak, sk: temp.sk, securityToken: temp.securityToken as string };
    const call = (sign: SendOptions['sign'], unsignedHeaders?: Record<string, string>) =>
      send('/v3.0/OS-CREDENTIAL/securitytokens', {
        method: 'POST',
        body: assumeRole({ agency_name: 'jobs-reader', domain_id: TARGET.domainId }),
        sign,
        ...(unsignedHeaders ? { unsignedHeaders } : {}),
      });
    expect((await call(withToken)).status).toBe(201);
    expect((await call({ ak: temp.ak, sk: temp.sk })).status).toBe(401);
    expect((await call({ ...withToken, securityToken: 'gQpjbi1ub3J0aC00forged' })).status).toBe(401);
    // Present but outside the signature.
    expect((await call({ ak: temp.ak, sk: temp.sk }, { 'X-Security-Token': withToken.securityToken })).status).toBe(
      401,
    );
    clock.ms = (temp.expiresAt as number) - 1;
    expect((await call(withToken)).status).toBe(201);
    clock.ms = temp.expiresAt as number;
    const expired = await call(withToken);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ error_code: 'APIGW.0301' });
  });

  it('answers a request without any credential with 401 "x-auth-token not found"', async () => {
    const res = await send('/v3.0/OS-CREDENTIAL/securitytokens', { method: 'POST', body: tokenMethod });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error_code: 'APIGW.0301', error_msg: expect.stringContaining('not found') });
  });

  it('answers an unknown method or an out-of-range duration with 400 IAM.0011', async () => {
    for (const body of [
      { auth: { identity: { methods: ['password'] } } },
      { auth: { identity: { methods: ['token'], token: { duration_seconds: 60 } } } },
      { nothing: true },
    ]) {
      const res = await send('/v3.0/OS-CREDENTIAL/securitytokens', { method: 'POST', body, sign: { ak: AK, sk: SK } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error_code: 'IAM.0011' });
    }
  });
});

describe('Huawei IAM fake: projects', () => {
  it("lists the caller's project with that name, signed or with a token", async () => {
    const signed = await send('/v3/projects?name=cn-north-4', { sign: { ak: AK, sk: SK } });
    expect(signed.status).toBe(200);
    expect(signed.body.projects).toEqual([
      expect.objectContaining({ id: 'p-home-north-4', name: 'cn-north-4', domain_id: HOME.domainId }),
    ]);
    const token = identities.issueHuaweiToken(TARGET.domainId, null).token;
    const viaToken = await send('/v3/projects?name=ap-southeast-1', { headers: { 'X-Auth-Token': token } });
    expect(viaToken.body.projects.map((p: any) => p.id)).toEqual(['p-target-sg']);
    const none = await send('/v3/projects?name=eu-west-0', { sign: { ak: AK, sk: SK } });
    expect(none.body.projects).toEqual([]);
  });

  it('refuses project listing without valid credentials', async () => {
    const res = await send('/v3/projects?name=cn-north-4', { sign: { ak: AK, sk: 'wrong' } });
    expect(res.status).toBe(401);
  });

  it('refuses every write to /v3/projects with 403 and counts it, while reads do not count', async () => {
    await send('/v3/projects?name=cn-north-4', { sign: { ak: AK, sk: SK } });
    expect(projectWrites(fake)).toBe(0);
    const create = await send('/v3/projects', {
      method: 'POST',
      body: { project: { name: 'cn-north-4', domain_id: HOME.domainId } },
      sign: { ak: AK, sk: SK },
    });
    expect(create.status).toBe(403);
    const update = await send('/v3/projects/p-home-north-4', { method: 'PATCH', body: {}, sign: { ak: AK, sk: SK } });
    expect(update.status).toBe(403);
    expect(projectWrites(fake)).toBe(2);
  });
});

describe('Huawei IAM fake: routing', () => {
  it('answers an unknown path or a wrong method with 404 APIGW.0101', async () => {
    for (const [path, method] of [
      ['/v3/auth/tokens', 'POST'],
      ['/v3.0/OS-CREDENTIAL/securitytokens', 'GET'],
      ['/v3.0/OS-AUTH/id-token/tokens', 'GET'],
      ['/', 'GET'],
    ] as const) {
      const res = await send(path, { method, sign: { ak: AK, sk: SK } });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error_code: 'APIGW.0101' });
    }
  });
});
