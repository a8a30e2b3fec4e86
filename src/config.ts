/**
 * Configuration: read from the environment in one pass, validated, frozen. A bad value fails
 * startup with an error naming the variable. Only this module and main.ts read `process.env`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  AccountsFileError,
  DEFAULT_ACCOUNT_NAME,
  parseAccountsFile,
  type AccountSpec,
  type AlibabaCredentialSpec,
  type HuaweiCredentialSpec,
} from './accounts/spec.js';
import type { ProviderName } from './providers/types.js';
import { PROVIDERS } from './providers/types.js';
import { HUAWEI_PROJECT_PATTERN, REGION_PATTERN } from './refs.js';
import type { AllowList } from './security/allow-list.js';

export type JobsMode = 'simulator' | 'live';
export type WorkspaceApi = 'v1' | 'v2';

/**
 * Every default of the process, and the only place one is written down: resolveConfig falls back
 * to these, and library code built without a value (tests, scripts, bench) falls back to the same
 * object, so a default can never exist twice with two values. Values that are protocol facts (close
 * codes, a provider's clock-skew window) stay with their code. Deeply frozen.
 */
export const DEFAULTS = deepFreeze({
  port: 4000,
  host: '0.0.0.0',
  mode: 'simulator',
  logLevel: 'info',
  workspaceApi: 'v2',
  /**
   * Concurrent calls per provider, process-wide. Request rates are bounded by the quotas per
   * account and region (`quotas` below, under the providers' published limits, docs/providers.md
   * "Quotas and throttling"), so this cap only has to keep one process from opening unbounded
   * sockets: 64 lets a full `jobs` query (100 refs over the five providers) go out in one wave
   * (16 took two round trips for 20 refs of one provider) and matches two origins' connection pools.
   */
  providerConcurrency: 64,
  /** Calls waiting for a concurrency slot per provider before new ones fail fast. */
  providerQueueLimit: 10_000,
  maxRefs: 100,
  /** One HTTP attempt, connect to last byte (`JOBS_PROVIDER_DEADLINE_MS`). */
  providerDeadlineMs: 10_000,
  http: {
    connectTimeoutMs: 3_000,
    headersTimeoutMs: 10_000,
    bodyTimeoutMs: 10_000,
    maxBodyBytes: 1024 * 1024,
    connectionsPerOrigin: 32,
    keepAliveTimeoutMs: 10_000,
  },
  simulator: {
    /** Longer than the poll interval can grow between changes, so a watcher sees every step. */
    stepMs: 3_000,
    /** `npm run simulator` on its own: listen address and first of five ports. */
    host: '127.0.0.1',
    portBase: 9001,
    maxJobs: 100_000,
    /** Requests each fake remembers for tests to inspect. */
    requestLogEntries: 10_000,
  },
  poll: {
    minIntervalMs: 1_000,
    maxIntervalMs: 30_000,
    terminalTtlMs: 300_000,
    /** Interval growth per unchanged poll. */
    growth: 1.5,
    /** Interval spread, as a fraction: 0.2 is ±20 %. */
    jitter: 0.2,
    /** Pollers due within this window of each other are polled on the same timer tick. */
    batchWindowMs: 50,
    /** A job just submitted can answer "not found" for a moment (eventual consistency): not final this soon. */
    notFoundGraceMs: 30_000,
    /**
     * Providers with intervals of their own (the others use the pair above). DataWorks: its lower
     * editions allow 5 QPS and 100 calls a day per account and region, shared with every other caller.
     */
    providers: {
      DATAWORKS: { minIntervalMs: 15_000, maxIntervalMs: 300_000 },
    },
    /**
     * Who goes first while a poll budget cannot poll every job on time: a job's first poll, and a job
     * expected to end within `endingSoonWithinMs`, rank as if due this much earlier. Bounded head
     * starts rather than strict priority, so a job kept waiting longer still goes first (none starves).
     */
    priority: { firstPollHeadStartMs: 60_000, endingSoonHeadStartMs: 15_000, endingSoonWithinMs: 60_000 },
  },
  credentials: {
    /** A temporary credential is renewed once this fraction of its lifetime has passed. */
    refreshAt: 2 / 3,
    /** Spread of that moment, as a fraction of the lifetime (replicas and accounts never renew in step). */
    refreshJitter: 0.05,
    /** First wait after a failed renewal; doubles up to `retryMaxMs`. */
    retryBaseMs: 1_000,
    retryMaxMs: 60_000,
    /** A credential file is checked for changes at most this often (and at once after an auth failure). */
    fileRecheckMs: 1_000,
    /** The lifetime assumed for credentials that state none (the vendor chain): renewed at `refreshAt` of it. */
    unknownLifetimeMs: 300_000,
    /** How long "this account has no project in that region" is remembered. */
    projectMissTtlMs: 60_000,
  },
  /** Bound of every in-memory job cache (finished snapshots, recent query answers). */
  jobCacheMaxEntries: 10_000,
  queryCoalesceMs: 1_000,
  wsKeepAliveMs: 12_000,
  /** Subscriptions over Apollo's HTTP callback protocol (src/callback). */
  callback: {
    /** Hosts (`host` or `host:port`) callback URLs may name; empty: any http/https host. */
    allowedHosts: [] as string[],
    /** Concurrent callback subscriptions per replica. */
    maxSubscriptions: 10_000,
    /** One callback POST, connect to last byte. */
    timeoutMs: 5_000,
    /** Attempts per callback message on 5xx, timeouts and network errors, the first included. */
    maxAttempts: 5,
    /** Bytes waiting in one subscription's outbox before it is ended as too slow (SUBSCRIBER_TOO_SLOW). */
    maxQueuedBytes: 1024 * 1024,
    /** First retry delay; doubles up to `retryMaxDelayMs`. */
    retryBaseMs: 100,
    retryMaxDelayMs: 1_000,
  },
  shutdownDelayMs: 0,
  otelServiceName: 'jobs-subgraph',
  redis: {
    leaseMs: 5_000,
    /** How long a running job's latest event is kept in Redis. */
    stateTtlMs: 600_000,
    connectTimeoutMs: 2_000,
  },
  limits: {
    maxDepth: 12,
    maxAliases: 30,
    maxCost: 5_000,
    maxTokens: 5_000,
    maxDirectives: 50,
    maxBodyBytes: 262_144,
    wsConnectionsPerIp: 200,
    wsSubscriptionsPerConnection: 100,
    /** Largest WebSocket message accepted. */
    wsMaxPayloadBytes: 256 * 1024,
    /** Queued bytes above which a socket's events are coalesced in its backlog. */
    wsSlowConsumerBytes: 256 * 1024,
    /** Queued bytes at which a socket is closed with 1013 (try again later). */
    wsMaxBufferedBytes: 16 * 1024 * 1024,
    /** Distinct subscription documents kept parsed and validated. */
    documentCacheEntries: 1_000,
    /** Longer documents are never cached. */
    documentCacheMaxQueryLength: 10_000,
  },
  resilience: {
    retryMaxAttempts: 3,
    retryBaseMs: 100,
    retryMaxDelayMs: 5_000,
    callDeadlineMs: 20_000,
    breakerThreshold: 5,
    breakerCooldownMs: 30_000,
    rateLimitMaxWaitMs: 2_000,
  },
  /**
   * Provider quotas per account and region (docs/providers.md, "Quotas and throttling"). DataWorks:
   * every edition below Enterprise allows 5 QPS over all its APIs, and Basic 100 calls a day,
   * failures included; Huawei's gateway allows 200/s per API; Alibaba publishes no figure for NLB.
   */
  quotas: {
    providers: {
      DATAWORKS: { ratePerSec: 5, burst: 1, dailyBudget: 100 },
      NLB: { ratePerSec: 50, burst: 10, dailyBudget: null },
      CFW: { ratePerSec: 50, burst: 10, dailyBudget: null },
      DLI: { ratePerSec: 50, burst: 10, dailyBudget: null },
      WORKSPACE: { ratePerSec: 50, burst: 10, dailyBudget: null },
    },
    /** Where a provider day starts: China Standard Time (UTC+8), the providers' home zone (not documented). */
    dayStartUtcOffsetMinutes: 480,
  },
} as const);

