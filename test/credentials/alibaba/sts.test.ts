/**
 * The STS client's wire format and error mapping, against a scripted transport (no sockets; the
 * exchanges with the STS fake are in sts.int.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { JobError } from '../../../src/errors.js';
import {
  assumeRole,
  assumeRoleWithOidc,
  type AssumeRoleOptions,
  type AssumeRoleWithOidcOptions,
} from '../../../src/credentials/alibaba/sts.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../src/providers/http.js';
import { rejection } from '../../helpers/provider-harness.js';

const NOW = new Date('2025-01-02T03:04:05Z');
const SECRET = 'base-secret-DO-NOT-LEAK';
const BASE_TOKEN = 'CAISbase-security-token-DO-NOT-LEAK';
const OIDC_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzYSJ9.c2lnbmF0dXJlLURPLU5PVC1MRUFL';
const ISSUED = {
  AccessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez',
  AccessKeySecret: 'issued-secret',
  SecurityToken: 'CAISissued-token',
  Expiration: '2025-01-02T04:04:05Z',
};

function okBody(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    RequestId: '6894B13B-6D71-4EF5-88FA-F32781734A7F',
    AssumedRoleUser: {
      Arn: 'acs:ram::123456789012:role/reader/jobs-subgraph',
      AssumedRoleId: '344584339364951186:jobs-subgraph',
    },
    Credentials: ISSUED,
    ...overrides,
  });
}

/** A transport that records requests and answers from a script (a response or a thrown error). */
function scripted(answer: HttpResponse | Error | ((req: HttpRequest) => HttpResponse)) {
  const sent: Array<{ provider: string; req: HttpRequest }> = [];
  const transport: Pick<HttpTransport, 'send'> = {
    send: async (provider, req) => {
      sent.push({ provider, req });
      if (answer instanceof Error) throw answer;
      return typeof answer === 'function' ? answer(req) : answer;
    },
  };
  return { transport, sent };
}

const ok = (body = okBody()): HttpResponse => ({ status: 200, headers: {}, body });

function roleOptions(transport: Pick<HttpTransport, 'send'>, over: Partial<AssumeRoleOptions> = {}): AssumeRoleOptions {
  return {
    endpoint: 'http://127.0.0.1:8931',
    transport,
    now: () => NOW,
    nonce: () => 'fixed-nonce',
    credentials: { accessKeyId: 'LTAIbaseKey', accessKeySecret: SECRET },
    roleArn: 'acs:ram::123456789012:role/reader',
    sessionName: 'jobs-subgraph',
    durationSeconds: 1800,
    ...over,
  };
}

function oidcOptions(
  transport: Pick<HttpTransport, 'send'>,
  over: Partial<AssumeRoleWithOidcOptions> = {},
): AssumeRoleWithOidcOptions {
  return {
    endpoint: 'https://sts.cn-hangzhou.aliyuncs.com',
    transport,
    now: () => NOW,
    roleArn: 'acs:ram::123456789012:role/reader',
    oidcProviderArn: 'acs:ram::123456789012:oidc-provider/ack-rrsa',
    oidcToken: OIDC_TOKEN,
    sessionName: 'jobs-subgraph',
    ...over,
  };
}

