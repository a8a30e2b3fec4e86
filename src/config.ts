/**
 * Configuration: read from the environment in one pass, validated, frozen. A bad value fails
 * startup with an error naming the variable. Only this module and main.ts read `process.env`.
 */
import { z } from 'zod';
import type { AlibabaCredentials, HuaweiAuth, ProviderName } from './providers/types.js';

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
  /** graphql-ws keep-alive ping interval in ms. @default 12_000 */
  wsKeepAliveMs: number;
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
    wsKeepAliveMs: read(env, 'JOBS_WS_KEEPALIVE_MS', int(0, 600_000), 12_000),
  };
  return Object.freeze(config);
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
