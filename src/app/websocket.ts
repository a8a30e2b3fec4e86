/**
 * GraphQL over WebSocket on the HTTP server's `/graphql`, with the same limits and schema as HTTP,
 * on the subscription engine it shares with HTTP callbacks.
 */
import type http from 'node:http';
import type { Config } from '../config.js';
import type { Services } from '../context.js';
import type { Metrics } from '../observability/metrics.js';
import type { SubscriptionEngine } from '../subscriptions/engine.js';
import { createWebSocketTransport, type ConnectHook, type WebSocketTransport } from '../websocket/graphql-ws-server.js';
import type { GraphqlSetup } from './graphql.js';

export interface WebSocketSideOptions {
  httpServer: http.Server;
  graphql: GraphqlSetup;
  services: Services;
  metrics: Metrics;
  onConnect?: ConnectHook | undefined;
  /** Shared with the HTTP-callback transport (app/subscriptions.ts). */
  engine: SubscriptionEngine;
}

export function startWebSocket(config: Readonly<Config>, o: WebSocketSideOptions): WebSocketTransport {
  return createWebSocketTransport({
    httpServer: o.httpServer,
    services: o.services,
    metrics: o.metrics,
    production: config.production,
    keepAliveMs: config.wsKeepAliveMs,
    maxPayloadBytes: config.limits.wsMaxPayloadBytes,
    slowConsumerBytes: config.limits.wsSlowConsumerBytes,
    maxBufferedBytes: config.limits.wsMaxBufferedBytes,
    routerSecret: config.routerSecret,
    connectionsPerIp: config.limits.wsConnectionsPerIp,
    subscriptionsPerConnection: config.limits.wsSubscriptionsPerConnection,
    ...(o.onConnect ? { onConnect: o.onConnect } : {}),
    engine: o.engine,
  });
}
