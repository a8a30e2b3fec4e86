/**
 * Shared plumbing of the Alibaba fakes (DataWorks, NLB): the POP gateway's checks in front of the
 * API — V3 signature (verified by ./verify-acs3.ts, never by the client signer), access key,
 * 15-minute clock window, nonce reuse, action/version/method — each answered with the gateway's
 * documented envelope `{ RequestId, HostId, Code, Message, Recommend }` (docs/providers.md#alibaba-pop-gateway).
 */
import { randomUUID } from 'node:crypto';
import type { AlibabaCredentials } from '../providers/types.js';
import { FakeProviderServer, type FakeReply, type FakeRequest } from './fake-server.js';
import type { AlibabaKeyRecord, SimulatedIdentities } from './identities.js';
import type { SimulatedJobs } from './jobs.js';
import { parseAcs3Authorization, missingSignedHeaders, verifyAcs3 } from './verify-acs3.js';

/** What every Alibaba fake factory takes. */
export interface AlibabaFakeOptions {
  jobs: SimulatedJobs;
  /** Clock in epoch ms for the timestamp window. @default Date.now */
  now?: () => number;
  /** One access key the fake accepts (with its STS token, when given), for account ''. */
  credentials?: AlibabaCredentials;
  /** Every key of the simulated accounts, STS-issued ones included (the built-in simulator). */
  identities?: SimulatedIdentities;
}

/** Per-request context handed to the API-specific answer. */
export interface AlibabaCallContext {
  requestId: string;
  host: string;
  /** The account (UID) the signing key belongs to: whose jobs the answer shows. */
  account: string;
}

/** One RPC API behind the gateway. */
export interface AlibabaApiSpec {
  name: string;
  /** Product name in the `Recommend` troubleshooting link. */
  product: string;
  method: 'GET' | 'POST';
  action: string;
  version: string;
  /** Answers a request that passed every gateway check, for its `JobId`. */
  answer(jobId: string, ctx: AlibabaCallContext): FakeReply;
}

/** The window the gateway allows between `x-acs-date` and its own clock. */
const MAX_SKEW_MS = 15 * 60_000;

/**
 * Error answers the providers document, to script with `enqueueAnswers` (status and message as
 * documented; the fake adds `RequestId`, `HostId` and `x-acs-request-id`). DataWorks' public error
 * codes (docs/providers.md#dataworks-getjobstatus) send throttling as HTTP 429; the POP gateway in
 * general sends it as 400 (docs/providers.md#alibaba-pop-gateway).
 */
