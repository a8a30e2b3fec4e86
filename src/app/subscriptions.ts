/**
 * The subscription engine (document cache, shared executions) both subscription transports use,
 * and the HTTP-callback transport on top of it; graphql-ws is started in websocket.ts with the
 * same engine.
 */
import { createCallbackTransport, type CallbackTransport } from '../callback/transport.js';
import type { Config } from '../config.js';
import type { Services } from '../context.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createSubscriptionEngine, type SubscriptionEngine } from '../subscriptions/engine.js';
import type { GraphqlSetup } from './graphql.js';

export interface SubscriptionsOptions {
  graphql: GraphqlSetup;
  services: Services;
  logger: Logger;
  metrics: Metrics;
}

export interface SubscriptionsSide {
  engine: SubscriptionEngine;
  callbacks: CallbackTransport;
}

export function buildSubscriptions(config: Readonly<Config>, o: SubscriptionsOptions): SubscriptionsSide {
  const engine = createSubscriptionEngine({
    schema: o.graphql.schema,
    services: o.services,
    metrics: o.metrics,
    validationRules: o.graphql.validationRules,
    maxTokens: config.limits.maxTokens,
    documentCacheEntries: config.limits.documentCacheEntries,
    documentCacheMaxQueryLength: config.limits.documentCacheMaxQueryLength,
    production: config.production,
  });
  const callbacks = createCallbackTransport({
    settings: config.callback,
    engine,
    logger: o.logger,
    metrics: o.metrics,
  });
  return { engine, callbacks };
}
