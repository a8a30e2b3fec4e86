/**
 * Fake Alibaba Cloud STS (2015-04-01): `AssumeRole` and `AssumeRoleWithOIDC`, judged against the
 * shared {@link SimulatedIdentities} and answered in the documented shapes:
 * https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerole ,
 * https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-assumerolewithoidc ,
 * error codes https://help.aliyun.com/zh/ram/developer-reference/api-sts-2015-04-01-errorcodes and
 * https://www.alibabacloud.com/help/doc-detail/42775.htm (AssumeRole's common refusals).
 *
 * AssumeRole must carry a V3 signature (checked by ./verify-acs3.ts, never by the client signer)
 * from a key the identities know; V2 (HMAC-SHA1 in the query) is not simulated. AssumeRoleWithOIDC
 * is anonymous, with its parameters in the query or, as the official SDKs send them, a form body.
 * Faults are scripted through {@link FakeProviderServer.enqueueFaults}; `requests` logs every call.
 */
import type { AlibabaKeyRecord, AlibabaRoleRecord, SimulatedIdentities } from './identities.js';
import { newAlibabaRequestId } from './alibaba-fake.js';
import { FakeProviderServer, type FakeReply, type FakeRequest } from './fake-server.js';
import { missingSignedHeaders, parseAcs3Authorization, verifyAcs3 } from './verify-acs3.js';

export interface AlibabaStsFakeOptions {
  identities: SimulatedIdentities;
}

const PRODUCT = 'Sts';
const VERSION = '2015-04-01';
/** The window the gateway allows between `x-acs-date` and its own clock. */
const MAX_SKEW_MS = 15 * 60_000;
/** DurationSeconds: 900 s up to the role's MaxSessionDuration, at most 12 hours. */
const MIN_DURATION_S = 900;
const MAX_DURATION_S = 43_200;
/** RoleSessionName: 2-64 characters of letters, digits, `.`, `@`, `-`, `_`. */
const SESSION_NAME = /^[\w.@-]{2,64}$/;
const OIDC_PROVIDER_ARN = /^acs:ram::\d+:oidc-provider\/[\w.@-]+$/;

const NOT_AUTHORIZED = 'You are not authorized to do this action. You should be authorized by RAM.';

/** Per-request context of an answer. */
interface StsCallContext {
  requestId: string;
  host: string;
}