/** Retries, call deadline, circuit breakers and rate limits of provider calls (src/providers/resilience). */
export interface ResilienceSettings {
  /** Attempts per call, the first included. */
  retryMaxAttempts: number;
  /** Ceiling of the first retry's jittered delay. */
  retryBaseMs: number;
  /** Ceiling of any retry delay; a provider asking for a longer wait ends the call instead. */
  retryMaxDelayMs: number;
  /** One deadline per call across all attempts and waits. */
  callDeadlineMs: number;
  /** Consecutive failed attempts (outages, timeouts) that open an endpoint's breaker. */
  breakerThreshold: number;
  /** How long an open breaker fails fast before letting a probe through. */
  breakerCooldownMs: number;
  /** Longest wait for a call slot under the provider's rate limit (never beyond the call's deadline). */
  rateLimitMaxWaitMs: number;
}

/** HTTP-callback subscriptions (src/callback). */
export interface CallbackSettings {
  /** Lower-cased `host` or `host:port` entries a callback URL must match; empty: any host. */
  allowedHosts: readonly string[];
  maxSubscriptions: number;
  /** One callback POST, connect to last byte. */
  timeoutMs: number;
  /** Attempts per message on 5xx, timeouts and network errors, the first included. */
  maxAttempts: number;
  /** Bytes waiting in one subscription's outbox before it ends with SUBSCRIBER_TOO_SLOW. */
  maxQueuedBytes: number;
  /** First retry delay (no variable). */
  retryBaseMs: number;
  /** Longest retry delay (no variable). */
  retryMaxDelayMs: number;
}

/** The outbound HTTP pool (src/providers/http.ts); its per-attempt deadline is `providerDeadlineMs`. */
export interface HttpSettings {
  connectTimeoutMs: number;
  /** Time to the response headers. */
  headersTimeoutMs: number;
  /** Idle time between body chunks. */
  bodyTimeoutMs: number;
  /** Larger bodies are cut off and reported as PROVIDER_BAD_RESPONSE. */
  maxBodyBytes: number;
  /** Sockets per origin. */
  connectionsPerOrigin: number;
  /** Idle keep-alive sockets are closed after this. */
  keepAliveTimeoutMs: number;
}

/** How temporary credentials are renewed (src/credentials/refreshing.ts). */
export interface CredentialSettings {
  refreshAt: number;
  refreshJitter: number;
  retryBaseMs: number;
  retryMaxMs: number;
  fileRecheckMs: number;
  unknownLifetimeMs: number;
  projectMissTtlMs: number;
}

/** What a `JOBS_ENDPOINT_*` variable can point elsewhere: the providers, and the identity services. */
export type EndpointName = ProviderName | 'STS' | 'IAM' | 'ALIBABA_METADATA' | 'HUAWEI_METADATA';

