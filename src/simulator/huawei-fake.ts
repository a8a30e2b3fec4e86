/**
 * What the three Huawei fakes share: an API Gateway in front of a service. It routes (unknown
 * path or method → 404 APIGW.0101), authenticates (AK/SK via verify-huawei.ts, or X-Auth-Token),
 * stamps every answer with `X-Request-Id`, and hands the job lookup to the service's handler.
 * Gateway errors use the documented codes and messages (docs/providers.md#huawei-api-gateway-and-services).
 */
import { randomBytes } from 'node:crypto';
import { FakeProviderServer, type FakeReply, type FakeRequest } from './fake-server.js';
import type { SimulatedJobs } from './jobs.js';
import { verifyHuaweiRequest } from './verify-huawei.js';

/** Options every Huawei fake takes. */
export interface HuaweiFakeOptions {
  jobs: SimulatedJobs;
  /** Gateway clock in epoch ms (signature window). @default Date.now */
  now?: () => number;
  /** The one AK/SK pair the fake accepts. */
  auth: { ak: string; sk: string };
  /** The IAM token accepted in X-Auth-Token; token auth is refused when unset. */
  token?: string;
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
  const token = header(req, 'x-auth-token');
  if (token !== undefined && header(req, 'authorization') === undefined) {
    return options.token !== undefined && token === options.token
      ? null
      : huaweiError(401, 'APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail');
  }
  const now = (options.now ?? Date.now)();
  const result = verifyHuaweiRequest(req, (ak) => (ak === options.auth.ak ? options.auth.sk : undefined), now);
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
  return null;
}

/** A FakeProviderServer playing the gateway plus the given service routes (not started). */
export function createHuaweiFake(
  name: string,
  options: HuaweiFakeOptions,
  routes: readonly HuaweiRoute[],
): FakeProviderServer {
  return new FakeProviderServer(name, (req) => {
    const reply = answer(req, options, routes);
    const requestId = newRequestId();
    const body =
      reply.body !== null && typeof reply.body === 'object' && 'error_code' in reply.body
        ? { ...reply.body, request_id: requestId }
        : reply.body;
    return { ...reply, body, headers: { 'X-Request-Id': requestId, ...reply.headers } };
  });
}

function answer(req: FakeRequest, options: HuaweiFakeOptions, routes: readonly HuaweiRoute[]): FakeReply {
  for (const route of routes) {
    const m = route.pattern.exec(req.path);
    if (!m || req.method !== 'GET') continue;
    const params = m.slice(1).map((p) => decode(p ?? ''));
    const denied = authenticate(req, params[0] ?? '', options);
    return denied ?? route.handle(params, req);
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
