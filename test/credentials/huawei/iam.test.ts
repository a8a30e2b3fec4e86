import { describe, expect, it } from 'vitest';
import {
  assumeAgency,
  createTemporaryKeys,
  exchangeIdToken,
  findProjectId,
  parseHuaweiTime,
} from '../../../src/credentials/huawei/iam.js';
import { JobError } from '../../../src/errors.js';
import type { HttpRequest, HttpResponse } from '../../../src/providers/http.js';
import { verifyHuaweiRequest } from '../../../src/simulator/verify-huawei.js';

const NOW = new Date('2025-01-02T03:04:05Z');
const now = () => NOW;
const ENDPOINT = 'https://iam.cn-north-4.myhuaweicloud.com';
const AK = 'BASEAKBASEAKBASEAK00';
const SK = 'base-secret-key-never-shown';
const TOKEN = 'MIIbase-iam-token-never-shown';
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.id-token-never-shown.sig';
const SECRETS = [SK, TOKEN, ID_TOKEN, 'temp-secret-never-shown', 'temp-security-token-never-shown'];

/** Answers each send with the next scripted response (or throws the scripted error) and keeps what was sent. */
class ScriptedTransport {
  readonly sent: HttpRequest[] = [];
  constructor(private readonly answers: Array<HttpResponse | Error>) {}
  send(_provider: string, req: HttpRequest): Promise<HttpResponse> {
    this.sent.push(req);
    const next = this.answers.shift();
    if (next === undefined) return Promise.reject(new Error('no scripted answer left'));
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const credentialAnswer = json(201, {
  credential: {
    access: 'TEMPAKTEMPAKTEMPAK00',
    secret: 'temp-secret-never-shown',
    securitytoken: 'temp-security-token-never-shown',
    expires_at: '2025-01-02T04:04:05.123456Z',
  },
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

/** The simulator's own verifier, given what the client would put on the wire. */
function verifies(req: HttpRequest, sk: string): boolean {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const result = verifyHuaweiRequest(
    {
      method: req.method,
      path: req.url.pathname,
      rawQuery: req.url.search.replace(/^\?/, ''),
      headers,
      body: req.body ?? '',
    },
    (ak) => (ak === AK ? sk : undefined),
    NOW.getTime(),
  );
  return result.ok;
}

describe('exchangeIdToken', () => {
  it('posts the ID token unsigned with X-Idp-Id and returns the X-Subject-Token with its expiry', async () => {
    const transport = new ScriptedTransport([
      json(
        201,
        { token: { expires_at: '2025-01-03T03:04:05.806000Z', methods: ['mapped'] } },
        { 'x-subject-token': 'MIIissued-token' },
      ),
    ]);
    const got = await exchangeIdToken({ endpoint: ENDPOINT, transport, now, idpId: 'cce-oidc', idToken: ID_TOKEN });
    expect(got).toEqual({ value: 'MIIissued-token', expiresAt: Date.UTC(2025, 0, 3, 3, 4, 5, 806) });
    const [req] = transport.sent;
    expect(req?.method).toBe('POST');
    expect(req?.url.href).toBe(`${ENDPOINT}/v3.0/OS-AUTH/id-token/tokens`);
    expect(req?.headers).toEqual({ 'Content-Type': 'application/json;charset=UTF-8', 'X-Idp-Id': 'cce-oidc' });
    expect(JSON.parse(req?.body ?? '')).toEqual({ auth: { id_token: { id: ID_TOKEN } } });
  });

  it('asks for a project-scoped token by project id, or by the region as project name', async () => {
    const answer = () =>
      json(201, { token: { expires_at: '2025-01-03T03:04:05Z' } }, { 'x-subject-token': 'MIIscoped' });
    const transport = new ScriptedTransport([answer(), answer()]);
    const base = { endpoint: ENDPOINT, transport, now, idpId: 'idp', idToken: ID_TOKEN };
    await exchangeIdToken({ ...base, projectId: 'p-123', region: 'cn-north-4' });
    await exchangeIdToken({ ...base, region: 'cn-north-4' });
    expect(JSON.parse(transport.sent[0]?.body ?? '').auth.scope).toEqual({ project: { id: 'p-123' } });
    expect(JSON.parse(transport.sent[1]?.body ?? '').auth.scope).toEqual({ project: { name: 'cn-north-4' } });
  });

  it('keeps an http endpoint with a port and a base path', async () => {
    const transport = new ScriptedTransport([
      json(201, { token: { expires_at: '2025-01-03T03:04:05Z' } }, { 'x-subject-token': 'MII' }),
    ]);
    await exchangeIdToken({ endpoint: 'http://127.0.0.1:8443/iam/', transport, idpId: 'i', idToken: 't' });
    expect(transport.sent[0]?.url.href).toBe('http://127.0.0.1:8443/iam/v3.0/OS-AUTH/id-token/tokens');
  });

  it('treats a 2xx without X-Subject-Token or without a readable expiry as a transient failure', async () => {
    const transport = new ScriptedTransport([
      json(201, { token: { expires_at: '2025-01-03T03:04:05Z' } }),
      json(201, { token: { expires_at: 'tomorrow' } }, { 'x-subject-token': 'MII' }),
      json(201, '<html>proxy</html>', { 'x-subject-token': 'MII' }),
    ]);
    for (let i = 0; i < 3; i++) {
      const err = await rejection(exchangeIdToken({ endpoint: ENDPOINT, transport, idpId: 'i', idToken: ID_TOKEN }));
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(err.transient).toBe(true);
      expect(err.details).toMatchObject({ provider: 'IAM', httpStatus: 201 });
    }
  });

  it('refuses an untrusted ID token as PROVIDER_AUTH_FAILED without repeating the token', async () => {
    const transport = new ScriptedTransport([
      json(
        401,
        { error: { code: 401, message: `The request you have made requires authentication: ${ID_TOKEN}`, title: 'x' } },
        { 'x-request-id': 'req-401' },
      ),
    ]);
    const err = await rejection(exchangeIdToken({ endpoint: ENDPOINT, transport, idpId: 'i', idToken: ID_TOKEN }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details).toEqual({ provider: 'IAM', httpStatus: 401, providerCode: '401', requestId: 'req-401' });
    expect(err.message).not.toContain(ID_TOKEN);
    expect(err.message).toMatch(/^IAM refused the ID-token exchange \(HTTP 401, 401\)/);
  });
});

describe('createTemporaryKeys', () => {
  it('sends the token in X-Auth-Token with methods ["token"] and returns the issued key and expiry', async () => {
    const transport = new ScriptedTransport([credentialAnswer]);
    const got = await createTemporaryKeys({
      endpoint: ENDPOINT,
      transport,
      now,
      auth: { kind: 'token', token: TOKEN },
      durationSeconds: 3600,
    });
    expect(got).toEqual({
      value: {
        ak: 'TEMPAKTEMPAKTEMPAK00',
        sk: 'temp-secret-never-shown',
        securityToken: 'temp-security-token-never-shown',
      },
      expiresAt: Date.UTC(2025, 0, 2, 4, 4, 5, 123),
    });
    const [req] = transport.sent;
    expect(req?.url.href).toBe(`${ENDPOINT}/v3.0/OS-CREDENTIAL/securitytokens`);
    expect(req?.headers).toEqual({ 'Content-Type': 'application/json;charset=UTF-8', 'X-Auth-Token': TOKEN });
    expect(JSON.parse(req?.body ?? '')).toEqual({
      auth: { identity: { methods: ['token'], token: { duration_seconds: 3600 } } },
    });
  });

  it("keeps the duration inside IAM's 15 minutes to 24 hours", async () => {
    const transport = new ScriptedTransport([credentialAnswer, credentialAnswer]);
    const base = { endpoint: ENDPOINT, transport, auth: { kind: 'token', token: TOKEN } as const };
    await createTemporaryKeys({ ...base, durationSeconds: 60 });
    await createTemporaryKeys({ ...base, durationSeconds: 7 * 86_400 });
    const durations = transport.sent.map((r) => JSON.parse(r.body ?? '').auth.identity.token.duration_seconds);
    expect(durations).toEqual([900, 86_400]);
  });

  it('signs the POST, body included, when given an AK/SK with its security token', async () => {
    const transport = new ScriptedTransport([credentialAnswer]);
    await createTemporaryKeys({
      endpoint: ENDPOINT,
      transport,
      now,
      auth: { kind: 'aksk', ak: AK, sk: SK, securityToken: 'sts-token' },
      durationSeconds: 900,
    });
    const [req] = transport.sent;
    expect(req?.headers['X-Security-Token']).toBe('sts-token');
    expect(req?.headers['X-Auth-Token']).toBeUndefined();
    expect(req?.headers.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=BASEAKBASEAKBASEAK00, SignedHeaders=.*x-sdk-date/,
    );
    expect(verifies(req as HttpRequest, SK)).toBe(true);
    expect(verifies({ ...(req as HttpRequest), body: '{"tampered":true}' }, SK)).toBe(false);
  });

  it('treats a 2xx without access, secret, security token or expiry as a transient failure', async () => {
    const good = {
      access: 'A',
      secret: 'temp-secret-never-shown',
      securitytoken: 'temp-security-token-never-shown',
      expires_at: '2025-01-02T04:04:05Z',
    };
    const broken = [
      { ...good, access: undefined },
      { ...good, secret: '' },
      { ...good, securitytoken: 42 },
      { ...good, expires_at: 'soon' },
    ];
    const transport = new ScriptedTransport(broken.map((credential) => json(201, { credential })));
    for (const _ of broken) {
      const err = await rejection(
        createTemporaryKeys({
          endpoint: ENDPOINT,
          transport,
          auth: { kind: 'token', token: TOKEN },
          durationSeconds: 900,
        }),
      );
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      for (const secret of SECRETS) expect(err.message).not.toContain(secret);
    }
  });
});

describe('assumeAgency', () => {
  it('asks for assume_role on the agency by domain name or by domain id', async () => {
    const transport = new ScriptedTransport([credentialAnswer, credentialAnswer]);
    const base = { endpoint: ENDPOINT, transport, now, auth: { kind: 'aksk', ak: AK, sk: SK } as const };
    await assumeAgency({ ...base, domainName: 'target-account', agencyName: 'jobs-reader', durationSeconds: 3600 });
    await assumeAgency({ ...base, domainId: 'd-42', agencyName: 'jobs-reader', durationSeconds: 3600 });
    expect(transport.sent.map((r) => JSON.parse(r.body ?? ''))).toEqual([
      {
        auth: {
          identity: {
            methods: ['assume_role'],
            assume_role: { agency_name: 'jobs-reader', domain_name: 'target-account', duration_seconds: 3600 },
          },
        },
      },
      {
        auth: {
          identity: {
            methods: ['assume_role'],
            assume_role: { agency_name: 'jobs-reader', domain_id: 'd-42', duration_seconds: 3600 },
          },
        },
      },
    ]);
    expect(transport.sent.every((r) => verifies(r, SK))).toBe(true);
  });

  it('reports an unknown agency or an untrusted caller as PROVIDER_AUTH_FAILED naming what to check', async () => {
    const transport = new ScriptedTransport([
      json(404, { error_msg: 'Could not find agency.', error_code: 'IAM.0004' }),
      json(403, { error: { code: 403, message: 'You are not authorized to perform the requested action.' } }),
    ]);
    const call = () =>
      assumeAgency({
        endpoint: ENDPOINT,
        transport,
        auth: { kind: 'token', token: TOKEN },
        domainId: 'd',
        agencyName: 'a',
        durationSeconds: 900,
      });
    const notFound = await rejection(call());
    expect(notFound.code).toBe('PROVIDER_AUTH_FAILED');
    expect(notFound.details).toMatchObject({ providerCode: 'IAM.0004', httpStatus: 404 });
    expect(notFound.message).toContain('check the agency name');
    const untrusted = await rejection(call());
    expect(untrusted.code).toBe('PROVIDER_AUTH_FAILED');
    expect(untrusted.details).toMatchObject({ providerCode: '403', httpStatus: 403 });
  });
});

describe('findProjectId', () => {
  it('makes one GET /v3/projects?name=<region> and returns the id of the project with that name', async () => {
    const transport = new ScriptedTransport([
      json(200, {
        projects: [
          { id: 'p-other', name: 'cn-north-4_sub' },
          { id: 'p-north-4', name: 'cn-north-4', domain_id: 'd' },
        ],
      }),
    ]);
    const id = await findProjectId({
      endpoint: ENDPOINT,
      transport,
      now,
      auth: { kind: 'aksk', ak: AK, sk: SK },
      region: 'cn-north-4',
    });
    expect(id).toBe('p-north-4');
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.method).toBe('GET');
    expect(transport.sent[0]?.url.href).toBe(`${ENDPOINT}/v3/projects?name=cn-north-4`);
    expect(verifies(transport.sent[0] as HttpRequest, SK)).toBe(true);
  });

  it('returns null when the account has no project of that name, and never asks to create one', async () => {
    const transport = new ScriptedTransport([json(200, { projects: [] })]);
    const id = await findProjectId({
      endpoint: ENDPOINT,
      transport,
      auth: { kind: 'token', token: TOKEN },
      region: 'ap-southeast-1',
    });
    expect(id).toBeNull();
    expect(transport.sent.map((r) => r.method)).toEqual(['GET']);
    expect(transport.sent[0]?.headers['X-Auth-Token']).toBe(TOKEN);
  });

  it('treats an answer without a projects list as a transient failure', async () => {
    const transport = new ScriptedTransport([json(200, { project: {} })]);
    const err = await rejection(
      findProjectId({ endpoint: ENDPOINT, transport, auth: { kind: 'token', token: TOKEN }, region: 'r' }),
    );
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
  });
});

describe('IAM error mapping', () => {
  const call = (answer: HttpResponse | Error) =>
    rejection(
      createTemporaryKeys({
        endpoint: ENDPOINT,
        transport: new ScriptedTransport([answer]),
        now,
        auth: { kind: 'aksk', ak: AK, sk: SK },
        durationSeconds: 900,
      }),
    );

  it.each([
    ['a 500', json(500, { error_code: 'IAM.0099', error_msg: 'internal' }), 'IAM.0099'],
    ['a 503 with an HTML page', json(503, '<html>Service Unavailable</html>'), undefined],
    ['a 429 throttle', json(429, { error_code: 'APIGW.0308', error_msg: 'throttled' }), 'APIGW.0308'],
    ['APIGW.0308 under another status', json(400, { error_code: 'APIGW.0308', error_msg: 'x' }), 'APIGW.0308'],
    ['a gateway backend fault', json(400, { error_code: 'APIGW.0702', error_msg: 'x' }), 'APIGW.0702'],
    ['a redirect', json(302, ''), undefined],
  ])('turns %s into CREDENTIALS_UNAVAILABLE', async (_name, answer, providerCode) => {
    const err = await call(answer);
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.transient).toBe(true);
    expect(err.details.providerCode).toBe(providerCode);
    expect(err.details.httpStatus).toBe(answer.status);
  });

  it.each([
    ['a bad signature', json(401, { error_code: 'APIGW.0301', error_msg: 'verify aksk signature fail' }), 'APIGW.0301'],
    ['a forbidden call', json(403, { error: { code: 403, message: 'Forbidden', title: 'Forbidden' } }), '403'],
    ['a rejected body', json(400, { error_code: 'IAM.0011', error_msg: 'Request body is invalid.' }), 'IAM.0011'],
  ])('turns %s into PROVIDER_AUTH_FAILED', async (_name, answer, providerCode) => {
    const err = await call(answer);
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.transient).toBe(false);
    expect(err.details).toMatchObject({ provider: 'IAM', providerCode, httpStatus: answer.status });
  });

  it('keeps the request id and the Retry-After of a throttled answer', async () => {
    const err = await call(
      json(429, { error_code: 'APIGW.0308', error_msg: 'x' }, { 'x-request-id': 'abc123', 'retry-after': '7' }),
    );
    expect(err.details).toMatchObject({ requestId: 'abc123', retryAfterMs: 7000 });
    expect(err.message).toBe('IAM throttled the temporary key request (HTTP 429, APIGW.0308)');
  });

  it('says so when the base credential or clock has expired', async () => {
    const expired = await call(json(401, { error_code: 'APIGW.0301', error_msg: 'token expires' }));
    expect(expired.message).toContain('has expired');
    const skew = await call(json(401, { error_code: 'APIGW.0303', error_msg: 'signature expired' }));
    expect(skew.message).toContain('clock');
  });

  it('never repeats credentials, tokens or the body of an answer that echoes them', async () => {
    const echo = `canonicalRequest:POST|/v3.0/OS-CREDENTIAL/securitytokens/|${AK}|${SK}|${TOKEN}|${ID_TOKEN}`;
    for (const answer of [
      json(401, { error_code: 'APIGW.0301', error_msg: echo }),
      json(500, { error: { code: 500, message: echo } }),
      json(400, echo),
    ]) {
      const err = await call(answer);
      const shown = `${err.message} ${JSON.stringify(err.details)}`;
      for (const secret of [...SECRETS, echo]) expect(shown).not.toContain(secret);
    }
  });

  it('re-wraps a transport timeout or connection failure as CREDENTIALS_UNAVAILABLE and keeps the cause', async () => {
    for (const fault of [
      new JobError('PROVIDER_TIMEOUT', 'IAM did not answer in time', { provider: 'IAM' }),
      new JobError('PROVIDER_UNAVAILABLE', 'IAM connection failed (ECONNREFUSED)', { provider: 'IAM' }),
      new JobError('PROVIDER_BAD_RESPONSE', 'IAM response body exceeds 10 bytes', { provider: 'IAM', httpStatus: 200 }),
    ]) {
      const err = await call(fault);
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(err.cause).toBe(fault);
      expect(err.message).toContain(fault.message);
      expect(err.details.provider).toBe('IAM');
    }
  });
});

describe('parseHuaweiTime', () => {
  it.each([
    ['2020-01-08T03:50:07.574000Z', Date.UTC(2020, 0, 8, 3, 50, 7, 574)],
    ['2020-01-08T03:50:07Z', Date.UTC(2020, 0, 8, 3, 50, 7)],
    ['2020-01-08T03:50:07.5Z', Date.UTC(2020, 0, 8, 3, 50, 7, 500)],
    ['2020-01-08T03:50:07.574000', Date.UTC(2020, 0, 8, 3, 50, 7, 574)],
    ['2020-01-08T11:50:07.000+0800', Date.UTC(2020, 0, 8, 3, 50, 7)],
    ['2020-01-08T11:50:07+08:00', Date.UTC(2020, 0, 8, 3, 50, 7)],
  ])('reads %s', (text, ms) => {
    expect(parseHuaweiTime(text)).toBe(ms);
  });

  it.each([undefined, null, 1_700_000_000, '', 'tomorrow', '2020-13-45T99:99:99Z'])('rejects %s', (value) => {
    expect(parseHuaweiTime(value)).toBeNull();
  });
});
