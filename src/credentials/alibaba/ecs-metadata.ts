/**
 * The ECS instance RAM role's credentials from the instance metadata service, in security
 * hardening mode (IMDSv2): `PUT /latest/api/token` for a session token, then with that token
 * `GET /latest/meta-data/ram/security-credentials/` (the role name) and
 * `GET /latest/meta-data/ram/security-credentials/<role>` (the credential JSON). Paths and header
 * names as @alicloud/credentials 2.4.7 uses them (src/providers/ecs_ram_role.ts) and
 * https://www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata documents them.
 * Unlike that library this never falls back to IMDSv1: an instance in hardening mode refuses it.
 *
 * The calls go through undici directly, not ../../providers/http.ts: HttpTransport's request
 * type has no PUT, and the metadata service, a link-local hop away, deserves far shorter timeouts
 * than a cloud API.
 */
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { JobError } from '../../errors.js';
import { safeIdentifier } from '../../providers/provider-message.js';
import type { AlibabaCredentials } from '../../providers/types.js';
import { asObject, asString, tryParseJson } from '../../providers/wire.js';
import type { Expiring, ObtainCredential } from '../types.js';

export const DEFAULT_METADATA_ENDPOINT = 'http://100.100.100.200';
/** The longest session token the service hands out (6 hours), as the official SDKs ask for. */
export const DEFAULT_METADATA_TOKEN_TTL_SECONDS = 21_600;
/** Labels errors. */
export const METADATA_PROVIDER = 'ECS_METADATA';

const TOKEN_PATH = '/latest/api/token';
const ROLES_PATH = '/latest/meta-data/ram/security-credentials/';
const TTL_HEADER = 'x-aliyun-ecs-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aliyun-ecs-metadata-token';

const CONNECT_TIMEOUT_MS = 1_000;
const HEADERS_TIMEOUT_MS = 3_000;
const BODY_TIMEOUT_MS = 3_000;
/** Whole exchange, connect to last byte. */
const DEADLINE_MS = 5_000;
/** The answers are a token, a role name and a small JSON object. */
const MAX_BODY_BYTES = 64 * 1024;

export interface EcsMetadataOptions {
  /** Base URL of the metadata service. @default 'http://100.100.100.200' */
  endpoint?: string;
  /** The instance's RAM role; when absent, the service is asked for it. */
  roleName?: string;
  /** Lifetime asked for the session token, 1-21600 s. @default 21600 */
  tokenTtlSeconds?: number;
  /** Keeps the session token between calls; without one each call fetches its own token. */
  tokenCache?: MetadataTokenCache;
  /** @default () => new Date() */
  now?: () => Date;
  /** undici dispatcher (tests, proxies). @default an Agent with a 1 s connect timeout */
  dispatcher?: Dispatcher;
}

/**
 * The IMDSv2 session token of one metadata endpoint, reused until shortly before its TTL ends,
 * and one fetch shared by concurrent callers.
 */
export class MetadataTokenCache {
  #entry: { endpoint: string; token: string; refreshAt: number } | null = null;
  #pending: { endpoint: string; promise: Promise<string> } | null = null;

  /** A still-fresh token for `endpoint`, or null. */
  get(endpoint: string, nowMs: number): string | null {
    const e = this.#entry;
    return e && e.endpoint === endpoint && nowMs < e.refreshAt ? e.token : null;
  }

  /** Remembers a token obtained at `obtainedAtMs`, living `ttlSeconds`. */
  set(endpoint: string, token: string, obtainedAtMs: number, ttlSeconds: number): void {
    const ttlMs = ttlSeconds * 1000;
    // A minute early for long tokens, a tenth of the lifetime for short ones.
    this.#entry = { endpoint, token, refreshAt: obtainedAtMs + ttlMs - Math.min(60_000, ttlMs / 10) };
  }