/** The validated configuration. Defaults: {@link DEFAULTS} (fields named alike). */
export interface Config {
  /** HTTP and WebSocket port (both on `/graphql`). */
  port: number;
  host: string;
  production: boolean;
  /** `simulator` serves every provider from built-in loopback fakes (required in production). */
  mode: JobsMode;
  logLevel: string;
  /**
   * The accounts refs can name. From `JOBS_ACCOUNTS_FILE` when set (`file`); else one account per
   * cloud named `default`, from today's variables (credentials null when none are set: that cloud's
   * providers answer PROVIDER_NOT_CONFIGURED). In simulator mode without a file, `list` is empty
   * and the simulator's own accounts are used.
   */
  accounts: {
    file: string | null;
    list: readonly AccountSpec[];
    /** The variables `chain` sources read (the vendors' chains are defined over the environment). */
    chainEnv: Readonly<Record<string, string | undefined>>;
  };
  /** Credential renewal (no variables). */
  credentials: Readonly<CredentialSettings>;
  /** Base URL overrides per provider and identity service; `{region}` is substituted. */
  endpoints: Partial<Record<EndpointName, string>>;
  workspaceApi: WorkspaceApi;
  /** Concurrent calls per provider, process-wide. */
  providerConcurrency: number;
  /** Calls waiting for a slot per provider before new ones fail fast (no variable). */
  providerQueueLimit: number;
  /** Max refs in one `jobs` query or one subscription. */
  maxRefs: number;
  /** One provider call attempt, connect to last byte, in ms. */
  providerDeadlineMs: number;
  /** The outbound HTTP pool's timeouts and limits (no variables). */
  http: Readonly<HttpSettings>;
  /** Simulator: ms per lifecycle step. */
  simulatorStepMs: number;
  poll: {
    minIntervalMs: number;
    maxIntervalMs: number;
    /** How long a terminal snapshot is remembered for late subscribers. */
    terminalTtlMs: number;
    /** Interval growth per unchanged poll (no variable). */
    growth: number;
    /** Interval spread as a fraction, 0.2 = ±20 % (no variable). */
    jitter: number;
    /** Pollers due within this window are polled on the same timer tick (no variable). */
    batchWindowMs: number;
    /** JOB_NOT_FOUND this soon after a poller started, before the job was ever seen, means "not yet". */
    notFoundGraceMs: number;
    /** Providers whose intervals differ from the pair above: their own variables, else their DEFAULTS. */
    providers: Partial<Record<ProviderName, PollIntervals>>;
    /** Head starts under a saturated poll budget (no variable). */
    priority: PollPriority;
  };
  /** Bound of every in-memory job cache: the poll engine's finished snapshots, the query caches (no variable). */
  jobCacheMaxEntries: number;
  /** How long a running job's answer to one query is reused for other queries (0: never). */
  queryCoalesceMs: number;
  /** graphql-ws keep-alive ping interval in ms. */
  wsKeepAliveMs: number;
  /** Subscriptions over HTTP callbacks (src/callback). */
  callback: Readonly<CallbackSettings>;
  /** On shutdown, how long /readyz reports draining before the listener closes (load balancers notice). */
  shutdownDelayMs: number;
  /** OTLP/HTTP base URL for traces (`OTEL_EXPORTER_OTLP_ENDPOINT`); null turns tracing off. */
  otel: { endpoint: string; serviceName: string } | null;
  /**
   * Redis for multi-replica coordination; null keeps everything in process. `stateTtlMs` (a
   * running job's latest event) and `connectTimeoutMs` have no variable.
   */
  redis: {
    /** `REDIS_URL` as given; it may carry a password, so it is never logged or echoed. */
    url: string;
    /** What the URL names: one server, a Sentinel-managed master, or a Redis Cluster. */
    target: RedisTarget;
    prefix: string;
    leaseMs: number;
    stateTtlMs: number;
    connectTimeoutMs: number;
  } | null;
  /** Shared secret the router must present (`ROUTER_SECRET`); null disables the check. */
  routerSecret: string | null;
  /** What refs may ask for; empty lists allow everything. */
  allow: AllowList;
  /** Schema introspection (default: on outside production). */
  introspection: boolean;
  /** GraphiQL on GET /graphql for browsers (`JOBS_GRAPHIQL`; default: on outside production). */
  graphiql: boolean;
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxTokens: number;
    /** graphql-armor's directive limit (no variable). */
    maxDirectives: number;
    /** Request body size in bytes. */
    maxBodyBytes: number;
    /** Open WebSockets per client IP. */
    wsConnectionsPerIp: number;
    /** Concurrent subscriptions per WebSocket. */
    wsSubscriptionsPerConnection: number;
    /** Largest WebSocket message accepted (no variable). */
    wsMaxPayloadBytes: number;
    /** Queued bytes above which a socket's events are coalesced (no variable). */
    wsSlowConsumerBytes: number;
    /** Queued bytes at which a socket is closed with 1013 (no variable). */
    wsMaxBufferedBytes: number;
    /** Subscription documents kept parsed and validated (no variable). */
    documentCacheEntries: number;
    /** Longer subscription documents are never cached (no variable). */
    documentCacheMaxQueryLength: number;
  };
  /** Retries, call deadline, circuit breakers and rate limits of provider calls (src/providers/resilience). */
  resilience: Readonly<ResilienceSettings>;
  /** Provider quotas (src/quotas): the defaults per provider; accounts may override them. */
  quotas: QuotaSettings;
}

