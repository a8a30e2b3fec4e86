/**
 * What the three Huawei fakes share: an API Gateway in front of a service. It routes (unknown
 * path or method → 404 APIGW.0101), authenticates (AK/SK via verify-huawei.ts, or X-Auth-Token),
 * stamps every answer with `X-Request-Id`, and hands the job lookup to the service's handler.
 * Gateway errors use the documented codes and messages (docs/providers.md#huawei-api-gateway-and-services).
 */
import { randomBytes } from 'node:crypto';
import { FakeProviderServer, type FakeReply, type FakeRequest } from './fake-server.js';
import type { SimulatedIdentities } from './identities.js';
import type { SimulatedJobs } from './jobs.js';
import { verifyHuaweiRequest } from './verify-huawei.js';

/** Options every Huawei fake takes. */
export interface HuaweiFakeOptions {
  jobs: SimulatedJobs;
  /** Gateway clock in epoch ms (signature window). @default Date.now */
  now?: () => number;
  /** One AK/SK pair the fake accepts (any project). */
  auth?: { ak: string; sk: string };
  /** One IAM token accepted in X-Auth-Token (any project). */
  token?: string;
  /**
   * The simulated accounts: their permanent and temporary keys and IAM tokens, each valid until
   * it expires and only for its own account's projects (the built-in simulator).
   */
  identities?: SimulatedIdentities;
}

/** One API behind the gateway: a GET path pattern whose first capture is the project id. */
export interface HuaweiRoute {
  pattern: RegExp;
  /** Decoded path captures (projectId first). */
  handle(params: string[], req: FakeRequest): FakeReply;
}

/** A 32-hex request id like the gateway's. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

/** An error in the documented `{error_code, error_msg}` envelope (the gateway adds request_id). */
export function huaweiError(status: number, code: string, msg: string): FakeReply {
  return { status, body: { error_code: code, error_msg: msg } };
}

/**
 * Error answers the services and the gateway document, to script with `enqueueAnswers`: the DLI
 * and CFW error-code pages (docs/providers.md#dli-job-status, #cfw-jobs; the pages give status and
 * a short description, which the messages here paraphrase) and the gateway's APIGW.0101.
 */
export const DOCUMENTED_HUAWEI_ERRORS = {
  'APIGW.0101': { status: 404, message: 'The API does not exist or has not been published in the environment' },
  'CFW.00109004': { status: 400, message: 'HTTP request error.' },
  'DLI.0009': { status: 400, message: 'System limit reached.' },
  'DLI.0012': { status: 400, message: 'The resource object is unavailable.' },
  'DLI.0016': { status: 400, message: 'Identity or role error.' },
  'DLI.0019': { status: 400, message: 'The task timed out.' },
  'DLI.0999': { status: 400, message: 'Server system error.' },
} as const satisfies Record<string, { status: number; message: string }>;