  /** Forgets `token` (the service refused it). */
  invalidate(token: string): void {
    if (this.#entry?.token === token) this.#entry = null;
  }

  /** Runs `fetch` unless a fetch for `endpoint` is already under way, whose result is shared. */
  async shared(endpoint: string, fetch: () => Promise<string>): Promise<string> {
    if (this.#pending?.endpoint === endpoint) return this.#pending.promise;
    const promise = fetch();
    const pending = { endpoint, promise };
    this.#pending = pending;
    try {
      return await promise;
    } finally {
      if (this.#pending === pending) this.#pending = null;
    }
  }
}

let defaultDispatcher: Agent | undefined;

function metadataDispatcher(): Agent {
  defaultDispatcher ??= new Agent({ connect: { timeout: CONNECT_TIMEOUT_MS }, keepAliveTimeout: 4_000 });
  return defaultDispatcher;
}

interface Ctx {
  base: URL;
  ttlSeconds: number;
  now: () => Date;
  cache: MetadataTokenCache;
  dispatcher: Dispatcher;
  signal: AbortSignal | undefined;
}

/**
 * One read of the instance role's credentials (token, role name unless configured, credentials).
 * @throws JobError CREDENTIALS_UNAVAILABLE (transient) | PROVIDER_AUTH_FAILED (no such role, token refused)
 */
export async function ecsRamRoleCredentials(
  options: EcsMetadataOptions = {},
  signal?: AbortSignal,
): Promise<Expiring<AlibabaCredentials>> {
  const ttlSeconds = options.tokenTtlSeconds ?? DEFAULT_METADATA_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > DEFAULT_METADATA_TOKEN_TTL_SECONDS) {
    throw new JobError('PROVIDER_AUTH_FAILED', 'ECS metadata token TTL must be 1-21600 seconds', {
      provider: METADATA_PROVIDER,
    });
  }
  const ctx: Ctx = {
    base: baseUrl(options.endpoint ?? DEFAULT_METADATA_ENDPOINT),
    ttlSeconds,
    now: options.now ?? (() => new Date()),
    // Without a cache of the caller's, one call still reads the role name and credentials with one token.
    cache: options.tokenCache ?? new MetadataTokenCache(),
    dispatcher: options.dispatcher ?? metadataDispatcher(),
    signal,
  };
  const roleName = options.roleName ?? (await withToken(ctx, (token) => readRoleName(ctx, token)));
  return withToken(ctx, (token) => readCredentials(ctx, roleName, token));
}

/** An {@link ObtainCredential} over {@link ecsRamRoleCredentials} with its own token cache. */
export function ecsRamRoleSource(options: EcsMetadataOptions = {}): ObtainCredential<AlibabaCredentials> {
  const withCache = { ...options, tokenCache: options.tokenCache ?? new MetadataTokenCache() };
  return (signal) => ecsRamRoleCredentials(withCache, signal);
}

function baseUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    throw new JobError(
      'PROVIDER_AUTH_FAILED',
      'ECS metadata endpoint is not a valid URL',
      { provider: METADATA_PROVIDER },
      { cause: err },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new JobError('PROVIDER_AUTH_FAILED', 'ECS metadata endpoint must be an http(s) URL', {
      provider: METADATA_PROVIDER,
    });
  }
  return url;
}

/** The service refused the session token (401): a cached one may have been revoked. */
class TokenRefused extends Error {}

/** Runs `use` with a session token; a refused cached token is replaced once by a fresh one. */
async function withToken<T>(ctx: Ctx, use: (token: string) => Promise<T>): Promise<T> {
  const cached = ctx.cache.get(ctx.base.origin, ctx.now().getTime());
  if (cached !== null) {
    try {
      return await use(cached);
    } catch (err) {
      if (!(err instanceof TokenRefused)) throw err;
      ctx.cache.invalidate(cached);
    }
  }
  const fresh = await ctx.cache.shared(ctx.base.origin, () => fetchToken(ctx));
  try {
    return await use(fresh);
  } catch (err) {
    if (!(err instanceof TokenRefused)) throw err;
    ctx.cache.invalidate(fresh);
    throw new JobError('PROVIDER_AUTH_FAILED', 'ECS metadata service refused a fresh session token: HTTP 401', {
      provider: METADATA_PROVIDER,
      httpStatus: 401,
    });
  }
}

async function fetchToken(ctx: Ctx): Promise<string> {
  const obtainedAt = ctx.now().getTime();
  const res = await call(ctx, 'PUT', TOKEN_PATH, { [TTL_HEADER]: String(ctx.ttlSeconds) });
  if (res.status !== 200) throw statusError('session token', res.status);
  const token = res.body.trim();
  // A token is opaque printable text; anything else is not the service talking.
  if (token === '' || token.length > 4096 || !/^[\x21-\x7e]+$/.test(token))
    throw unexpected('session token', res.status);
  ctx.cache.set(ctx.base.origin, token, obtainedAt, ctx.ttlSeconds);
  return token;
}

async function readRoleName(ctx: Ctx, token: string): Promise<string> {
  const res = await call(ctx, 'GET', ROLES_PATH, { [TOKEN_HEADER]: token });
  if (res.status === 401) throw new TokenRefused();
  if (res.status !== 200) throw statusError('role name', res.status);
  const first = res.body.split('\n')[0]?.trim() ?? '';
  if (first === '') {
    throw new JobError('PROVIDER_AUTH_FAILED', 'ECS metadata service lists no instance RAM role: HTTP 200', {
      provider: METADATA_PROVIDER,
      httpStatus: 200,
    });
  }
  // RAM role names: up to 64 of letters, digits, `.` and `-` (the RAM CreateRole page).
  if (!/^[\w.@+=,-]{1,64}$/.test(first)) throw unexpected('role name', res.status);
  return first;
}

/** `2017-11-01T05:20:01Z`, the form the metadata service writes. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

async function readCredentials(ctx: Ctx, roleName: string, token: string): Promise<Expiring<AlibabaCredentials>> {
  const res = await call(ctx, 'GET', ROLES_PATH + encodeURIComponent(roleName), { [TOKEN_HEADER]: token });
  if (res.status === 401) throw new TokenRefused();
  if (res.status !== 200) throw statusError('credentials', res.status);
  const body = asObject(tryParseJson(res.body));
  if (!body) throw unexpected('credentials', res.status);
  const code = asString(body.Code);
  if (code !== 'Success') {
    // The service reports its own trouble obtaining the role's credentials this way.
    const providerCode = safeIdentifier(code);
    throw new JobError(
      'CREDENTIALS_UNAVAILABLE',
      `ECS metadata service could not provide credentials${providerCode ? ` (${providerCode})` : ''}`,
      { provider: METADATA_PROVIDER, httpStatus: res.status, ...(providerCode ? { providerCode } : {}) },
    );
  }
  const accessKeyId = asString(body.AccessKeyId);
  const accessKeySecret = asString(body.AccessKeySecret);
  const securityToken = asString(body.SecurityToken);
  const expiration = asString(body.Expiration);
  const lastUpdated = body.LastUpdated;
  if (
    !accessKeyId ||
    !accessKeySecret ||
    !securityToken ||
    !expiration ||
    !ISO_TIME.test(expiration) ||
    (lastUpdated !== undefined && asString(lastUpdated) === null)
  ) {
    throw unexpected('credentials', res.status);
  }
  const expiresAt = Date.parse(expiration);
  if (Number.isNaN(expiresAt)) throw unexpected('credentials', res.status);
  return { value: { accessKeyId, accessKeySecret, securityToken }, expiresAt };
}

/**
 * A non-200 answer: 5xx and 429 are the service's passing trouble; 404 (no such role, none
 * attached), 403 (the service refuses this caller, e.g. a proxied request) and other 4xx stay
 * until an operator changes the instance.
 */
function statusError(what: string, status: number): JobError {
  const details = { provider: METADATA_PROVIDER, httpStatus: status };
  if (status >= 500 || status === 429) {
    return new JobError(
      'CREDENTIALS_UNAVAILABLE',
      `ECS metadata service is unavailable (${what}): HTTP ${status}`,
      details,
    );
  }
  return new JobError(
    'PROVIDER_AUTH_FAILED',
    `ECS metadata service refused the ${what} request: HTTP ${status}`,
    details,
  );
}

function unexpected(what: string, status: number): JobError {
  return new JobError(
    'CREDENTIALS_UNAVAILABLE',
    `ECS metadata service sent an unexpected ${what} answer: HTTP ${status}`,
    {
      provider: METADATA_PROVIDER,
      httpStatus: status,
    },
  );
}

interface Answer {
  status: number;
  body: string;
}

const CONNECTION_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** One request with the metadata timeouts; every failure leaves as CREDENTIALS_UNAVAILABLE. */
async function call(ctx: Ctx, method: 'GET' | 'PUT', path: string, headers: Record<string, string>): Promise<Answer> {
  const deadline = AbortSignal.timeout(DEADLINE_MS);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, deadline]) : deadline;
  try {
    const res = await request(new URL(path, ctx.base), {
      method,
      headers,
      signal,
      dispatcher: ctx.dispatcher,
      headersTimeout: HEADERS_TIMEOUT_MS,
      bodyTimeout: BODY_TIMEOUT_MS,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.body.destroy();
        throw new JobError('CREDENTIALS_UNAVAILABLE', `ECS metadata service answer exceeds ${MAX_BODY_BYTES} bytes`, {
          provider: METADATA_PROVIDER,
          httpStatus: res.statusCode,
        });
      }
      chunks.push(chunk);
    }
    return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') };
  } catch (err) {
    if (err instanceof JobError) throw err;
    throw new JobError(
      'CREDENTIALS_UNAVAILABLE',
      describeFailure(err, deadline.aborted, ctx.signal?.aborted ?? false),
      {
        provider: METADATA_PROVIDER,
      },
      { cause: err },
    );
  }
}

function describeFailure(err: unknown, deadlineHit: boolean, callerAborted: boolean): string {
  if (callerAborted) return 'ECS metadata call was cancelled';
  if (
    deadlineHit ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return 'ECS metadata service did not answer in time';
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERRORS.has(code))
    return `ECS metadata service connection failed (${code})`;
  return 'ECS metadata service call failed';
}