/** The limits of one provider per account and region (src/quotas/limits.ts). */
export interface ProviderQuota {
  /** Most calls in any sliding second. */
  ratePerSec: number;
  /** Most calls back to back. */
  burst: number;
  /** Calls per provider day; null: none. */
  dailyBudget: number | null;
}

export interface QuotaSettings {
  providers: Readonly<Record<ProviderName, ProviderQuota>>;
  dayStartUtcOffsetMinutes: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

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

const ENDPOINT_VARS: Record<EndpointName, string> = {
  DATAWORKS: 'JOBS_ENDPOINT_DATAWORKS',
  NLB: 'JOBS_ENDPOINT_NLB',
  CFW: 'JOBS_ENDPOINT_CFW',
  DLI: 'JOBS_ENDPOINT_DLI',
  WORKSPACE: 'JOBS_ENDPOINT_WORKSPACE',
  STS: 'JOBS_ENDPOINT_STS',
  IAM: 'JOBS_ENDPOINT_IAM',
  ALIBABA_METADATA: 'JOBS_ENDPOINT_ALIBABA_METADATA',
  HUAWEI_METADATA: 'JOBS_ENDPOINT_HUAWEI_METADATA',
};

/** Builds the validated configuration. @throws ConfigError naming the offending variable. */
export function resolveConfig(env: Env): Readonly<Config> {
  const production = env.NODE_ENV === 'production';
  if (production && !optional(env, 'JOBS_MODE')) {
    throw new ConfigError('JOBS_MODE', 'must be set explicitly (simulator or live) when NODE_ENV=production');
  }
  const mode = read<JobsMode>(env, 'JOBS_MODE', z.enum(['simulator', 'live']), DEFAULTS.mode);

  const endpoints: Partial<Record<EndpointName, string>> = {};
  for (const [provider, name] of Object.entries(ENDPOINT_VARS) as [EndpointName, string][]) {
    const url = read(
      env,
      name,
      z.string().refine(isBaseUrl, 'expected an http(s) base URL, e.g. http://127.0.0.1:9001'),
      '',
    );
    if (url) endpoints[provider] = url;
  }

  const accounts = readAccounts(env, mode);

  const pollIntervals = {
    minIntervalMs: read(env, 'JOBS_POLL_MIN_INTERVAL_MS', int(10, 3_600_000), DEFAULTS.poll.minIntervalMs),
    maxIntervalMs: read(env, 'JOBS_POLL_MAX_INTERVAL_MS', int(10, 3_600_000), DEFAULTS.poll.maxIntervalMs),
  };
  if (pollIntervals.maxIntervalMs < pollIntervals.minIntervalMs) {
    throw new ConfigError(
      'JOBS_POLL_MAX_INTERVAL_MS',
      `must be >= JOBS_POLL_MIN_INTERVAL_MS (${pollIntervals.minIntervalMs})`,
    );
  }
  const poll: Config['poll'] = {
    ...DEFAULTS.poll,
    ...pollIntervals,
    terminalTtlMs: read(env, 'JOBS_TERMINAL_TTL_MS', int(0, 86_400_000), DEFAULTS.poll.terminalTtlMs),
    notFoundGraceMs: read(env, 'JOBS_NOT_FOUND_GRACE_MS', int(0, 3_600_000), DEFAULTS.poll.notFoundGraceMs),
    providers: readProviderPollIntervals(env, pollIntervals),
    priority: { ...DEFAULTS.poll.priority },
  };

  const r = DEFAULTS.resilience;
  const resilience: ResilienceSettings = {
    retryMaxAttempts: read(env, 'JOBS_RETRY_MAX_ATTEMPTS', int(1, 10), r.retryMaxAttempts),
    retryBaseMs: read(env, 'JOBS_RETRY_BASE_MS', int(1, 60_000), r.retryBaseMs),
    retryMaxDelayMs: read(env, 'JOBS_RETRY_MAX_DELAY_MS', int(1, 120_000), r.retryMaxDelayMs),
    callDeadlineMs: read(env, 'JOBS_CALL_DEADLINE_MS', int(100, 600_000), r.callDeadlineMs),
    breakerThreshold: read(env, 'JOBS_BREAKER_THRESHOLD', int(1, 1_000), r.breakerThreshold),
    breakerCooldownMs: read(env, 'JOBS_BREAKER_COOLDOWN_MS', int(10, 3_600_000), r.breakerCooldownMs),
    rateLimitMaxWaitMs: r.rateLimitMaxWaitMs,
  };
  if (resilience.retryMaxDelayMs < resilience.retryBaseMs) {
    throw new ConfigError('JOBS_RETRY_MAX_DELAY_MS', `must be >= JOBS_RETRY_BASE_MS (${resilience.retryBaseMs})`);
  }

  const config: Config = {
    port: read(env, 'PORT', int(0, 65_535), DEFAULTS.port),
    host: read(env, 'HOST', z.string().min(1), DEFAULTS.host),
    production,
    mode,
    logLevel: read<string>(
      env,
      'LOG_LEVEL',
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      DEFAULTS.logLevel,
    ),
    accounts,
    credentials: DEFAULTS.credentials,
    endpoints,
    workspaceApi: read<WorkspaceApi>(env, 'JOBS_WORKSPACE_API', z.enum(['v1', 'v2']), DEFAULTS.workspaceApi),
    providerConcurrency: read(env, 'JOBS_PROVIDER_CONCURRENCY', int(1, 1024), DEFAULTS.providerConcurrency),
    providerQueueLimit: DEFAULTS.providerQueueLimit,
    maxRefs: read(env, 'JOBS_MAX_REFS', int(1, 10_000), DEFAULTS.maxRefs),
    providerDeadlineMs: read(env, 'JOBS_PROVIDER_DEADLINE_MS', int(100, 300_000), DEFAULTS.providerDeadlineMs),
    http: DEFAULTS.http,
    simulatorStepMs: readSimulatorStep(env),
    poll,
    jobCacheMaxEntries: DEFAULTS.jobCacheMaxEntries,
    queryCoalesceMs: read(env, 'JOBS_QUERY_COALESCE_MS', int(0, 60_000), DEFAULTS.queryCoalesceMs),
    wsKeepAliveMs: read(env, 'JOBS_WS_KEEPALIVE_MS', int(0, 600_000), DEFAULTS.wsKeepAliveMs),
    callback: readCallback(env),
    shutdownDelayMs: read(env, 'JOBS_SHUTDOWN_DELAY_MS', int(0, 60_000), DEFAULTS.shutdownDelayMs),
    quotas: readQuotas(env, mode),
    redis: readRedis(env),
    otel: readOtel(env),
    routerSecret: optional(env, 'ROUTER_SECRET'),
    allow: {
      providers: list(env, 'JOBS_ALLOW_PROVIDERS', z.enum(PROVIDERS as [ProviderName, ...ProviderName[]])),
      accounts: list(env, 'JOBS_ALLOW_ACCOUNTS', z.string().regex(/^[a-z0-9-]{1,32}$/, 'expected account names')),
      regions: list(env, 'JOBS_ALLOW_REGIONS', z.string().regex(REGION_PATTERN, 'expected region ids like cn-north-4')),
      projects: list(
        env,
        'JOBS_ALLOW_PROJECTS',
        z.string().regex(HUAWEI_PROJECT_PATTERN, 'expected 32 lowercase hex characters'),
      ),
    },
    introspection: read(env, 'JOBS_INTROSPECTION', z.enum(['true', 'false']), production ? 'false' : 'true') === 'true',
    graphiql: read(env, 'JOBS_GRAPHIQL', z.enum(['true', 'false']), production ? 'false' : 'true') === 'true',
    limits: {
      ...DEFAULTS.limits,
      maxDepth: read(env, 'JOBS_MAX_DEPTH', int(2, 100), DEFAULTS.limits.maxDepth),
      maxAliases: read(env, 'JOBS_MAX_ALIASES', int(0, 1_000), DEFAULTS.limits.maxAliases),
      maxCost: read(env, 'JOBS_MAX_COST', int(10, 1_000_000), DEFAULTS.limits.maxCost),
      maxTokens: read(env, 'JOBS_MAX_TOKENS', int(10, 1_000_000), DEFAULTS.limits.maxTokens),
      maxBodyBytes: read(env, 'JOBS_MAX_BODY_BYTES', int(1_024, 10_485_760), DEFAULTS.limits.maxBodyBytes),
      wsConnectionsPerIp: read(
        env,
        'JOBS_WS_MAX_CONNECTIONS_PER_IP',
        int(1, 100_000),
        DEFAULTS.limits.wsConnectionsPerIp,
      ),
      wsSubscriptionsPerConnection: read(
        env,
        'JOBS_WS_MAX_SUBSCRIPTIONS',
        int(1, 10_000),
        DEFAULTS.limits.wsSubscriptionsPerConnection,
      ),
    },
    resilience: Object.freeze(resilience),
  };
  return Object.freeze(config);
}

/** A poll interval pair: the interval after a change, and its ceiling while nothing changes. */
export interface PollIntervals {
  minIntervalMs: number;
  maxIntervalMs: number;
}

/** Head starts (ms) in the queue of a saturated poll budget; see DEFAULTS.poll.priority. */
export interface PollPriority {
  firstPollHeadStartMs: number;
  endingSoonHeadStartMs: number;
  /** A job whose expected end is at most this far ahead (or past) counts as ending soon. */
  endingSoonWithinMs: number;
}

/**
 * `JOBS_POLL_MIN_INTERVAL_MS_<PROVIDER>` and `JOBS_POLL_MAX_INTERVAL_MS_<PROVIDER>`. What is set
 * beats any built-in default, and the specific beats the general: a provider's own variables, then
 * the global pair if either of it is set, then the provider's own default (DEFAULTS.poll.providers),
 * then the global default. Providers without an entry use the global pair.
 */
function readProviderPollIntervals(env: Env, global: PollIntervals): Partial<Record<ProviderName, PollIntervals>> {
  const isSet = (name: string) => Boolean(env[name]?.trim());
  const globalSet = isSet('JOBS_POLL_MIN_INTERVAL_MS') || isSet('JOBS_POLL_MAX_INTERVAL_MS');
  const own: Partial<Record<ProviderName, PollIntervals>> = DEFAULTS.poll.providers;
  const out: Partial<Record<ProviderName, PollIntervals>> = {};
  for (const p of PROVIDERS) {
    const minName = `JOBS_POLL_MIN_INTERVAL_MS_${p}`;
    const maxName = `JOBS_POLL_MAX_INTERVAL_MS_${p}`;
    const base = (!globalSet && own[p]) || null;
    if (!base && !isSet(minName) && !isSet(maxName)) continue;
    const minIntervalMs = read(env, minName, int(10, 3_600_000), (base ?? global).minIntervalMs);
    const maxIntervalMs = read(env, maxName, int(10, 3_600_000), (base ?? global).maxIntervalMs);
    if (maxIntervalMs < minIntervalMs) {
      throw isSet(maxName)
        ? new ConfigError(maxName, `must be >= the ${p} minimum (${minIntervalMs})`)
        : new ConfigError(minName, `must be <= the ${p} maximum (${maxIntervalMs}); set ${maxName} too`);
    }
    out[p] = { minIntervalMs, maxIntervalMs };
  }
  return out;
}

/**
 * What the vendors' default chains read (Alibaba: credentials-nodejs providers/env.ts and
 * oidc_role_arn.ts; Huawei: the SDKs' environment and OIDC settings).
 */
const CHAIN_VARS = [
  'ALIBABA_CLOUD_ACCESS_KEY_ID',
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
  'ALIBABA_CLOUD_ROLE_ARN',
  'ALIBABA_CLOUD_OIDC_PROVIDER_ARN',
  'ALIBABA_CLOUD_OIDC_TOKEN_FILE',
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'HUAWEICLOUD_SDK_IDP_ID',
  'HUAWEICLOUD_SDK_ID_TOKEN_FILE',
] as const;

/**
 * `JOBS_ACCOUNTS_FILE`, or today's variables as one `default` account per cloud. Without a file,
 * an AccessKey pair wins over ACK's RRSA variables (as in the vendor chain), and Huawei AK/SK over a
 * static token over CCE's OIDC variables.
 */
function readAccounts(env: Env, mode: JobsMode): Config['accounts'] {
  const chainEnv = Object.freeze(Object.fromEntries(CHAIN_VARS.map((n) => [n, optional(env, n) ?? undefined])));
  const file = optional(env, 'JOBS_ACCOUNTS_FILE');
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        'JOBS_ACCOUNTS_FILE',
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    try {
      const list = parseAccountsFile(text, env, { region: REGION_PATTERN, project: HUAWEI_PROJECT_PATTERN });
      return { file, list, chainEnv };
    } catch (err) {
      if (err instanceof AccountsFileError) throw new ConfigError('JOBS_ACCOUNTS_FILE', `${file}: ${err.message}`);
      throw err;
    }
  }
  const pair = (a: string, b: string) => {
    const x = optional(env, a);
    const y = optional(env, b);
    if (Boolean(x) !== Boolean(y)) throw new ConfigError(x ? b : a, `must be set together with ${x ? a : b}`);
    return x && y ? ([x, y] as const) : null;
  };
  const literal = (name: string) => {
    const v = optional(env, name);
    return v ? { value: v } : undefined;
  };
  const aliKeys = pair('ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET');
  const rrsa = ['ALIBABA_CLOUD_ROLE_ARN', 'ALIBABA_CLOUD_OIDC_PROVIDER_ARN', 'ALIBABA_CLOUD_OIDC_TOKEN_FILE'].map((n) =>
    optional(env, n),
  );
  const aliToken = literal('ALIBABA_CLOUD_SECURITY_TOKEN');
  let alibaba: AlibabaCredentialSpec | null = null;
  if (aliKeys) {
    alibaba = {
      source: 'static',
      accessKeyId: { value: aliKeys[0] },
      accessKeySecret: { value: aliKeys[1] },
      ...(aliToken ? { securityToken: aliToken } : {}),
    };
  } else if (rrsa.every(Boolean)) {
    alibaba = {
      source: 'oidc',
      roleArn: rrsa[0] as string,
      oidcProviderArn: rrsa[1] as string,
      oidcTokenFile: rrsa[2] as string,
      sessionName: 'jobs-subgraph',
      durationSeconds: 3_600,
    };
  }