describe('assumeRole', () => {
  it('sends a V3-signed POST to the endpoint host and port with the parameters in the query', async () => {
    const { transport, sent } = scripted(ok());
    await assumeRole(roleOptions(transport));
    expect(sent).toHaveLength(1);
    const { provider, req } = sent[0]!;
    expect(provider).toBe('STS');
    expect(req.method).toBe('POST');
    expect(req.url.origin).toBe('http://127.0.0.1:8931');
    expect(req.url.pathname).toBe('/');
    expect(Object.fromEntries(req.url.searchParams)).toEqual({
      RoleArn: 'acs:ram::123456789012:role/reader',
      RoleSessionName: 'jobs-subgraph',
      DurationSeconds: '1800',
    });
    expect(req.headers).toMatchObject({
      host: '127.0.0.1:8931',
      accept: 'application/json',
      'x-acs-action': 'AssumeRole',
      'x-acs-version': '2015-04-01',
      'x-acs-date': '2025-01-02T03:04:05Z',
      'x-acs-signature-nonce': 'fixed-nonce',
    });
    expect(req.headers.authorization).toMatch(/^ACS3-HMAC-SHA256 Credential=LTAIbaseKey,SignedHeaders=/);
    expect(req.headers['x-acs-security-token']).toBeUndefined();
  });

  it('passes ExternalId only when one is configured', async () => {
    const { transport, sent } = scripted(ok());
    await assumeRole(roleOptions(transport, { externalId: 'abcd1234' }));
    await assumeRole(roleOptions(transport));
    expect(sent[0]!.req.url.searchParams.get('ExternalId')).toBe('abcd1234');
    expect(sent[1]!.req.url.searchParams.has('ExternalId')).toBe(false);
  });

  it('signs with the base security token when the base credentials are themselves STS credentials', async () => {
    const { transport, sent } = scripted(ok());
    await assumeRole(
      roleOptions(transport, {
        credentials: { accessKeyId: 'STS.base', accessKeySecret: SECRET, securityToken: BASE_TOKEN },
      }),
    );
    const { headers } = sent[0]!.req;
    expect(headers['x-acs-security-token']).toBe(BASE_TOKEN);
    expect(headers.authorization).toMatch(/SignedHeaders=[^,]*x-acs-security-token/);
  });

  it('defaults the session name and duration and leaves the port out of the host for https', async () => {
    const { transport, sent } = scripted(ok());
    await assumeRole({
      endpoint: 'https://sts.cn-hangzhou.aliyuncs.com',
      transport,
      credentials: { accessKeyId: 'LTAIbaseKey', accessKeySecret: SECRET },
      roleArn: 'acs:ram::123456789012:role/reader',
    });
    const { req } = sent[0]!;
    expect(req.headers.host).toBe('sts.cn-hangzhou.aliyuncs.com');
    expect(req.url.searchParams.get('RoleSessionName')).toBe('jobs-subgraph');
    expect(req.url.searchParams.get('DurationSeconds')).toBe('3600');
  });

  it('returns the issued credentials with their Expiration as epoch ms', async () => {
    const { transport } = scripted(ok());
    await expect(assumeRole(roleOptions(transport))).resolves.toEqual({
      value: {
        accessKeyId: ISSUED.AccessKeyId,
        accessKeySecret: ISSUED.AccessKeySecret,
        securityToken: ISSUED.SecurityToken,
      },
      expiresAt: Date.parse('2025-01-02T04:04:05Z'),
    });
  });
});

describe('assumeRoleWithOidc', () => {
  it('sends an unsigned call with the token in the form body, never in the URL', async () => {
    const { transport, sent } = scripted(ok());
    await assumeRoleWithOidc(oidcOptions(transport, { durationSeconds: 900 }));
    const { req } = sent[0]!;
    expect(req.method).toBe('POST');
    expect(req.url.href).not.toContain(OIDC_TOKEN);
    expect(Object.fromEntries(req.url.searchParams)).toEqual({
      Action: 'AssumeRoleWithOIDC',
      Version: '2015-04-01',
      Format: 'JSON',
      Timestamp: '2025-01-02T03:04:05Z',
    });
    expect(req.headers).toEqual({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' });
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      RoleArn: 'acs:ram::123456789012:role/reader',
      OIDCProviderArn: 'acs:ram::123456789012:oidc-provider/ack-rrsa',
      OIDCToken: OIDC_TOKEN,
      RoleSessionName: 'jobs-subgraph',
      DurationSeconds: '900',
    });
  });

  it('returns the issued credentials', async () => {
    const { transport } = scripted(ok(okBody({ OIDCTokenInfo: { Subject: 'sa' } })));
    const result = await assumeRoleWithOidc(oidcOptions(transport));
    expect(result.value.accessKeyId).toBe(ISSUED.AccessKeyId);
    expect(result.expiresAt).toBe(Date.parse(ISSUED.Expiration));
  });
});

/** Runs both exchanges against one scripted answer. */
async function bothFailWith(answer: HttpResponse | Error): Promise<JobError[]> {
  const { transport } = scripted(answer);
  return [
    await rejection(assumeRole(roleOptions(transport))),
    await rejection(assumeRoleWithOidc(oidcOptions(transport))),
  ];
}

function expectNoSecrets(err: JobError): void {
  for (const secret of [SECRET, BASE_TOKEN, OIDC_TOKEN, 'string to sign', 'issued-secret', 'CAISissued-token']) {
    expect(err.message).not.toContain(secret);
  }
}

const popError = (code: string, message = 'details from STS'): string =>
  JSON.stringify({ RequestId: 'REQ-1', HostId: 'sts.aliyuncs.com', Code: code, Message: message, Recommend: 'x' });

