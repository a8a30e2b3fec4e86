/**
 * Configuration: read from the environment in one pass, validated, frozen. A bad value fails
 * startup with an error naming the variable. Only this module and main.ts read `process.env`.
 */
import { z } from 'zod';
import type { AlibabaCredentials, HuaweiAuth, ProviderName } from './providers/types.js';
import { PROVIDERS } from './providers/types.js';
import type { ResilienceSettings } from './providers/resilience/index.js';
import type { AllowList } from './security/allow-list.js';

export type JobsMode = 'simulator' | 'live';
export type WorkspaceApi = 'v1' | 'v2';

export interface Config {
  /** HTTP and WebSocket port (both on `/graphql`). @default 4000 */
  port: number;
  /** @default '0.0.0.0' */
  host: string;
  production: boolean;
  /** `simulator` serves every provider from built-in loopback fakes. @default 'simulator' (required in production) */
  mode: JobsMode;
  logLevel: string;
  alibaba: {
    /** Null when no AccessKey is configured (the Alibaba providers then answer PROVIDER_NOT_CONFIGURED). */
    credentials: AlibabaCredentials | null;
    /** Default region for refs without one (`ALIBABA_CLOUD_REGION_ID`). */
    region: string | null;
  };
  huawei: {
    /** AK/SK when both are set, else a static token, else null. */
    auth: HuaweiAuth | null;
    projectId: string | null;
    region: string | null;
  };
  /** Per-provider base URL overrides; `{region}` is substituted. */
  endpoints: Partial<Record<ProviderName, string>>;
  /** @default 'v2' */
  workspaceApi: WorkspaceApi;
  /** Concurrent calls per provider, process-wide. @default 16 */
  providerConcurrency: number;
  /** Max refs in one `jobs` query or one subscription. @default 100 */
  maxRefs: number;
  /** One provider call, connect to last byte, in ms. @default 10_000 */
  providerDeadlineMs: number;
  /** Simulator: ms per lifecycle step; longer than the poll interval can grow between changes, so a watcher sees every step. @default 3_000 */
  simulatorStepMs: number;
  poll: {
    /** @default 1_000 */
    minIntervalMs: number;
    /** @default 30_000 */
    maxIntervalMs: number;
    /** How long a terminal snapshot is remembered for late subscribers. @default 300_000 */
    terminalTtlMs: number;
  };
  /** How long a running job's answer to one query is reused for other queries (0: never). @default 1_000 */
  queryCoalesceMs: number;
  /** graphql-ws keep-alive ping interval in ms. @default 12_000 */
  wsKeepAliveMs: number;
  /** On shutdown, how long /readyz reports draining before the listener closes (load balancers notice). @default 0 */
  shutdownDelayMs: number;
  /** OTLP/HTTP base URL for traces (`OTEL_EXPORTER_OTLP_ENDPOINT`); null turns tracing off. */
  otel: { endpoint: string; serviceName: string } | null;
  /** Redis for multi-replica coordination; null keeps everything in process. */
  redis: { url: string; prefix: string; leaseMs: number } | null;
  /** Shared secret the router must present (`ROUTER_SECRET`); null disables the check. */
  routerSecret: string | null;
  /** What refs may ask for; empty lists allow everything. */
  allow: AllowList;
  /** Schema introspection. @default true outside production */
  introspection: boolean;
  /** GraphiQL on GET /graphql for browsers (`JOBS_GRAPHIQL`). @default true outside production */
  graphiql: boolean;
  limits: {
    /** @default 12 */
    maxDepth: number;
    /** @default 30 */
    maxAliases: number;
    /** @default 5_000 */
    maxCost: number;
    /** @default 5_000 */
    maxTokens: number;
    /** Request body size in bytes. @default 262_144 */
    maxBodyBytes: number;
    /** Open WebSockets per client IP. @default 200 */
    wsConnectionsPerIp: number;
    /** Concurrent subscriptions per WebSocket. @default 100 */
    wsSubscriptionsPerConnection: number;
  };
  /** Retries, call deadline, circuit breakers and rate limits of provider calls (src/providers/resilience). */
  resilience: ResilienceSettings;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

const REGION = /^[a-z]{2,}(-[a-z0-9]+){1,4}$/;
const HUAWEI_PROJECT = /^[0-9a-f]{32}$/;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Reads one variable through a zod schema; undefined and '' mean "not set". */
function read<T>(env: Env, name: string, schema: z.ZodType<T>, fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const parsed = schema.safeParse(raw.trim());
  if (!parsed.success) {
    const shown = /KEY|SECRET|SK|TOKEN/.test(name) ? '(hidden)' : JSON.stringify(raw);
    throw new ConfigError(name, `invalid value ${shown}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function optional(env: Env, name: string): string | null {
  const v = env[name]?.trim();
  return v ? v : null;
}

const ENDPOINT_VARS: Record<ProviderName, string> = {
  DATAWORKS: 'JOBS_ENDPOINT_DATAWORKS',
  NLB: 'JOBS_ENDPOINT_NLB',
  CFW: 'JOBS_ENDPOINT_CFW',
  DLI: 'JOBS_ENDPOINT_DLI',
  WORKSPACE: 'JOBS_ENDPOINT_WORKSPACE',
};

/** Builds the validated configuration. @throws ConfigError naming the offending variable. */
export function resolveConfig(env: Env): Readonly<Config> {
  const production = env.NODE_ENV === 'production';
  if (production && !optional(env, 'JOBS_MODE')) {
    throw new ConfigError('JOBS_MODE', 'must be set explicitly (simulator or live) when NODE_ENV=production');
  }
  const mode = read(env, 'JOBS_MODE', z.enum(['simulator', 'live']), 'simulator');

  const endpoints: Partial<Record<ProviderName, string>> = {};
  for (const [provider, name] of Object.entries(ENDPOINT_VARS) as [ProviderName, string][]) {
    const url = read(env, name, z.string().refine(isBaseUrl, 'expected an http(s) base URL, e.g. http://127.0.0.1:9001'), '');
    if (url) endpoints[provider] = url;
  }

  const ak = optional(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID');
  const secret = optional(env, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  if (Boolean(ak) !== Boolean(secret)) {
    const missing = ak ? 'ALIBABA_CLOUD_ACCESS_KEY_SECRET' : 'ALIBABA_CLOUD_ACCESS_KEY_ID';
    throw new ConfigError(missing, 'must be set together with its AccessKey pair');
  }
  const hwAk = optional(env, 'HUAWEICLOUD_SDK_AK');
  const hwSk = optional(env, 'HUAWEICLOUD_SDK_SK');
  if (Boolean(hwAk) !== Boolean(hwSk)) {
    throw new ConfigError(hwAk ? 'HUAWEICLOUD_SDK_SK' : 'HUAWEICLOUD_SDK_AK', 'must be set together with its AK/SK pair');
  }
  const token = optional(env, 'HUAWEICLOUD_AUTH_TOKEN');
  const huaweiAuth: HuaweiAuth | null =
    hwAk && hwSk
      ? { kind: 'aksk', ak: hwAk, sk: hwSk, securityToken: optional(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN') ?? undefined }
      : token
        ? { kind: 'token', token }
        : null;

  const poll = {
    minIntervalMs: read(env, 'JOBS_POLL_MIN_INTERVAL_MS', int(10, 3_600_000), 1_000),
    maxIntervalMs: read(env, 'JOBS_POLL_MAX_INTERVAL_MS', int(10, 3_600_000), 30_000),
    terminalTtlMs: read(env, 'JOBS_TERMINAL_TTL_MS', int(0, 86_400_000), 300_000),
  };
  if (poll.maxIntervalMs < poll.minIntervalMs) {
    throw new ConfigError('JOBS_POLL_MAX_INTERVAL_MS', `must be >= JOBS_POLL_MIN_INTERVAL_MS (${poll.minIntervalMs})`);
  }

  const resilience = {
    retryMaxAttempts: read(env, 'JOBS_RETRY_MAX_ATTEMPTS', int(1, 10), 3),
    retryBaseMs: read(env, 'JOBS_RETRY_BASE_MS', int(1, 60_000), 100),
    retryMaxDelayMs: read(env, 'JOBS_RETRY_MAX_DELAY_MS', int(1, 120_000), 5_000),
    callDeadlineMs: read(env, 'JOBS_CALL_DEADLINE_MS', int(100, 600_000), 20_000),
    breakerThreshold: read(env, 'JOBS_BREAKER_THRESHOLD', int(1, 1_000), 5),
    breakerCooldownMs: read(env, 'JOBS_BREAKER_COOLDOWN_MS', int(10, 3_600_000), 30_000),
    rateLimitPerSec: read(env, 'JOBS_RATE_LIMIT_PER_SEC', int(1, 10_000), 50),
    rateLimitBurst: read(env, 'JOBS_RATE_LIMIT_BURST', int(1, 10_000), 50),
  };
  if (resilience.retryMaxDelayMs < resilience.retryBaseMs) {
    throw new ConfigError('JOBS_RETRY_MAX_DELAY_MS', `must be >= JOBS_RETRY_BASE_MS (${resilience.retryBaseMs})`);
  }

  const config: Config = {
    port: read(env, 'PORT', int(0, 65_535), 4000),
    host: read(env, 'HOST', z.string().min(1), '0.0.0.0'),
    production,
    mode,
    logLevel: read(env, 'LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    alibaba: {
      credentials: ak && secret ? { accessKeyId: ak, accessKeySecret: secret, securityToken: optional(env, 'ALIBABA_CLOUD_SECURITY_TOKEN') ?? undefined } : null,
      region: read(env, 'ALIBABA_CLOUD_REGION_ID', z.string().regex(REGION, 'expected a region id like cn-hangzhou'), null as string | null),
    },
    huawei: {
      auth: huaweiAuth,
      projectId: read(env, 'HUAWEICLOUD_SDK_PROJECT_ID', z.string().regex(HUAWEI_PROJECT, 'expected 32 lowercase hex characters'), null as string | null),
      region: read(env, 'HUAWEICLOUD_SDK_REGION', z.string().regex(REGION, 'expected a region id like cn-north-4'), null as string | null),
    },
    endpoints,
    workspaceApi: read(env, 'JOBS_WORKSPACE_API', z.enum(['v1', 'v2']), 'v2'),
    providerConcurrency: read(env, 'JOBS_PROVIDER_CONCURRENCY', int(1, 1024), 16),
    maxRefs: read(env, 'JOBS_MAX_REFS', int(1, 10_000), 100),
    providerDeadlineMs: read(env, 'JOBS_PROVIDER_DEADLINE_MS', int(100, 300_000), 10_000),
    simulatorStepMs: read(env, 'JOBS_SIMULATOR_STEP_MS', int(1, 3_600_000), 3_000),
    poll,
    queryCoalesceMs: read(env, 'JOBS_QUERY_COALESCE_MS', int(0, 60_000), 1_000),
    wsKeepAliveMs: read(env, 'JOBS_WS_KEEPALIVE_MS', int(0, 600_000), 12_000),
    shutdownDelayMs: read(env, 'JOBS_SHUTDOWN_DELAY_MS', int(0, 60_000), 0),
    redis: readRedis(env),
    otel: readOtel(env),
    routerSecret: optional(env, 'ROUTER_SECRET'),
    allow: {
      providers: list(env, 'JOBS_ALLOW_PROVIDERS', z.enum(PROVIDERS as [ProviderName, ...ProviderName[]])),
      regions: list(env, 'JOBS_ALLOW_REGIONS', z.string().regex(REGION, 'expected region ids like cn-north-4')),
      projects: list(env, 'JOBS_ALLOW_PROJECTS', z.string().regex(HUAWEI_PROJECT, 'expected 32 lowercase hex characters')),
    },
    introspection: read(env, 'JOBS_INTROSPECTION', z.enum(['true', 'false']), production ? 'false' : 'true') === 'true',
    graphiql: read(env, 'JOBS_GRAPHIQL', z.enum(['true', 'false']), production ? 'false' : 'true') === 'true',
    limits: {
      maxDepth: read(env, 'JOBS_MAX_DEPTH', int(2, 100), 12),
      maxAliases: read(env, 'JOBS_MAX_ALIASES', int(0, 1_000), 30),
      maxCost: read(env, 'JOBS_MAX_COST', int(10, 1_000_000), 5_000),
      maxTokens: read(env, 'JOBS_MAX_TOKENS', int(10, 1_000_000), 5_000),
      maxBodyBytes: read(env, 'JOBS_MAX_BODY_BYTES', int(1_024, 10_485_760), 262_144),
      wsConnectionsPerIp: read(env, 'JOBS_WS_MAX_CONNECTIONS_PER_IP', int(1, 100_000), 200),
      wsSubscriptionsPerConnection: read(env, 'JOBS_WS_MAX_SUBSCRIPTIONS', int(1, 10_000), 100),
    },
    resilience: Object.freeze(resilience),
  };
  return Object.freeze(config);
}

function readOtel(env: Env): Config['otel'] {
  const endpoint = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', z.string().refine(isBaseUrl, 'expected an http(s) URL, e.g. http://collector:4318'), '');
  return endpoint ? { endpoint, serviceName: read(env, 'OTEL_SERVICE_NAME', z.string().min(1), 'jobs-subgraph') } : null;
}

/** `REDIS_URL` turns on Redis coordination; it then needs `REDIS_PREFIX` (no default, by design). */
function readRedis(env: Env): Config['redis'] {
  const url = read(env, 'REDIS_URL', z.string().regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://…'), '');
  if (!url) return null;
  const prefix = read(env, 'REDIS_PREFIX', z.string().regex(/^[\w.:-]{1,64}$/, 'expected 1-64 characters of letters, digits and _.:-'), '');
  if (!prefix) throw new ConfigError('REDIS_PREFIX', 'is required with REDIS_URL (e.g. jobs-subgraph:prod) so deployments sharing a Redis never mix');
  return { url, prefix, leaseMs: read(env, 'JOBS_LEASE_MS', int(500, 600_000), 5_000) };
}

/** A comma-separated list, each item validated; unset means an empty list. */
function list<T>(env: Env, name: string, item: z.ZodType<T>): T[] {
  const raw = optional(env, name);
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((v) => read({ [name]: v }, name, item, undefined as T));
}

function isBaseUrl(value: string): boolean {
  try {
    const url = new URL(value.replaceAll('{region}', 'region'));
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export { REGION as REGION_PATTERN, HUAWEI_PROJECT as HUAWEI_PROJECT_PATTERN };
