/**
 * The provider side of the process: the built-in simulator (simulator mode), one outbound HTTP pool,
 * each account's credential source and its five hardened clients behind the registry's
 * per-provider bulkhead, Huawei project discovery, and their metrics and log lines. Nothing here
 * knows about GraphQL.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createClients } from '../providers/clients.js';
import { HttpTransport } from '../providers/http.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { BreakerState } from '../providers/resilience/circuit-breaker.js';
import type { ResilienceEvent } from '../providers/resilience/with-resilience.js';
import { cloudOf, PROVIDERS, type ProviderName } from '../providers/types.js';
import { AccountDirectory } from '../accounts/directory.js';
import type { AccountSpec } from '../accounts/spec.js';
import { buildAccountSources, sourceKey, type AnyCredentialSource } from '../credentials/account-sources.js';
import { ProjectDiscovery } from '../credentials/project-discovery.js';
import type { CredentialHealth, CredentialSource } from '../credentials/refreshing.js';
import type { AlibabaCredentials, HuaweiAuth, ProviderClient } from '../providers/types.js';
import type { RefDefaults } from '../refs.js';
import { SharedCallBudget } from '../quotas/call-budget.js';
import type { QuotaLimits } from '../quotas/limits.js';
import type { BudgetScope } from '../providers/resilience/call-budget.js';
import { SIMULATOR_ACCOUNTS } from '../simulator/credentials.js';
import { startSimulator, type Simulator } from '../simulator/index.js';

export interface ProviderLayer {
  registry: ProviderRegistry;
  simulator: Simulator | null;
  /** Accounts, Huawei project discovery and the allow-list: what refs resolve against. */
  refDefaults: RefDefaults;
  /** Which providers have credentials in their default account (readiness). */
  configured(): Record<ProviderName, boolean>;
  /** Each account's credential state, by `cloud/name` (readiness; no secret in it). */
  accountHealth(): Record<string, CredentialHealth>;
  /** The provider quotas every call draws from (the poll engine plans with them too). */
  budget: SharedCallBudget;
  close(): Promise<void>;
}

export interface ProviderLayerOptions {
  logger: Logger;
  metrics: Metrics;
  /** Use this simulator instead of starting one (tests script its fakes and clock). */
  simulator?: Simulator | undefined;
  /** Signing clock. */
  now?: (() => Date) | undefined;
  /** Shared quota counters (the coordinator's Redis connection); absent: this process's own. */
  quotaStore?: { client: Redis | Cluster; prefix: string } | undefined;
  /** Replicas last seen alive, for each one's share of the quotas while Redis is away. */
  liveReplicas?: (() => number) | undefined;
}