describe('STS refusals become PROVIDER_AUTH_FAILED', () => {
  it.each([
    [404, 'InvalidAccessKeyId.NotFound'],
    [400, 'SignatureDoesNotMatch'],
    [400, 'InvalidSecurityToken.Expired'],
    [403, 'NoPermission'],
    [404, 'EntityNotExist.Role'],
    [400, 'InvalidParameter.RoleSessionName'],
    [401, 'AuthenticationFail.OIDCToken.Invalid'],
    [400, 'InvalidTimeStamp.Expired'],
  ])('HTTP %i %s', async (status, code) => {
    for (const err of await bothFailWith({ status, headers: {}, body: popError(code) })) {
      expect(err.code).toBe('PROVIDER_AUTH_FAILED');
      expect(err.transient).toBe(false);
      expect(err.details).toEqual({ provider: 'STS', providerCode: code, requestId: 'REQ-1', httpStatus: status });
      expect(err.message).toContain(code);
    }
  });

  it('keeps STS free text, which can echo the string to sign or the token, out of the message', async () => {
    const message = `Specified signature does not match. server string to sign is: POST&%2F&AccessKeyId%3D${SECRET}&OIDCToken=${OIDC_TOKEN}&SecurityToken=${BASE_TOKEN}`;
    for (const err of await bothFailWith({
      status: 400,
      headers: {},
      body: popError('SignatureDoesNotMatch', message),
    })) {
      expect(err.message).not.toContain('details');
      expect(err.message).not.toContain('server string');
      expectNoSecrets(err);
    }
  });

  it('takes the request id from x-acs-request-id when present and cuts odd characters from codes', async () => {
    const body = JSON.stringify({ Code: 'NoPermission<script>', RequestId: 'body-id' });
    const [err] = await bothFailWith({ status: 403, headers: { 'x-acs-request-id': 'HEADER-ID' }, body });
    expect(err!.details.providerCode).toBe('NoPermissionscript');
    expect(err!.details.requestId).toBe('HEADER-ID');
  });
});

describe('passing STS trouble becomes CREDENTIALS_UNAVAILABLE', () => {
  it.each([
    ['a 503 with a code', { status: 503, headers: {}, body: popError('ServiceUnavailable') }],
    ['a 500 without a body', { status: 500, headers: {}, body: '' }],
    ['a 502 HTML page from a proxy', { status: 502, headers: {}, body: '<html>Bad Gateway</html>' }],
    ['throttling on HTTP 400', { status: 400, headers: {}, body: popError('Throttling.User') }],
    ['a 429', { status: 429, headers: {}, body: '' }],
    ['a 4xx whose body is no STS envelope', { status: 404, headers: {}, body: '<html>Not Found</html>' }],
  ])('%s', async (_name, answer) => {
    for (const err of await bothFailWith(answer)) {
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(err.transient).toBe(true);
      expect(err.details.provider).toBe('STS');
      expect(err.details.httpStatus).toBe(answer.status);
    }
  });

  it('passes on the wait STS asks for when it throttles', async () => {
    const [err] = await bothFailWith({
      status: 400,
      headers: { 'x-acs-retry-after': '1500' },
      body: popError('Throttling'),
    });
    expect(err!.details.retryAfterMs).toBe(1500);
  });

  it.each([
    ['a transport timeout', new JobError('PROVIDER_TIMEOUT', 'STS did not answer in time', { provider: 'STS' })],
    [
      'a refused connection',
      new JobError('PROVIDER_UNAVAILABLE', 'STS connection failed (ECONNREFUSED)', { provider: 'STS' }),
    ],
    [
      'a body too large',
      new JobError('PROVIDER_BAD_RESPONSE', 'STS response body exceeds 1 bytes', { provider: 'STS' }),
    ],
  ])('%s, keeping the transport error as the cause', async (_name, fault) => {
    for (const err of await bothFailWith(fault)) {
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(err.cause).toBe(fault);
      expect(err.details.provider).toBe('STS');
    }
  });

  const issued = JSON.parse(okBody()) as Record<string, any>;
  it.each([
    ['not JSON', '<html>ok</html>'],
    ['no RequestId', okBody({ RequestId: undefined })],
    ['no AssumedRoleUser', okBody({ AssumedRoleUser: undefined })],
    ['no SecurityToken', okBody({ Credentials: { ...issued.Credentials, SecurityToken: undefined } })],
    ['an empty AccessKeySecret', okBody({ Credentials: { ...issued.Credentials, AccessKeySecret: '' } })],
    ['a numeric AccessKeyId', okBody({ Credentials: { ...issued.Credentials, AccessKeyId: 42 } })],
    ['an Expiration that is no time', okBody({ Credentials: { ...issued.Credentials, Expiration: 'tomorrow' } })],
    [
      'an impossible Expiration',
      okBody({ Credentials: { ...issued.Credentials, Expiration: '2025-13-45T99:00:00Z' } }),
    ],
  ])('a 200 with %s, without echoing the body', async (_name, body) => {
    for (const err of await bothFailWith(ok(body))) {
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      expect(err.message).toBe(`STS ${err.message.split(' ')[1]} sent an unexpected response: HTTP 200`);
      expectNoSecrets(err);
    }
  });
});
