/**
 * The provider side of the process: the built-in simulator (simulator mode), one outbound HTTP pool,
 * the five hardened clients behind the registry's per-provider bulkhead, and their metrics and log
 * lines. Nothing here knows about GraphQL.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { currentScope } from '../observability/request-context.js';
import { createClients } from '../providers/clients.js';
import { HttpTransport } from '../providers/http.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { BreakerState } from '../providers/resilience/circuit-breaker.js';
import type { ResilienceEvent } from '../providers/resilience/with-resilience.js';
import { PROVIDERS, type ProviderName } from '../providers/types.js';
import type { RefDefaults } from '../refs.js';
import {
  SIMULATOR_ALIBABA,
  SIMULATOR_ALIBABA_REGION,
  SIMULATOR_HUAWEI,
  SIMULATOR_HUAWEI_PROJECT_ID,
  SIMULATOR_HUAWEI_REGION,
} from '../simulator/credentials.js';
import { startSimulator, type Simulator } from '../simulator/index.js';

export interface ProviderLayer {
  registry: ProviderRegistry;
  simulator: Simulator | null;
  /** Region and project a ref that names none gets, and the allow-list. */
  refDefaults: RefDefaults;
  /** Which providers have credentials (readiness). */
  configured(): Record<ProviderName, boolean>;
  close(): Promise<void>;
}

export interface ProviderLayerOptions {
  logger: Logger;
  metrics: Metrics;
  /** Use this simulator instead of starting one (tests script its fakes and clock). */
  simulator?: Simulator | undefined;
  /** Signing clock. */
  now?: (() => Date) | undefined;
}

export async function buildProviders(config: Readonly<Config>, o: ProviderLayerOptions): Promise<ProviderLayer> {
  const simulated = config.mode === 'simulator';
  const ownsSimulator = simulated && !o.simulator;
  const simulator = simulated ? (o.simulator ?? (await startSimulator({ stepMs: config.simulatorStepMs }))) : null;
  const transport = new HttpTransport({ ...config.http, deadlineMs: config.providerDeadlineMs });
  const clients = createClients({
    transport,
    alibaba: simulated ? SIMULATOR_ALIBABA : config.alibaba.credentials,
    huawei: simulated ? SIMULATOR_HUAWEI : config.huawei.auth,
    endpoints: simulator ? simulator.endpoints : config.endpoints,
    workspaceApi: config.workspaceApi,
    ...(o.now ? { now: o.now } : {}),
    resilience: { ...config.resilience, onEvent: (e) => reportResilience(e, o) },
  });
  const registry = new ProviderRegistry({
    clients,
    concurrency: config.providerConcurrency,
    queueLimit: config.providerQueueLimit,
    onCall: (e) => {
      o.metrics.providerCallSeconds.observe({ provider: e.key.provider, outcome: e.outcome }, e.durationMs / 1000);
      const line = {
        requestId: currentScope()?.requestId,
        provider: e.key.provider,
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
  return {
    registry,
    simulator,
    refDefaults: {
      allow: config.allow,
      alibabaRegion: config.alibaba.region ?? (simulated ? SIMULATOR_ALIBABA_REGION : null),
      huaweiRegion: config.huawei.region ?? (simulated ? SIMULATOR_HUAWEI_REGION : null),
      huaweiProjectId: config.huawei.projectId ?? (simulated ? SIMULATOR_HUAWEI_PROJECT_ID : null),
    },
    configured: () =>
      Object.fromEntries(PROVIDERS.map((p) => [p, registry.isConfigured(p)])) as Record<ProviderName, boolean>,
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