  const hwKeys = pair('HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK');
  const hwToken = optional(env, 'HUAWEICLOUD_AUTH_TOKEN');
  const idp = [optional(env, 'HUAWEICLOUD_SDK_IDP_ID'), optional(env, 'HUAWEICLOUD_SDK_ID_TOKEN_FILE')];
  const hwSecurityToken = literal('HUAWEICLOUD_SDK_SECURITY_TOKEN');
  let huawei: HuaweiCredentialSpec | null = null;
  if (hwKeys) {
    huawei = {
      source: 'static',
      ak: { value: hwKeys[0] },
      sk: { value: hwKeys[1] },
      ...(hwSecurityToken ? { securityToken: hwSecurityToken } : {}),
    };
  } else if (hwToken) {
    huawei = { source: 'token', token: { value: hwToken } };
  } else if (idp.every(Boolean)) {
    huawei = { source: 'oidc', idpId: idp[0] as string, idTokenFile: idp[1] as string, durationSeconds: 3_600 };
  }

  const region = (name: string, example: string) =>
    read(env, name, z.string().regex(REGION_PATTERN, `expected a region id like ${example}`), null as string | null);
  const huaweiRegion = region('HUAWEICLOUD_SDK_REGION', 'cn-north-4');
  const projectId = read(
    env,
    'HUAWEICLOUD_SDK_PROJECT_ID',
    z.string().regex(HUAWEI_PROJECT_PATTERN, 'expected 32 lowercase hex characters'),
    null as string | null,
  );
  if (projectId && !huaweiRegion) {
    // A project id is valid in one region only; applied to every region it fails as an auth error.
    throw new ConfigError('HUAWEICLOUD_SDK_PROJECT_ID', 'needs HUAWEICLOUD_SDK_REGION, the region the project is in');
  }
  const alibabaRegion = region('ALIBABA_CLOUD_REGION_ID', 'cn-hangzhou');
  // Validated above in every mode (a typo fails at start-up); the simulator serves its own accounts.
  if (mode === 'simulator') return { file: null, list: [], chainEnv };
  return {
    file: null,
    chainEnv,
    list: [
      {
        name: DEFAULT_ACCOUNT_NAME,
        cloud: 'alibaba',
        default: true,
        defaultRegion: alibabaRegion,
        credentials: alibaba,
      },
      {
        name: DEFAULT_ACCOUNT_NAME,
        cloud: 'huawei',
        default: true,
        defaultRegion: huaweiRegion,
        projects: projectId && huaweiRegion ? { [huaweiRegion]: projectId } : {},
        credentials: huawei,
      },
    ],
  };
}

