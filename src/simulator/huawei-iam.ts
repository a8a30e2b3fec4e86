/**
 * Fake Huawei Cloud IAM: the calls a credential source makes, judged against the shared
 * {@link SimulatedIdentities} (never against client code):
 * - `POST /v3.0/OS-AUTH/id-token/tokens` (CreateTokenWithIdToken, api-iam/iam_13_0605.html): `X-Idp-Id` +
 *   `{auth:{id_token:{id}, scope?}}` → 201, token in `X-Subject-Token`, `{token:{expires_at,…}}`;
 * - `POST /v3.0/OS-CREDENTIAL/securitytokens` (iam_04_0002 `token`, iam_04_0101 `assume_role`), caller by
 *   AK/SK signature or `X-Auth-Token` → 201 `{credential:{access,secret,securitytoken,expires_at}}`;
 * - `GET /v3/projects?name=` (KeystoneListProjects) → 200 `{projects:[…]}` from the caller's domain.
 * Writes to `/v3/projects` (the SDKs' create-project fallback) are refused with 403 and stay in the
 * request log, so tests can assert that none happened ({@link projectWrites}).
 * Error bodies: the gateway's `{error_code,error_msg,request_id}` for authentication, Keystone's
 * `{error:{code,message,title}}` for IAM's own refusals. Times as IAM writes them
 * (`2020-01-08T03:50:07.574000Z`, as in huaweicloud-sdk-go-v3 core/auth/*_test.go).
 */
import { FakeProviderServer, type FakeReply, type FakeRequest } from './fake-server.js';
import { huaweiError, newRequestId } from './huawei-fake.js';
import type { HuaweiKeyRecord, SimulatedIdentities } from './identities.js';
import { verifyHuaweiRequest } from './verify-huawei.js';

export interface HuaweiIamFakeOptions {
  identities: SimulatedIdentities;
  /** Allowed X-Sdk-Date skew. @default 15 minutes, the gateway's */
  maxSkewMs?: number;
}

const ID_TOKEN_PATH = '/v3.0/OS-AUTH/id-token/tokens';
const SECURITY_TOKENS_PATH = '/v3.0/OS-CREDENTIAL/securitytokens';
const PROJECTS_PATH = /^\/v3\/projects(?:\/.*)?$/;
const MIN_DURATION_S = 900;
const MAX_DURATION_S = 86_400;

/** How many write requests (anything but GET/HEAD) reached `/v3/projects…` on this fake. */
export function projectWrites(server: FakeProviderServer): number {
  return server.requests.filter((r) => PROJECTS_PATH.test(r.path) && r.method !== 'GET' && r.method !== 'HEAD').length;
}

/** IAM's time format: ISO-8601 UTC with microseconds. */
export function iamTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function keystoneError(status: 400 | 401 | 403 | 404, message: string): FakeReply {
  const title = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status];
  return { status, body: { error: { code: status, message, title } } };
}

const badBody = (): FakeReply => huaweiError(400, 'IAM.0011', 'Request body is invalid.');

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function parseBody(req: FakeRequest): Record<string, unknown> | undefined {
  try {
    return obj(JSON.parse(req.body));
  } catch {
    return undefined;
  }
}

type Caller = { ok: true; domainId: string } | { ok: false; reply: FakeReply };