/** The POP error envelope `{ RequestId, HostId, Code, Message, Recommend }`, id also in `x-acs-request-id`. */
function stsError(status: number, code: string, message: string, ctx: StsCallContext): FakeReply {
  return {
    status,
    headers: { 'x-acs-request-id': ctx.requestId },
    body: {
      RequestId: ctx.requestId,
      HostId: ctx.host,
      Code: code,
      Message: message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=${PRODUCT}&requestId=${ctx.requestId}`,
    },
  };
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** `yyyy-MM-ddTHH:mm:ssZ`, as STS writes `Expiration`. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Query parameters, overlaid by a form body's (RPC APIs take either). */
function parameters(req: FakeRequest): URLSearchParams {
  const params = new URLSearchParams(req.query);
  const type = header(req, 'content-type') ?? '';
  if (req.body !== '' && type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(req.body)) params.set(k, v);
  }
  return params;
}

/** Builds the fake (not started; the caller calls `.start()`). */
export function createAlibabaStsFake(options: AlibabaStsFakeOptions): FakeProviderServer {
  const { identities } = options;
  const seenNonces = new Map<string, number>();

  const handle = (req: FakeRequest): FakeReply => {
    const ctx: StsCallContext = { requestId: newAlibabaRequestId(), host: header(req, 'host') ?? '' };
    const fail = (status: number, code: string, message: string): FakeReply => stsError(status, code, message, ctx);
    const params = parameters(req);
    // V3 names the action in headers, V2 and anonymous calls in the parameters.
    const action = header(req, 'x-acs-action') ?? params.get('Action');
    const version = header(req, 'x-acs-version') ?? params.get('Version');

    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'POST')) {
      return fail(400, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    }
    if (action === 'AssumeRoleWithOIDC') {
      if (version !== VERSION) return fail(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
      return assumeRoleWithOidc(params, ctx, fail);
    }
    if (action !== 'AssumeRole') {
      return fail(400, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    }

    const caller = authenticate(req, fail);
    if ('status' in caller) return caller;
    if (version !== VERSION) return fail(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    return assumeRole(caller, params, ctx, fail);
  };

  type Fail = (status: number, code: string, message: string) => FakeReply;

  /** The POP gateway's checks of a V3-signed call; the caller's key record when they pass. */
  const authenticate = (req: FakeRequest, fail: Fail): AlibabaKeyRecord | FakeReply => {
    const auth = parseAcs3Authorization(header(req, 'authorization'));
    if (!auth) return fail(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    const key = identities.alibabaKey(auth.accessKeyId);
    if (!key) return fail(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const date = header(req, 'x-acs-date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(date) || Number.isNaN(Date.parse(date))) {
      return fail(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    }
    const now = identities.now();
    if (Math.abs(Date.parse(date) - now) > MAX_SKEW_MS) {
      return fail(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    }
    if (missingSignedHeaders(req, auth.signedHeaders).length > 0) {
      return fail(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    }
    if (!verifyAcs3(req, key.accessKeySecret)) {
      // The real gateway echoes its string to sign here; clients must never pass it on.
      return fail(
        400,
        'SignatureDoesNotMatch',
        'Specified signature does not match our calculation. The server string to sign is: ACS3-HMAC-SHA256\\n…',
      );
    }
    const token = header(req, 'x-acs-security-token');
    if (key.securityToken !== undefined && token === undefined) {
      return fail(400, 'MissingSecurityToken', 'SecurityToken is mandatory for this action.');
    }
    if (token !== key.securityToken) {
      return fail(
        400,
        'InvalidSecurityToken.MismatchWithAccessKey',
        'The security token you provided does not match the access key.',
      );
    }
    if (key.expiresAt !== undefined && key.expiresAt <= now) {
      return fail(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
    }
    // Only a verified request uses up its nonce; nonces are remembered for the skew window.
    for (const [n, at] of seenNonces) {
      if (now - at <= MAX_SKEW_MS) break;
      seenNonces.delete(n);
    }
    const nonce = header(req, 'x-acs-signature-nonce') ?? '';
    if (seenNonces.has(nonce)) return fail(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    seenNonces.set(nonce, now);
    return key;
  };

  /** RoleArn, RoleSessionName and DurationSeconds, as both actions check them. */
  const roleParameters = (
    params: URLSearchParams,
    fail: Fail,
  ): { role: AlibabaRoleRecord; sessionName: string } | FakeReply => {
    const roleArn = params.get('RoleArn');
    if (!roleArn) return fail(400, 'MissingRoleArn', 'RoleArn is mandatory for this action.');
    const sessionName = params.get('RoleSessionName');
    if (!sessionName) return fail(400, 'MissingRoleSessionName', 'RoleSessionName is mandatory for this action.');
    if (!SESSION_NAME.test(sessionName)) {
      return fail(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.');
    }
    const duration = params.get('DurationSeconds');
    if (duration !== null) {
      const n = /^\d+$/.test(duration) ? Number(duration) : NaN;
      if (!(n >= MIN_DURATION_S && n <= MAX_DURATION_S)) {
        return fail(
          400,
          'InvalidParameter.DurationSeconds',
          `The Min/Max value of DurationSeconds is ${MIN_DURATION_S}/${MAX_DURATION_S} seconds.`,
        );
      }
    }
    const role = identities.alibabaRole(roleArn);
    if (!role) return fail(404, 'EntityNotExist.Role', 'The specified Role not exists.');
    return { role, sessionName };
  };

  const assumeRole = (
    caller: AlibabaKeyRecord,
    params: URLSearchParams,
    ctx: StsCallContext,
    fail: Fail,
  ): FakeReply => {
    const found = roleParameters(params, fail);
    if ('status' in found) return found;
    const { role, sessionName } = found;
    // Both are conditions of the role's trust policy, and STS refuses either with the same answer.
    if (!role.trustedAccounts.includes(caller.account)) return fail(403, 'NoPermission', NOT_AUTHORIZED);
    if (role.externalId !== undefined && params.get('ExternalId') !== role.externalId) {
      return fail(403, 'NoPermission', NOT_AUTHORIZED);
    }
    return issued(role, sessionName, ctx, {});
  };

  const assumeRoleWithOidc = (params: URLSearchParams, ctx: StsCallContext, fail: Fail): FakeReply => {
    const providerArn = params.get('OIDCProviderArn');
    if (!providerArn) return fail(400, 'MissingOIDCProviderArn', 'OIDCProviderArn is mandatory for this action.');
    if (!OIDC_PROVIDER_ARN.test(providerArn)) {
      return fail(400, 'InvalidParameter.OIDCProviderArn', 'The parameter OIDCProviderArn is invalid.');
    }
    const token = params.get('OIDCToken') ?? '';
    if (token === '') return fail(401, 'AuthenticationFail.OIDCToken.Invalid', 'The OIDCToken can not empty.');
    const found = roleParameters(params, fail);
    if ('status' in found) return found;
    const { role, sessionName } = found;
    // The role's trust policy names the one provider whose tokens may assume it.
    if (role.oidcProviderArn !== providerArn) {
      return fail(401, 'AuthenticationFail.NoPermission', 'There is no permission');
    }
    if (!identities.alibabaOidcAccepts(providerArn, token)) {
      return fail(401, 'AuthenticationFail.OIDCToken.Invalid', 'The Jwt content is invalid that cannot be recognized.');
    }
    return issued(role, sessionName, ctx, oidcTokenInfo(token));
  };

  /** Issues a credential for the role's account and answers with the documented fields. */
  const issued = (
    role: AlibabaRoleRecord,
    sessionName: string,
    ctx: StsCallContext,
    extra: Record<string, unknown>,
  ): FakeReply => {
    const record = identities.issueAlibabaSts(role.account);
    const roleName = role.arn.slice(role.arn.indexOf(':role/') + ':role/'.length);
    // Role ids are 19 digits in the docs' examples; derive a stable one from the account.
    const roleId = `3${role.account.padStart(18, '0').slice(-18)}`;
    return {
      status: 200,
      headers: { 'x-acs-request-id': ctx.requestId },
      body: {
        RequestId: ctx.requestId,
        AssumedRoleUser: {
          Arn: `acs:ram::${role.account}:role/${roleName}/${sessionName}`,
          AssumedRoleId: `${roleId}:${sessionName}`,
        },
        Credentials: {
          AccessKeyId: record.accessKeyId,
          AccessKeySecret: record.accessKeySecret,
          SecurityToken: record.securityToken,
          Expiration: isoSeconds(record.expiresAt ?? identities.now()),
        },
        ...extra,
      },
    };
  };

  return new FakeProviderServer('STS', handle);
}

/** `OIDCTokenInfo` from a JWT's claims, when the token is one; tests often pass opaque strings. */
function oidcTokenInfo(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return {};
  }
  if (typeof claims !== 'object' || claims === null) return {};
  const c = claims as Record<string, unknown>;
  const audience = Array.isArray(c.aud) ? c.aud.join(',') : typeof c.aud === 'string' ? c.aud : undefined;
  const time = (v: unknown): string | undefined => (typeof v === 'number' ? isoSeconds(v * 1000) : undefined);
  return {
    OIDCTokenInfo: {
      Subject: typeof c.sub === 'string' ? c.sub : undefined,
      Issuer: typeof c.iss === 'string' ? c.iss : undefined,
      ClientIds: audience,
      IssuanceTime: time(c.iat),
      ExpirationTime: time(c.exp),
    },
  };
}