function readOtel(env: Env): Config['otel'] {
  const endpoint = read(
    env,
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    z.string().refine(isBaseUrl, 'expected an http(s) URL, e.g. http://collector:4318'),
    '',
  );
  return endpoint
    ? { endpoint, serviceName: read<string>(env, 'OTEL_SERVICE_NAME', z.string().min(1), DEFAULTS.otelServiceName) }
    : null;
}

/**
 * `JOBS_RATE_LIMIT_<PROVIDER>_PER_SEC`, `_BURST` and `JOBS_DAILY_BUDGET_<PROVIDER>` (`off`: none).
 * The built-in simulator's fakes enforce no quota and bill nothing, so against them the defaults
 * are no limit at all (a demo should not stop after 100 DataWorks polls); what is set still applies.
 */
/** No limit: quotas count nothing until a variable or an account sets one. */
const SIMULATOR_QUOTA: ProviderQuota = { ratePerSec: Infinity, burst: Infinity, dailyBudget: null };

function readQuotas(env: Env, mode: JobsMode): QuotaSettings {
  for (const old of ['JOBS_RATE_LIMIT_PER_SEC', 'JOBS_RATE_LIMIT_BURST']) {
    if (env[old]?.trim()) {
      throw new ConfigError(
        old,
        `replaced by per-provider limits: ${old.replace('JOBS_RATE_LIMIT_', 'JOBS_RATE_LIMIT_<PROVIDER>_')}`,
      );
    }
  }
  const providers = {} as Record<ProviderName, ProviderQuota>;
  for (const p of PROVIDERS) {
    const d = mode === 'simulator' ? SIMULATOR_QUOTA : DEFAULTS.quotas.providers[p];
    const ratePerSec = read(env, `JOBS_RATE_LIMIT_${p}_PER_SEC`, int(2, 100_000), d.ratePerSec);
    const burst = read(env, `JOBS_RATE_LIMIT_${p}_BURST`, int(1, 100_000), Math.min(d.burst, ratePerSec));
    if (burst > ratePerSec) {
      throw new ConfigError(`JOBS_RATE_LIMIT_${p}_BURST`, `must be <= JOBS_RATE_LIMIT_${p}_PER_SEC (${ratePerSec})`);
    }
    const budget = read<number | 'off' | null>(
      env,
      `JOBS_DAILY_BUDGET_${p}`,
      z.union([z.literal('off'), int(1, 1_000_000_000)]),
      d.dailyBudget,
    );
    providers[p] = { ratePerSec, burst, dailyBudget: budget === 'off' ? null : budget };
  }
  return { providers, dayStartUtcOffsetMinutes: DEFAULTS.quotas.dayStartUtcOffsetMinutes };
}