export const DOCUMENTED_ALIBABA_ERRORS = {
  'Throttling.User': { status: 429, message: 'Your request is too frequent. Try again later.' },
  'Throttling.Api': { status: 429, message: 'The request for this resource has exceeded your available limit.' },
  'Throttling.Api.Risk': {
    status: 429,
    message: 'The request for this resource has exceeded your daily available limit.',
  },
  'Throttling.Resource': {
    status: 429,
    message: 'the number of API calls that you can make has reached the upper limit.',
  },
  'Throttling.System': { status: 429, message: 'The DataWorks system is busy. Try again later.' },
  'Forbidden.Not.Server': {
    status: 500,
    message: 'The dataworksAPI service is not available in this area. Please try it in another area.',
  },
  'InternalError.System': { status: 500, message: 'An internal system error occurred. Try again later.' },
  SystemBusy: { status: 400, message: 'System is busy, please try again later.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A documented error answer for `enqueueAnswers`, optionally with extra headers (`x-acs-retry-after`). */
export function scriptedAlibabaError(
  code: keyof typeof DOCUMENTED_ALIBABA_ERRORS,
  headers: Record<string, string> = {},
): FakeReply {
  const { status, message } = DOCUMENTED_ALIBABA_ERRORS[code];
  return { status, headers, body: { Code: code, Message: message } };
}

/** A scripted answer with this request's ids, as the gateway would send it. */
function stamped(reply: FakeReply, ctx: AlibabaCallContext, product: string): FakeReply {
  const body = reply.body;
  const isError = reply.status >= 400 && typeof body === 'object' && body !== null && 'Code' in body;
  const ids = isError
    ? {
        RequestId: ctx.requestId,
        HostId: ctx.host,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(String((body as { Code: unknown }).Code))}&product=${product}&requestId=${ctx.requestId}`,
      }
    : { RequestId: ctx.requestId };
  return {
    ...reply,
    headers: { 'x-acs-request-id': ctx.requestId, ...reply.headers },
    body: typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...ids, ...body } : body,
  };
}

/** Request ids look like the doc examples: upper-case UUIDs. */
export function newAlibabaRequestId(): string {
  return randomUUID().toUpperCase();
}

/** An error answer in the documented envelope, with the request id also in `x-acs-request-id`. */
export function alibabaErrorReply(
  status: number,
  code: string,
  message: string,
  ctx: AlibabaCallContext,
  product: string,
): FakeReply {
  return {
    status,
    headers: { 'x-acs-request-id': ctx.requestId },
    body: {
      RequestId: ctx.requestId,
      HostId: ctx.host,
      Code: code,
      Message: message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}&product=${product}&requestId=${ctx.requestId}`,
    },
  };
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Builds a fake for one API (not started; the caller calls `.start()`). */
export function createAlibabaFake(spec: AlibabaApiSpec, options: AlibabaFakeOptions): FakeProviderServer {
  const now = options.now ?? Date.now;
  const seenNonces = new Map<string, number>();

  const keyOf = (accessKeyId: string): AlibabaKeyRecord | undefined => {
    const fixed = options.credentials;
    if (fixed && accessKeyId === fixed.accessKeyId) {
      return { account: '', ...fixed, ...(fixed.securityToken ? { securityToken: fixed.securityToken } : {}) };
    }
    return options.identities?.alibabaKey(accessKeyId);
  };

  const handle = (req: FakeRequest): FakeReply => {
    const ctx: AlibabaCallContext = { requestId: newAlibabaRequestId(), host: header(req, 'host') ?? '', account: '' };
    const fail = (status: number, code: string, message: string) =>
      alibabaErrorReply(status, code, message, ctx, spec.product);

    const auth = parseAcs3Authorization(header(req, 'authorization'));
    if (!auth) return fail(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.');
    const key = keyOf(auth.accessKeyId);
    if (!key) return fail(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const date = header(req, 'x-acs-date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(date) || Number.isNaN(Date.parse(date))) {
      return fail(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    }
    if (Math.abs(Date.parse(date) - now()) > MAX_SKEW_MS) {
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
    if (header(req, 'x-acs-security-token') !== (key.securityToken || undefined)) {
      return fail(
        400,
        'InvalidSecurityToken.MismatchWithAccessKey',
        'The security token you provided does not match the access key.',
      );
    }
    if (key.expiresAt !== undefined && key.expiresAt <= now()) {
      return fail(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.');
    }
    ctx.account = key.account;
    // Only a verified request uses up its nonce; nonces are remembered for the skew window.
    const nonce = header(req, 'x-acs-signature-nonce') ?? '';
    // Insertion order is arrival order, so expired nonces sit at the front: stop at the first live one.
    for (const [n, at] of seenNonces) {
      if (now() - at <= MAX_SKEW_MS) break;
      seenNonces.delete(n);
    }
    if (seenNonces.has(nonce)) return fail(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');
    seenNonces.set(nonce, now());

    // The gateway's own message for an unknown API names both causes: "check your url and method".
    if (header(req, 'x-acs-action') !== spec.action || req.method !== spec.method || req.path !== '/') {
      return fail(400, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
    }
    if (header(req, 'x-acs-version') !== spec.version) {
      return fail(400, 'InvalidVersion', 'Specified parameter Version is not valid.');
    }
    const jobId = req.query.get('JobId');
    if (!jobId) return fail(400, 'MissingJobId', 'JobId is mandatory for this action.');
    const scripted = server.takeAnswer();
    if (scripted) return stamped(scripted, ctx, spec.product);
    return spec.answer(jobId, ctx);
  };

  const server = new FakeProviderServer(spec.name, handle);
  return server;
}
