import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, resolveConfig, resolveSimulatorConfig, type Config } from '../src/config.js';
import { DEFAULT_RESILIENCE } from '../src/providers/resilience/index.js';
import { PROVIDERS } from '../src/providers/types.js';

describe('resolveConfig', () => {
  it('defaults to the simulator on port 4000 with the documented limits', () => {
    const c = resolveConfig({});
    expect(c.mode).toBe('simulator');
    expect(c.port).toBe(4000);
    expect(c.providerConcurrency).toBe(64);
    expect(c.maxRefs).toBe(100);
    expect(c.workspaceApi).toBe('v2');
    expect(c.poll).toMatchObject({ minIntervalMs: 1000, maxIntervalMs: 30000, terminalTtlMs: 300000 });
    expect(c.poll).toEqual(DEFAULTS.poll);
    expect(c.limits).toEqual(DEFAULTS.limits);
    expect(c.http).toEqual(DEFAULTS.http);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('requires JOBS_MODE explicitly in production', () => {
    expect(() => resolveConfig({ NODE_ENV: 'production' })).toThrow(/JOBS_MODE/);
    expect(resolveConfig({ NODE_ENV: 'production', JOBS_MODE: 'live' }).mode).toBe('live');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['JOBS_MODE', 'mock'],
    ['JOBS_WORKSPACE_API', 'v3'],
    ['JOBS_ENDPOINT_DLI', 'not a url'],
    ['JOBS_PROVIDER_CONCURRENCY', '0'],
    ['HUAWEICLOUD_SDK_PROJECT_ID', 'not-hex'],
    ['ALIBABA_CLOUD_REGION_ID', 'Hangzhou'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    let caught: unknown;
    try {
      resolveConfig({ [name]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(name);
    expect((caught as Error).message).toContain(name);
  });

  it('rejects half an AccessKey pair without echoing the secret', () => {
    expect(() => resolveConfig({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'top-secret-value' })).toThrow(
      /ALIBABA_CLOUD_ACCESS_KEY_ID/,
    );
    try {
      resolveConfig({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'top-secret-value' });
    } catch (err) {
      expect((err as Error).message).not.toContain('top-secret-value');
    }
    expect(() => resolveConfig({ HUAWEICLOUD_SDK_AK: 'AK' })).toThrow(/HUAWEICLOUD_SDK_SK/);
  });

  it('reads the callback settings: allowed hosts lower-cased, and DEFAULTS otherwise', () => {
    expect(resolveConfig({}).callback).toEqual(DEFAULTS.callback);
    const c = resolveConfig({ JOBS_CALLBACK_ALLOWED_HOSTS: 'Router.Internal:4000, gw, [::1]:8080' });
    expect(c.callback.allowedHosts).toEqual(['router.internal:4000', 'gw', '[::1]:8080']);
    for (const bad of ['http://router:4000', 'router/callback', 'a b']) {
      expect(() => resolveConfig({ JOBS_CALLBACK_ALLOWED_HOSTS: bad }), bad).toThrow(/JOBS_CALLBACK_ALLOWED_HOSTS/);
    }
    expect(() => resolveConfig({ JOBS_CALLBACK_MAX_ATTEMPTS: '0' })).toThrow(/JOBS_CALLBACK_MAX_ATTEMPTS/);
  });

  it('rejects a poll maximum below the minimum', () => {
    expect(() => resolveConfig({ JOBS_POLL_MIN_INTERVAL_MS: '5000', JOBS_POLL_MAX_INTERVAL_MS: '1000' })).toThrow(
      /JOBS_POLL_MAX_INTERVAL_MS/,
    );
  });

  it('reads credentials, regions and endpoint overrides with {region}', () => {
    const c = resolveConfig({
      JOBS_MODE: 'live',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'id',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret',
      ALIBABA_CLOUD_REGION_ID: 'cn-hangzhou',
      HUAWEICLOUD_AUTH_TOKEN: 'tok',
      HUAWEICLOUD_SDK_REGION: 'eu-west-101',
      HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
      JOBS_ENDPOINT_NLB: 'http://127.0.0.1:9001/{region}',
    });
    const [alibaba, huawei] = c.accounts.list;
    expect(alibaba).toMatchObject({
      name: 'default',
      cloud: 'alibaba',
      default: true,
      defaultRegion: 'cn-hangzhou',
      credentials: { source: 'static', accessKeyId: { value: 'id' }, accessKeySecret: { value: 'secret' } },
    });
    expect(huawei).toMatchObject({
      name: 'default',
      cloud: 'huawei',
      defaultRegion: 'eu-west-101',
      // The default project belongs to the default region only.
      projects: { 'eu-west-101': '0123456789abcdef0123456789abcdef' },
      credentials: { source: 'token', token: { value: 'tok' } },
    });
    expect(c.endpoints.NLB).toBe('http://127.0.0.1:9001/{region}');
  });

  it('prefers AK/SK over a token when both are configured', () => {
    const c = resolveConfig({
      JOBS_MODE: 'live',
      HUAWEICLOUD_SDK_AK: 'ak',
      HUAWEICLOUD_SDK_SK: 'sk',
      HUAWEICLOUD_AUTH_TOKEN: 'tok',
    });
    expect(c.accounts.list[1]?.credentials).toMatchObject({
      source: 'static',
      ak: { value: 'ak' },
      sk: { value: 'sk' },
    });
  });

  it("turns ACK's RRSA and CCE's OIDC variables into oidc accounts when no keys are set", () => {
    const c = resolveConfig({
      JOBS_MODE: 'live',
      ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1000000000000001:role/reader',
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1000000000000001:oidc-provider/ack',
      ALIBABA_CLOUD_OIDC_TOKEN_FILE: '/var/run/secrets/tokens/oidc-token',
      HUAWEICLOUD_SDK_IDP_ID: 'cce-idp',
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: '/var/run/secrets/tokens/id-token',
    });
    expect(c.accounts.list[0]?.credentials).toMatchObject({
      source: 'oidc',
      roleArn: 'acs:ram::1000000000000001:role/reader',
      oidcTokenFile: '/var/run/secrets/tokens/oidc-token',
    });
    expect(c.accounts.list[1]?.credentials).toMatchObject({ source: 'oidc', idpId: 'cce-idp' });
  });

  it('refuses a Huawei project id without the region it belongs to', () => {
    expect(() =>
      resolveConfig({ JOBS_MODE: 'live', HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef' }),
    ).toThrow(/HUAWEICLOUD_SDK_PROJECT_ID.*HUAWEICLOUD_SDK_REGION/);
  });
});

describe('DEFAULTS: every default in one place', () => {
  it('is deeply frozen', () => {
    const frozen = (o: object): boolean =>
      Object.isFrozen(o) && Object.values(o).every((v) => typeof v !== 'object' || v === null || frozen(v as object));
    expect(frozen(DEFAULTS)).toBe(true);
  });

  it('is what library code falls back to', () => {
    expect(DEFAULT_RESILIENCE).toBe(DEFAULTS.resilience);
    expect(resolveConfig({}).simulatorStepMs).toBe(DEFAULTS.simulator.stepMs);
  });

  const live = () => resolveConfig({ JOBS_MODE: 'live' });
  /** Each variable of the README's configuration tables, and where its value lands in Config. */
  const DOCUMENTED: Record<string, (c: Config) => unknown> = {
    PORT: (c) => c.port,
    HOST: (c) => c.host,
    JOBS_MODE: (c) => c.mode,
    JOBS_WORKSPACE_API: (c) => c.workspaceApi,
    JOBS_PROVIDER_CONCURRENCY: (c) => c.providerConcurrency,
    JOBS_MAX_REFS: (c) => c.maxRefs,
    JOBS_PROVIDER_DEADLINE_MS: (c) => c.providerDeadlineMs,
    JOBS_CALL_DEADLINE_MS: (c) => c.resilience.callDeadlineMs,
    JOBS_RETRY_MAX_ATTEMPTS: (c) => c.resilience.retryMaxAttempts,
    JOBS_RETRY_BASE_MS: (c) => c.resilience.retryBaseMs,
    JOBS_RETRY_MAX_DELAY_MS: (c) => c.resilience.retryMaxDelayMs,
    JOBS_BREAKER_THRESHOLD: (c) => c.resilience.breakerThreshold,
    JOBS_BREAKER_COOLDOWN_MS: (c) => c.resilience.breakerCooldownMs,
    ...Object.fromEntries(
      PROVIDERS.flatMap((p) => [
        // The documented defaults are live mode's (the simulator applies no quota unless set).
        [`JOBS_RATE_LIMIT_${p}_PER_SEC`, () => live().quotas.providers[p].ratePerSec],
        [`JOBS_RATE_LIMIT_${p}_BURST`, () => live().quotas.providers[p].burst],
        [`JOBS_DAILY_BUDGET_${p}`, () => live().quotas.providers[p].dailyBudget ?? 'off'],
      ]),
    ),
    JOBS_POLL_MIN_INTERVAL_MS: (c) => c.poll.minIntervalMs,
    JOBS_POLL_MAX_INTERVAL_MS: (c) => c.poll.maxIntervalMs,
    JOBS_TERMINAL_TTL_MS: (c) => c.poll.terminalTtlMs,
    JOBS_QUERY_COALESCE_MS: (c) => c.queryCoalesceMs,
    JOBS_WS_KEEPALIVE_MS: (c) => c.wsKeepAliveMs,
    JOBS_SIMULATOR_STEP_MS: (c) => c.simulatorStepMs,
    LOG_LEVEL: (c) => c.logLevel,
    JOBS_MAX_DEPTH: (c) => c.limits.maxDepth,
    JOBS_MAX_ALIASES: (c) => c.limits.maxAliases,
    JOBS_MAX_COST: (c) => c.limits.maxCost,
    JOBS_MAX_TOKENS: (c) => c.limits.maxTokens,
    JOBS_MAX_BODY_BYTES: (c) => c.limits.maxBodyBytes,
    JOBS_WS_MAX_CONNECTIONS_PER_IP: (c) => c.limits.wsConnectionsPerIp,
    JOBS_WS_MAX_SUBSCRIPTIONS: (c) => c.limits.wsSubscriptionsPerConnection,
    JOBS_CALLBACK_MAX_SUBSCRIPTIONS: (c) => c.callback.maxSubscriptions,
    JOBS_CALLBACK_TIMEOUT_MS: (c) => c.callback.timeoutMs,
    JOBS_CALLBACK_MAX_ATTEMPTS: (c) => c.callback.maxAttempts,
    JOBS_CALLBACK_MAX_QUEUED_BYTES: (c) => c.callback.maxQueuedBytes,
    JOBS_SHUTDOWN_DELAY_MS: (c) => c.shutdownDelayMs,
    OTEL_SERVICE_NAME: (c) => c.otel?.serviceName,
    JOBS_LEASE_MS: (c) => c.redis?.leaseMs,
  };

  it("the README's configuration tables state the config defaults", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const stated: Record<string, string> = {};
    // Rows like: | `A`, `B` | `1`, `2` | meaning |   ("—" for no default)
    for (const line of readme.split('\n')) {
      const cells = line.split(' | ');
      if (!line.startsWith('| `') || cells.length < 3) continue;
      const names = cells[0]!.slice(2).split(', ');
      const values = cells[1]!.split(', ');
      if (names.length !== values.length) continue;
      names.forEach((n, i) => {
        const name = /^`([A-Z0-9_]+)`$/.exec(n.trim())?.[1];
        const value = /^`([^`]*)`$/.exec(values[i]!.trim())?.[1];
        if (name && value !== undefined) stated[name] = value;
      });
    }
    const c = resolveConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      REDIS_URL: 'redis://r:6379',
      REDIS_PREFIX: 'p',
    });
    const sim = resolveSimulatorConfig({});
    const actual = {
      ...Object.fromEntries(Object.entries(DOCUMENTED).map(([name, get]) => [name, String(get(c))])),
      SIMULATOR_HOST: sim.host,
      SIMULATOR_PORT_BASE: String(sim.portBase),
    };
    expect(Object.fromEntries(Object.keys(actual).map((n) => [n, stated[n]]))).toEqual(actual);
  });

  it('the README states the WebSocket buffer limit the code applies', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`more than ${DEFAULTS.limits.wsMaxBufferedBytes / 2 ** 20} MiB queued`);
  });
});

describe('resolveSimulatorConfig (npm run simulator)', () => {
  it('defaults to loopback, ports from 9001 and the server step', () => {
    expect(resolveSimulatorConfig({})).toEqual({
      host: '127.0.0.1',
      portBase: 9001,
      stepMs: resolveConfig({}).simulatorStepMs,
    });
    expect(
      resolveSimulatorConfig({
        SIMULATOR_HOST: '0.0.0.0',
        SIMULATOR_PORT_BASE: '19001',
        JOBS_SIMULATOR_STEP_MS: '500',
      }),
    ).toEqual({
      host: '0.0.0.0',
      portBase: 19001,
      stepMs: 500,
    });
  });

  it.each([
    ['SIMULATOR_PORT_BASE', 'nine'],
    ['SIMULATOR_PORT_BASE', '65535'],
    ['JOBS_SIMULATOR_STEP_MS', '0'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => resolveSimulatorConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => resolveSimulatorConfig({ [name]: value })).toThrow(name);
  });
});