/** A Redis server or Sentinel address. */
export interface RedisNode {
  host: string;
  port: number;
}

/** AUTH credentials (Redis ACL user and password); neither set means no AUTH. */
export interface RedisAuth {
  username?: string;
  password?: string;
}

/**
 * Where Redis is, as `REDIS_URL` names it ({@link parseRedisUrl}). `tls` (the `rediss` schemes)
 * applies to every connection: sentinels and data nodes, or every cluster node.
 */
export type RedisTarget =
  /** `redis://` / `rediss://`: handed to ioredis as written (user, password, db number, TLS). */
  | { mode: 'standalone'; url: string }
  /** Sentinels to ask where the master of `masterName` is; `sentinelAuth` is for the sentinels themselves. */
  | {
      mode: 'sentinel';
      sentinels: RedisNode[];
      masterName: string;
      db: number;
      tls: boolean;
      auth: RedisAuth;
      sentinelAuth: RedisAuth;
    }
  /** Seed nodes of a Redis Cluster (database 0 only); the rest of the topology is discovered from them. */
  | { mode: 'cluster'; nodes: RedisNode[]; tls: boolean; auth: RedisAuth };

const REDIS_URL_FORMS =
  'expected redis://host:6379, rediss://…, redis+sentinel://host:26379,host2:26379/master-name or redis+cluster://host:6379,host2:6379';
// scheme, user info, host list, path, query. The user info may not hold a raw @ / ? #: percent-encode them.
const MULTI_HOST_URL = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^@/?#]*)@)?([^@/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/;
const REDIS_HOST = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/;