export async function buildProviders(config: Readonly<Config>, o: ProviderLayerOptions): Promise<ProviderLayer> {
  const simulated = config.mode === 'simulator';
  const ownsSimulator = simulated && !o.simulator;
  const simulator = simulated ? (o.simulator ?? (await startSimulator({ stepMs: config.simulatorStepMs }))) : null;
  const transport = new HttpTransport({ ...config.http, deadlineMs: config.providerDeadlineMs });
  // Simulator mode serves its own two accounts per cloud unless an accounts file says otherwise.
  const accounts: readonly AccountSpec[] =
    simulated && !config.accounts.file ? SIMULATOR_ACCOUNTS : config.accounts.list;
  const endpoints = simulator ? { ...simulator.endpoints, ...simulator.identityEndpoints } : config.endpoints;
  const sources = buildAccountSources(accounts, {
    transport,
    endpoints,
    settings: config.credentials,
    chainEnv: config.accounts.chainEnv,
    onRenewal: (account, r) => {
      o.metrics.credentialRenewals.inc({ account, outcome: r.ok ? 'ok' : r.error.code });
      if (r.ok) o.logger.debug({ account, expiresAt: r.expiresAt }, 'credentials renewed');
      else o.logger.warn({ account, code: r.error.code, error: r.error.message }, 'credential renewal failed');
    },
  });
  const directory = new AccountDirectory(
    accounts.map((a) => ({
      name: a.name,
      cloud: a.cloud,
      defaultRegion: a.defaultRegion,
      projects: a.cloud === 'huawei' ? a.projects : {},
    })),
    Object.fromEntries(accounts.filter((a) => a.default).map((a) => [a.cloud, a.name])),
  );

  // Quotas per provider, account and region: the configuration's defaults under each account's own.
  const overrides = new Map(accounts.map((a) => [a.name, a.quotas ?? {}]));
  const budget = new SharedCallBudget({
    limitsOf: (scope: BudgetScope): QuotaLimits => ({
      ...config.quotas.providers[scope.provider],
      ...overrides.get(scope.account)?.[scope.provider],
    }),
    dayStartUtcOffsetMinutes: config.quotas.dayStartUtcOffsetMinutes,
    redis: o.quotaStore ?? null,
    ...(o.liveReplicas ? { liveReplicas: o.liveReplicas } : {}),
    onDailyUse: ({ scope, used, budget: limit }) => {
      o.metrics.quotaDailyUsed.set(scope, used);
      o.metrics.quotaDailyBudget.set(scope, limit);
    },
    onShared: (available) => {
      if (available) o.logger.info({ quotas: 'shared' }, 'quota counters shared through Redis again');
      else
        o.logger.warn({ quotas: 'local' }, 'quota counters unreachable: this replica keeps to its share of each limit');
    },
  });
  const clientsOf = (account: string, source: AnyCredentialSource | undefined, cloud: 'alibaba' | 'huawei') =>
    createClients({
      transport,
      alibaba: cloud === 'alibaba' && source ? (source as CredentialSource<AlibabaCredentials>) : null,
      huawei: cloud === 'huawei' && source ? (source as CredentialSource<HuaweiAuth>) : null,
      endpoints,
      workspaceApi: config.workspaceApi,
      ...(o.now ? { now: o.now } : {}),
      resilience: { ...config.resilience, budget, account, onEvent: (e) => reportResilience(e, o) },
    });
  // One set of clients per account: its own credential, breakers and rate-limit buckets.
  const defaults: Partial<Record<ProviderName, ProviderClient>> = {};
  const named = new Map<string, Partial<Record<ProviderName, ProviderClient>>>();
  for (const a of accounts) {
    const clients = clientsOf(a.name, sources.get(sourceKey(a.cloud, a.name)), a.cloud);
    if (directory.defaultOf(a.cloud)?.name === a.name) Object.assign(defaults, clients);
    else named.set(a.name, clients);
  }
  const registry = new ProviderRegistry({
    clients: defaults,
    accounts: named,
    concurrency: config.providerConcurrency,
    queueLimit: config.providerQueueLimit,
    onCall: (e) => {
      o.metrics.providerCallSeconds.observe({ provider: e.key.provider, outcome: e.outcome }, e.durationMs / 1000);
      // Successful calls log at debug: at the usual info level, skip building a line nobody writes.
      if (e.outcome === 'ok' && !o.logger.isLevelEnabled('debug')) return;
      const line = {
        requestId: e.callerRequestId,
        provider: e.key.provider,
        account: directory.nameOf(cloudOf(e.key.provider), e.key.account),
        region: e.key.region,
        projectId: e.key.projectId,
        jobId: e.key.jobId,
        outcome: e.outcome,
        ms: Math.round(e.durationMs),
        providerRequestId: e.requestId,
      };
      if (e.outcome === 'ok') o.logger.debug(line, 'provider call');
      else o.logger.warn(line, 'provider call failed');
    },
  });
  const projects = new ProjectDiscovery({
    transport,
    iamOverride: endpoints.IAM,
    missTtlMs: config.credentials.projectMissTtlMs,
    account: (keyAccount) => {
      const info = directory.get('huawei', keyAccount);
      const source = info && sources.get(sourceKey('huawei', info.name));
      return source && info
        ? { source: source as CredentialSource<HuaweiAuth>, region: info.defaultRegion }
        : undefined;
    },
  });
  return {
    registry,
    simulator,
    refDefaults: { accounts: directory, projects, allow: config.allow },
    configured: () =>
      Object.fromEntries(PROVIDERS.map((p) => [p, registry.isConfigured(p)])) as Record<ProviderName, boolean>,
    budget,
    accountHealth: () =>
      Object.fromEntries([...sources].map(([key, source]) => [key.replace(':', '/'), source.health()])),
    async close() {
      await transport.close();
      if (ownsSimulator && simulator) await simulator.stop();
    },
  };
}

/** Gauge values of `jobs_provider_breaker_state`. */
const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Codes, states and numbers only: nothing secret can reach these lines. */
function reportResilience(e: ResilienceEvent, o: ProviderLayerOptions): void {
  if (e.type === 'retry') o.metrics.providerRetries.inc({ provider: e.provider });
  if (e.type === 'provider-throttled') o.metrics.providerThrottled.inc({ provider: e.provider });
  if (e.type === 'rate-limited' && e.rejected) o.metrics.providerRateLimitRejections.inc({ provider: e.provider });
  if (e.type === 'breaker') {
    o.metrics.breakerState.set({ provider: e.provider, region: e.region }, BREAKER_GAUGE[e.state]);
    o.logger.warn(e, 'provider circuit breaker');
  } else {
    o.logger.debug(e, `provider ${e.type}`);
  }
}