/** A documented error answer for `enqueueAnswers` (the fake adds `request_id` and `X-Request-Id`). */
export function scriptedHuaweiError(code: keyof typeof DOCUMENTED_HUAWEI_ERRORS): FakeReply {
  const { status, message } = DOCUMENTED_HUAWEI_ERRORS[code];
  return huaweiError(status, code, message);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The gateway's verdict on a request's credentials; null when it may pass. */
function authenticate(req: FakeRequest, projectId: string, options: HuaweiFakeOptions): FakeReply | null {
  const now = (options.now ?? Date.now)();
  const ids = options.identities;
  const token = header(req, 'x-auth-token');
  if (token !== undefined && header(req, 'authorization') === undefined) {
    if (options.token !== undefined && token === options.token) return null;
    const known = ids?.huaweiToken(token);
    if (!known) return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail');
    if (known.expiresAt <= now) {
      return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: token expired');
    }
    return ownsProject(ids, known.domainId, projectId);
  }
  const fixed = options.auth;
  const result = verifyHuaweiRequest(req, (ak) => (fixed && ak === fixed.ak ? fixed.sk : ids?.huaweiKey(ak)?.sk), now);
  if (!result.ok) {
    switch (result.reason) {
      case 'missing':
        return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: x-auth-token not found');
      case 'expired':
        return huaweiError(
          401,
          'APIGW.0303',
          `Incorrect app authentication information: signature expired, signature time:${header(req, 'x-sdk-date') ?? ''}, server time:${new Date(now).toISOString()}`,
        );
      default:
        // The real gateway also echoes its canonical request here; the client must drop it.
        return huaweiError(
          401,
          'APIGW.0301',
          'Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest:GET|/|...',
        );
    }
  }
  // AK/SK calls are scoped by X-Project-Id; it must name the project in the path. The gateway's
  // exact answer to a mismatch is undocumented; an IAM auth failure is the closest documented one.
  if (header(req, 'x-project-id') !== projectId) {
    return huaweiError(
      401,
      'APIGW.0301',
      'Incorrect IAM authentication information: X-Project-Id does not match the project',
    );
  }
  if (fixed && result.ak === fixed.ak) return null;
  const key = ids?.huaweiKey(result.ak);
  if (!key) return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: ak not found');
  // Temporary keys only work with their security token, and only until they expire.
  if (key.securityToken !== undefined && header(req, 'x-security-token') !== key.securityToken) {
    return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: security token mismatch');
  }
  if (key.expiresAt !== undefined && key.expiresAt <= now) {
    return huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: the credential has expired');
  }
  return ownsProject(ids, key.domainId, projectId);
}

/** A project registered to another account is forbidden; one the simulator does not know is open to all. */
function ownsProject(ids: SimulatedIdentities | undefined, domainId: string, projectId: string): FakeReply | null {
  const owner = ids?.huaweiDomainOfProject(projectId);
  if (!owner || owner.domainId === domainId) return null;
  return huaweiError(403, 'APIGW.0302', 'The IAM user is forbidden in the currently selected region');
}

/** A FakeProviderServer playing the gateway plus the given service routes (not started). */
export function createHuaweiFake(
  name: string,
  options: HuaweiFakeOptions,
  routes: readonly HuaweiRoute[],
): FakeProviderServer {
  const server = new FakeProviderServer(name, (req) => {
    const reply = answer(req, options, routes, () => server.takeAnswer());
    const requestId = newRequestId();
    const body =
      reply.body !== null && typeof reply.body === 'object' && 'error_code' in reply.body
        ? { ...reply.body, request_id: requestId }
        : reply.body;
    return { ...reply, body, headers: { 'X-Request-Id': requestId, ...reply.headers } };
  });
  return server;
}

function answer(
  req: FakeRequest,
  options: HuaweiFakeOptions,
  routes: readonly HuaweiRoute[],
  scripted: () => FakeReply | undefined,
): FakeReply {
  for (const route of routes) {
    const m = route.pattern.exec(req.path);
    if (!m || req.method !== 'GET') continue;
    const params = m.slice(1).map((p) => decode(p ?? ''));
    const denied = authenticate(req, params[0] ?? '', options);
    return denied ?? scripted() ?? route.handle(params, req);
  }
  return huaweiError(404, 'APIGW.0101', 'The API does not exist or has not been published in the environment');
}

/**
 * When a job first appeared (its lifecycle clock starts then) and when a step was reached,
 * for begin/end times that stay stable across polls.
 */
export class JobClock {
  readonly #firstSeen = new Map<string, number>();
  constructor(private readonly jobs: SimulatedJobs) {}

  /** Epoch ms of the job's first sighting under this lifecycle. */
  begin(lifecycle: string, jobId: string): number {
    const key = `${lifecycle}\u0000${jobId}`;
    let at = this.#firstSeen.get(key);
    if (at === undefined) {
      at = this.jobs.now();
      this.#firstSeen.set(key, at);
    }
    return at;
  }

  /** Epoch ms when `step` was reached. */
  stepAt(lifecycle: string, jobId: string, step: number): number {
    return this.begin(lifecycle, jobId) + step * this.jobs.stepMs;
  }
}