/** Who is calling: an AK/SK signature (temporary keys with their live security token) or an IAM token. */
function authenticate(req: FakeRequest, identities: SimulatedIdentities, maxSkewMs: number): Caller {
  const now = identities.now();
  const fail = (reply: FakeReply): Caller => ({ ok: false, reply });
  if (header(req, 'authorization') !== undefined) {
    const result = verifyHuaweiRequest(req, (ak) => identities.huaweiKey(ak)?.sk, now, maxSkewMs);
    if (!result.ok) {
      if (result.reason === 'expired') {
        return fail(
          huaweiError(
            401,
            'APIGW.0303',
            `Incorrect app authentication information: signature expired, signature time:${header(req, 'x-sdk-date') ?? ''}, server time:${new Date(now).toISOString()}`,
          ),
        );
      }
      // The real gateway echoes its canonical request here; clients must not copy it.
      return fail(
        huaweiError(
          401,
          'APIGW.0301',
          'Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest:POST|/|...',
        ),
      );
    }
    const key = identities.huaweiKey(result.ak) as HuaweiKeyRecord;
    const refusal = temporaryKeyRefusal(req, key, result.signedHeaders, now);
    return refusal ? fail(refusal) : { ok: true, domainId: key.domainId };
  }
  const token = header(req, 'x-auth-token');
  if (token === undefined) {
    return fail(huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: x-auth-token not found'));
  }
  const record = identities.huaweiToken(token);
  if (!record) {
    return fail(huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail'));
  }
  if (record.expiresAt <= now) {
    return fail(huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: token expires'));
  }
  return { ok: true, domainId: record.domainId };
}

/** A temporary key needs its own security token, signed, and must not have expired. */
function temporaryKeyRefusal(
  req: FakeRequest,
  key: HuaweiKeyRecord,
  signedHeaders: readonly string[],
  now: number,
): FakeReply | null {
  const sent = header(req, 'x-security-token');
  if (key.securityToken === undefined) {
    return sent === undefined
      ? null
      : huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: security token invalid');
  }
  if (sent !== key.securityToken || !signedHeaders.includes('x-security-token')) {
    return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: security token invalid');
  }
  if (key.expiresAt !== undefined && key.expiresAt <= now) {
    return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: security token expires');
  }
  return null;
}

/** A fake IAM (not started; call `.start()`). */
export function createHuaweiIamFake(options: HuaweiIamFakeOptions): FakeProviderServer {
  const { identities } = options;
  const maxSkewMs = options.maxSkewMs ?? 15 * 60 * 1000;

  const exchangeIdToken = (req: FakeRequest): FakeReply => {
    const idpId = header(req, 'x-idp-id');
    const auth = obj(parseBody(req)?.auth);
    const idToken = str(obj(auth?.id_token)?.id);
    if (!idpId || !idToken) return badBody();
    const domainId = identities.huaweiIdTokenDomain(idpId, idToken);
    if (domainId === undefined) {
      return keystoneError(401, 'The request you have made requires authentication.');
    }
    const domain = identities.huaweiDomain(domainId);
    const scope = obj(auth?.scope);
    let projectId: string | null = null;
    if (scope) {
      const project = obj(scope.project);
      const wantId = str(project?.id);
      const wantName = str(project?.name);
      if (wantId !== undefined) projectId = Object.values(domain?.projects ?? {}).includes(wantId) ? wantId : null;
      else if (wantName !== undefined) projectId = domain?.projects[wantName] ?? null;
      // A project the federated user's account does not own cannot be granted.
      if ((wantId !== undefined || wantName !== undefined) && projectId === null) {
        return keystoneError(401, 'The request you have made requires authentication.');
      }
    }
    const issued = identities.issueHuaweiToken(domainId, projectId);
    const projectName = Object.entries(domain?.projects ?? {}).find(([, id]) => id === projectId)?.[0];
    const domainInfo = { id: domainId, name: domain?.domainName ?? domainId };
    const token: Record<string, unknown> = {
      expires_at: iamTime(issued.expiresAt),
      issued_at: iamTime(identities.now()),
      methods: ['mapped'],
      user: {
        domain: domainInfo,
        'OS-FEDERATION': { identity_provider: { id: idpId }, protocol: { id: 'oidc' }, groups: [] },
      },
    };
    if (projectId !== null) token.project = { id: projectId, name: projectName ?? projectId, domain: domainInfo };
    return { status: 201, headers: { 'X-Subject-Token': issued.token }, body: { token } };
  };

  const securityTokens = (req: FakeRequest): FakeReply => {
    const caller = authenticate(req, identities, maxSkewMs);
    if (!caller.ok) return caller.reply;
    const identity = obj(obj(parseBody(req)?.auth)?.identity);
    const methods = identity?.methods;
    if (!Array.isArray(methods) || methods.length !== 1) return badBody();
    const method = methods[0];
    const spec = obj(identity?.[method === 'assume_role' ? 'assume_role' : 'token']);
    const duration = spec?.duration_seconds;
    if (
      duration !== undefined &&
      (typeof duration !== 'number' ||
        !Number.isInteger(duration) ||
        duration < MIN_DURATION_S ||
        duration > MAX_DURATION_S)
    ) {
      return badBody();
    }
    let domainId: string;
    if (method === 'token') {
      domainId = caller.domainId;
    } else if (method === 'assume_role') {
      const agencyName = str(spec?.agency_name);
      const target = str(spec?.domain_id) ?? identities.huaweiDomainByName(str(spec?.domain_name) ?? '')?.domainId;
      if (!agencyName || (spec?.domain_id === undefined && spec?.domain_name === undefined)) return badBody();
      const agency = target === undefined ? undefined : identities.huaweiAgency(target, agencyName);
      if (!agency) return huaweiError(404, 'IAM.0004', 'Could not find agency.');
      if (agency.trustedDomainId !== caller.domainId) {
        return keystoneError(403, 'You are not authorized to perform the requested action.');
      }
      domainId = agency.domainId;
    } else {
      return badBody();
    }
    // The store decides the lifetime (tests shorten it), whatever duration was asked for.
    const key = identities.issueHuaweiTemporaryKey(domainId);
    return {
      status: 201,
      body: {
        credential: {
          access: key.ak,
          secret: key.sk,
          securitytoken: key.securityToken,
          expires_at: iamTime(key.expiresAt ?? identities.now()),
        },
      },
    };
  };

  const listProjects = (req: FakeRequest): FakeReply => {
    const caller = authenticate(req, identities, maxSkewMs);
    if (!caller.ok) return caller.reply;
    const domain = identities.huaweiDomain(caller.domainId);
    const name = req.query.get('name');
    const projects = Object.entries(domain?.projects ?? {})
      .filter(([region]) => name === null || region === name)
      .map(([region, id]) => ({
        id,
        name: region,
        domain_id: caller.domainId,
        parent_id: caller.domainId,
        enabled: true,
        is_domain: false,
        description: '',
        links: { self: `https://iam.myhuaweicloud.com/v3/projects/${id}` },
      }));
    return {
      status: 200,
      body: { links: { self: 'https://iam.myhuaweicloud.com/v3/projects', previous: null, next: null }, projects },
    };
  };

  const route = (req: FakeRequest): FakeReply => {
    if (req.path === ID_TOKEN_PATH && req.method === 'POST') return exchangeIdToken(req);
    if (req.path === SECURITY_TOKENS_PATH && req.method === 'POST') return securityTokens(req);
    if (req.path === '/v3/projects' && req.method === 'GET') return listProjects(req);
    // Creating or changing projects is never something the server may do; refuse and keep the log.
    if (PROJECTS_PATH.test(req.path) && req.method !== 'GET' && req.method !== 'HEAD') {
      return keystoneError(403, 'You are not authorized to perform the requested action.');
    }
    return huaweiError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');
  };

  return new FakeProviderServer('IAM', (req) => {
    const reply = route(req);
    const requestId = newRequestId();
    const body =
      reply.body !== null && typeof reply.body === 'object' && 'error_code' in reply.body
        ? { ...reply.body, request_id: requestId }
        : reply.body;
    return { ...reply, body, headers: { 'X-Request-Id': requestId, ...reply.headers } };
  });
}