/**
 * Parses `REDIS_URL`. Error messages never quote the URL or its parts (it may carry a password).
 * @throws ConfigError for `REDIS_URL`.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const fail = (why: string): never => {
    throw new ConfigError('REDIS_URL', why);
  };
  if (/^rediss?:\/\//.test(url)) return { mode: 'standalone', url };
  const m = MULTI_HOST_URL.exec(url) ?? fail(REDIS_URL_FORMS);
  const [, scheme, mode, userInfo, hostList = '', path = '', query = ''] = m;
  const decode = (part: string, what: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return fail(`the ${what} is not valid percent-encoding`);
    }
  };
  const auth = (info: string | undefined): RedisAuth => {
    if (info === undefined) return {};
    const colon = info.indexOf(':');
    const username = decode(colon < 0 ? info : info.slice(0, colon), 'user name');
    const password = colon < 0 ? '' : decode(info.slice(colon + 1), 'password');
    return { ...(username ? { username } : {}), ...(password ? { password } : {}) };
  };
  const defaultPort = mode === 'sentinel' ? 26_379 : 6_379;
  const nodes = hostList.split(',').map((entry, i) => {
    const h = REDIS_HOST.exec(entry) ?? fail(`host ${i + 1} of the list: expected host, host:port or [ipv6]:port`);
    const port = h[3] === undefined ? defaultPort : Number(h[3]);
    if (port < 1 || port > 65_535) fail(`host ${i + 1} of the list: port out of range`);
    return { host: (h[1] ?? h[2])!, port };
  });
  const params = new URLSearchParams(query);
  const tls = scheme === 'rediss';
  if (mode === 'cluster') {
    if (path !== '' && path !== '/') fail('a Redis Cluster has database 0 only: remove the path');
    for (const name of params.keys()) fail(`unknown parameter ${JSON.stringify(name)} (redis+cluster takes none)`);
    return { mode: 'cluster', nodes, tls, auth: auth(userInfo) };
  }
  const known = ['sentinelUsername', 'sentinelPassword'];
  for (const name of params.keys()) {
    if (!known.includes(name)) fail(`unknown parameter ${JSON.stringify(name)} (known: ${known.join(', ')})`);
  }
  const [, master = '', db = '0', ...rest] = path.split('/');
  if (!master || rest.length > 0 || !/^\d{1,2}$/.test(db)) fail('expected the path /master-name or /master-name/db');
  const sentinelUsername = params.get('sentinelUsername');
  const sentinelPassword = params.get('sentinelPassword');
  return {
    mode: 'sentinel',
    sentinels: nodes,
    masterName: decode(master, 'master name'),
    db: Number(db),
    tls,
    auth: auth(userInfo),
    sentinelAuth: {
      ...(sentinelUsername ? { username: sentinelUsername } : {}),
      ...(sentinelPassword ? { password: sentinelPassword } : {}),
    },
  };
}

/** `REDIS_URL` turns on Redis coordination; it then needs `REDIS_PREFIX` (no default, by design). */
function readRedis(env: Env): Config['redis'] {
  const url = optional(env, 'REDIS_URL');
  if (!url) return null;
  const target = parseRedisUrl(url);
  const prefix = read(
    env,
    'REDIS_PREFIX',
    z.string().regex(/^[\w.:-]{1,64}$/, 'expected 1-64 characters of letters, digits and _.:-'),
    '',
  );
  if (!prefix)
    throw new ConfigError(
      'REDIS_PREFIX',
      'is required with REDIS_URL (e.g. jobs-subgraph:prod) so deployments sharing a Redis never mix',
    );
  return {
    ...DEFAULTS.redis,
    url,
    target,
    prefix,
    leaseMs: read(env, 'JOBS_LEASE_MS', int(500, 600_000), DEFAULTS.redis.leaseMs),
  };
}

/** `host`, `host:port` or `[ipv6]:port`, as a URL's `host` spells it. */
const CALLBACK_HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::\d{1,5})?$/;

function readCallback(env: Env): CallbackSettings {
  const d = DEFAULTS.callback;
  return Object.freeze({
    allowedHosts: Object.freeze(
      list(
        env,
        'JOBS_CALLBACK_ALLOWED_HOSTS',
        z
          .string()
          .transform((h) => h.toLowerCase())
          .pipe(z.string().regex(CALLBACK_HOST, 'expected host or host:port entries, e.g. router.internal:4000')),
      ),
    ),
    maxSubscriptions: read(env, 'JOBS_CALLBACK_MAX_SUBSCRIPTIONS', int(1, 1_000_000), d.maxSubscriptions),
    timeoutMs: read(env, 'JOBS_CALLBACK_TIMEOUT_MS', int(100, 120_000), d.timeoutMs),
    maxAttempts: read(env, 'JOBS_CALLBACK_MAX_ATTEMPTS', int(1, 10), d.maxAttempts),
    maxQueuedBytes: read(env, 'JOBS_CALLBACK_MAX_QUEUED_BYTES', int(4 * 1024, 1024 * 1024 * 1024), d.maxQueuedBytes),
    retryBaseMs: d.retryBaseMs,
    retryMaxDelayMs: d.retryMaxDelayMs,
  });
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

function readSimulatorStep(env: Env): number {
  return read(env, 'JOBS_SIMULATOR_STEP_MS', int(1, 3_600_000), DEFAULTS.simulator.stepMs);
}

/** `npm run simulator` (src/simulator/main.ts): the simulator alone, on fixed ports. */
export interface SimulatorConfig {
  host: string;
  /** DATAWORKS, NLB, CFW, DLI, WORKSPACE listen on portBase+0 … portBase+4. */
  portBase: number;
  stepMs: number;
}

/** @throws ConfigError naming the offending variable. */
export function resolveSimulatorConfig(env: Env): Readonly<SimulatorConfig> {
  return Object.freeze({
    host: read(env, 'SIMULATOR_HOST', z.string().min(1), DEFAULTS.simulator.host),
    portBase: read(env, 'SIMULATOR_PORT_BASE', int(1, 65_535 - (PROVIDERS.length - 1)), DEFAULTS.simulator.portBase),
    stepMs: readSimulatorStep(env),
  });
}

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

function deepFreeze<T extends object>(o: T): DeepReadonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o) as DeepReadonly<T>;
}
