/**
 * GraphQL over WebSocket (graphql-ws, `graphql-transport-ws`) on the HTTP server's `/graphql`.
 * Guards: connections per client IP (HTTP 429 before the upgrade), the router secret in
 * `connection_init` (close 4403), subscriptions per connection, and the same validation rules
 * (depth, aliases, cost) and error contract as HTTP. Keep-alive pings close dead sockets, which
 * ends their subscriptions and releases their pollers.
 */
import type http from 'node:http';
import { GraphQLError, specifiedRules, validate, type GraphQLSchema, type ValidationRule } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createContext, type Services } from '../context.js';
import type { Metrics } from '../observability/metrics.js';
import { formatError } from '../schema/format-error.js';
import { ROUTER_SECRET_HEADER, ROUTER_SECRET_PARAM, secretMatches } from '../security/router-secret.js';

/** Decides whether a connection may proceed; return false to close it with 4403 Forbidden. */
export type ConnectHook = (params: Record<string, unknown> | undefined, request: http.IncomingMessage) => boolean | Promise<boolean>;

export interface WebSocketOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  services: Services;
  metrics: Metrics;
  validationRules: readonly ValidationRule[];
  keepAliveMs: number;
  routerSecret: string | null;
  connectionsPerIp: number;
  subscriptionsPerConnection: number;
  /** Extra authentication after the router secret (the place for per-user auth). */
  onConnect?: ConnectHook;
}

export interface WebSocketTransport {
  server: WebSocketServer;
  /** Closes every socket with `code` and stops accepting new ones. */
  close(code: number, reason: string): Promise<void>;
}

export function createWebSocketTransport(o: WebSocketOptions): WebSocketTransport {
  const perIp = new Map<string, number>();
  const wss = new WebSocketServer({
    server: o.httpServer,
    path: '/graphql',
    maxPayload: 256 * 1024,
    verifyClient: (info, done) => {
      const ip = info.req.socket.remoteAddress ?? 'unknown';
      if ((perIp.get(ip) ?? 0) >= o.connectionsPerIp) done(false, 429, 'Too many WebSocket connections from this address');
      else done(true);
    },
  });
  wss.on('connection', (socket, req) => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    o.metrics.wsConnectionsActive.inc();
    socket.once('close', () => {
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
      o.metrics.wsConnectionsActive.dec();
    });
  });

  const rules = [...specifiedRules, ...o.validationRules];
  const disposable = useServer(
    {
      schema: o.schema,
      context: () => createContext(o.services),
      validate: (schema, document) => validate(schema, document, rules),
      onConnect: async (ctx) => {
        if (o.routerSecret !== null) {
          const fromInit = ctx.connectionParams?.[ROUTER_SECRET_PARAM];
          const fromUpgrade = ctx.extra.request.headers[ROUTER_SECRET_HEADER];
          if (!secretMatches(o.routerSecret, fromInit ?? fromUpgrade)) return false;
        }
        return o.onConnect ? o.onConnect(ctx.connectionParams, ctx.extra.request) : true;
      },
      onSubscribe: (ctx) => {
        // graphql-ws reserves the new id in ctx.subscriptions before calling onSubscribe.
        if (Object.keys(ctx.subscriptions).length > o.subscriptionsPerConnection) {
          return [
            new GraphQLError(`at most ${o.subscriptionsPerConnection} subscriptions per connection`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ];
        }
        return undefined;
      },
      // Same error contract as HTTP: coded extensions, no stack traces, internals masked.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)) as unknown as readonly GraphQLError[],
    },
    wss,
    o.keepAliveMs,
  );

  return {
    server: wss,
    async close(code, reason) {
      for (const client of wss.clients) client.close(code, reason);
      await disposable.dispose();
    },
  };
}

export { CloseCode };
