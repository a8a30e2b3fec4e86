import { describe, expect, it } from 'vitest';
import { ecsSecurityKey } from '../../../src/credentials/huawei/metadata.js';
import { JobError } from '../../../src/errors.js';
import type { HttpRequest, HttpResponse } from '../../../src/providers/http.js';

const SECRET = 'metadata-secret-never-shown';
const SECURITY_TOKEN = 'gQpjbi1ub3J0aC00-metadata-token-never-shown';

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

const answer = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: {},
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const credential = {
  access: 'METAAKMETAAKMETAAK00',
  secret: SECRET,
  securitytoken: SECURITY_TOKEN,
  expires_at: '2025-01-02T04:04:05.574000Z',
};

async function rejection(p: Promise<unknown>): Promise<JobError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(JobError);
    return err as JobError;
  }
  throw new Error('expected a rejection');
}

describe('ecsSecurityKey', () => {
  it('GETs /openstack/latest/securitykey from 169.254.169.254 without credentials and returns the key', async () => {
    const transport = new ScriptedTransport([answer(200, { credential })]);
    const got = await ecsSecurityKey({ transport });
    expect(got).toEqual({
      value: { ak: 'METAAKMETAAKMETAAK00', sk: SECRET, securityToken: SECURITY_TOKEN },
      expiresAt: Date.UTC(2025, 0, 2, 4, 4, 5, 574),
    });
    expect(transport.sent).toEqual([
      { method: 'GET', url: new URL('http://169.254.169.254/openstack/latest/securitykey'), headers: {} },
    ]);
  });

  it('uses an endpoint override with its port and base path', async () => {
    const transport = new ScriptedTransport([answer(200, { credential })]);
    await ecsSecurityKey({ endpoint: 'http://127.0.0.1:9000/meta/', transport });
    expect(transport.sent[0]?.url.href).toBe('http://127.0.0.1:9000/meta/openstack/latest/securitykey');
  });

  it.each([
    ['no agency bound (404)', answer(404, 'Please configure Cloud Service Agency first')],
    ['an unauthorised read (401)', answer(401, 'Unauthorized')],
    ['a forbidden read (403)', answer(403, 'Forbidden')],
  ])('reports %s as PROVIDER_AUTH_FAILED', async (_name, res) => {
    const err = await rejection(ecsSecurityKey({ transport: new ScriptedTransport([res]) }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details).toMatchObject({ provider: 'ECS_METADATA', httpStatus: res.status });
    expect(err.message).toContain('bind an agency');
  });

  it.each([
    ['a 500', answer(500, 'Internal Server Error')],
    ['a 503', answer(503, '')],
    ['a 429', answer(429, '')],
    ['an HTML page', answer(200, '<html>captive portal</html>')],
    ['a credential without a security token', answer(200, { credential: { ...credential, securitytoken: '' } })],
    ['an unreadable expiry', answer(200, { credential: { ...credential, expires_at: 'later' } })],
  ])('reports %s as CREDENTIALS_UNAVAILABLE', async (_name, res) => {
    const err = await rejection(ecsSecurityKey({ transport: new ScriptedTransport([res]) }));
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.transient).toBe(true);
    for (const secret of [SECRET, SECURITY_TOKEN]) expect(err.message).not.toContain(secret);
  });

  it('re-wraps a transport failure as CREDENTIALS_UNAVAILABLE and keeps the cause', async () => {
    const fault = new JobError('PROVIDER_TIMEOUT', 'ECS_METADATA did not answer in time', { provider: 'ECS_METADATA' });
    const err = await rejection(ecsSecurityKey({ transport: new ScriptedTransport([fault]) }));
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.cause).toBe(fault);
  });
});
