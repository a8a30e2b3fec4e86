/**
 * Prometheus metrics (prom-client). One registry per server instance, so several servers in one
 * process (tests, benchmarks) never collide on metric names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  providerCallSeconds: Histogram<'provider' | 'outcome'>;
  providerRetries: Counter<'provider'>;
  providerThrottled: Counter<'provider'>;
  providerRateLimitRejections: Counter<'provider'>;
  breakerState: Gauge<'provider' | 'region'>;
  subscriptionsActive: Gauge<'transport'>;
  callbackMessages: Counter<'action' | 'outcome'>;
  wsConnectionsActive: Gauge;
  pollersActive: Gauge;
  transitions: Counter<'provider' | 'state'>;
  credentialRenewals: Counter<'account' | 'outcome'>;
  quotaDailyUsed: Gauge<'provider' | 'account' | 'region'>;
  quotaDailyBudget: Gauge<'provider' | 'account' | 'region'>;
  accountCredentialsUp: Gauge<'account'>;
  redisUp: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    providerCallSeconds: new Histogram({
      name: 'jobs_provider_call_duration_seconds',
      help: 'Provider API call latency (one attempt chain as seen by the registry), by outcome code',
      labelNames: ['provider', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    providerRetries: new Counter({
      name: 'jobs_provider_retries_total',
      help: 'Provider call retries',
      labelNames: ['provider'],
      registers,
    }),
    providerThrottled: new Counter({
      name: 'jobs_provider_throttled_total',
      help: 'Provider answers that said we were throttled (429, Throttling.*, APIGW.0308), one per answer, also when a retry then succeeded',
      labelNames: ['provider'],
      registers,
    }),
    providerRateLimitRejections: new Counter({
      name: 'jobs_provider_rate_limit_rejections_total',
      help: "Provider calls refused by this server's own rate limit (JOBS_RATE_LIMIT_*) without sending a request",
      labelNames: ['provider'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'jobs_provider_breaker_state',
      help: 'Circuit breaker per provider and region: 0 closed, 1 half-open, 2 open',
      labelNames: ['provider', 'region'],
      registers,
    }),
    subscriptionsActive: withZeros(
      new Gauge({
        name: 'jobs_subscriptions_active',
        help: 'Active jobStatusChanged subscriptions, by transport (graphql-ws, callback)',
        labelNames: ['transport'],
        registers,
      }),
    ),
    callbackMessages: new Counter({
      name: 'jobs_callback_messages_total',
      help: 'HTTP-callback subscription messages sent (each attempt), by action (check, next, complete) and outcome (ok, not_found, rejected, server_error, network_error)',
      labelNames: ['action', 'outcome'],
      registers,
    }),
    wsConnectionsActive: new Gauge({
      name: 'jobs_ws_connections_active',
      help: 'Open graphql-ws connections',
      registers,
    }),
    pollersActive: new Gauge({ name: 'jobs_pollers_active', help: 'Jobs being polled by this process', registers }),
    transitions: new Counter({
      name: 'jobs_transitions_total',
      help: 'Job status events emitted by the poll engine (snapshots and changes), by new state',
      labelNames: ['provider', 'state'],
      registers,
    }),
    credentialRenewals: new Counter({
      name: 'jobs_credential_renewals_total',
      help: 'Temporary credentials obtained or renewed (STS, IAM, metadata), by account (cloud/name) and outcome (ok or the error code)',
      labelNames: ['account', 'outcome'],
      registers,
    }),
    quotaDailyUsed: new Gauge({
      name: 'jobs_quota_daily_used',
      help: "Calls counted against today's daily budget, by provider, account and region (cluster-wide with Redis)",
      labelNames: ['provider', 'account', 'region'],
      registers,
    }),
    quotaDailyBudget: new Gauge({
      name: 'jobs_quota_daily_budget',
      help: 'The daily budget of calls, by provider, account and region',
      labelNames: ['provider', 'account', 'region'],
      registers,
    }),
    accountCredentialsUp: new Gauge({
      name: 'jobs_account_credentials_up',
      help: '1 while an account (cloud/name) has a usable credential or its last attempt to get one succeeded, else 0',
      labelNames: ['account'],
      registers,
    }),
    redisUp: new Gauge({
      name: 'jobs_redis_up',
      help: '1 when the Redis connections are ready, 0 when not, absent without Redis',
      registers,
    }),
  };
}

/** Both transports show from the start, at 0, so a dashboard never sees the series appear. */
function withZeros(gauge: Gauge<'transport'>): Gauge<'transport'> {
  for (const transport of ['graphql-ws', 'callback']) gauge.set({ transport }, 0);
  return gauge;
}
