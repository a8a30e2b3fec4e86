/**
 * GraphQL over WebSocket (graphql-ws, `graphql-transport-ws`) on the HTTP server's `/graphql`.
 * Guards: connections per client IP (HTTP 429 before the upgrade), the router secret in
 * `connection_init` (close 4403), subscriptions per connection, and the same validation rules
 * (depth, aliases, cost) and error contract as HTTP. Keep-alive pings close dead sockets, which
 * ends their subscriptions and releases their pollers.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { getOperationAST, GraphQLError, subscribe, type ExecutionArgs } from 'graphql';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { createContext, type Services } from '../context.js';
import type { Metrics } from '../observability/metrics.js';
import { ROUTER_SECRET_HEADER, ROUTER_SECRET_PARAM, secretMatches } from '../security/router-secret.js';
import { formatResult, type Subscriber, type SubscriptionEngine } from '../subscriptions/engine.js';
import { SlowConsumerBacklog } from './backlog.js';

/** Close code for "try again later": reconnecting resubscribes with fresh snapshots. */
const CLOSE_TRY_AGAIN_LATER = 1013;

/** Decides whether a connection may proceed; return false to close it with 4403 Forbidden. */
export type ConnectHook = (
  params: Record<string, unknown> | undefined,
  request: http.IncomingMessage,
) => boolean | Promise<boolean>;

export interface WebSocketOptions {
  httpServer: http.Server;
  services: Services;
  metrics: Metrics;
  /**
   * The schema, document cache (parse and validate once per text, with the limits) and shared
   * executions, shared with the HTTP-callback transport (src/subscriptions/engine.ts).
   */
  engine: SubscriptionEngine;
  /**
   * Production: drop graphql-js's "Did you mean …" hints (they reveal the schema) and internal
   * error text from close reasons.
   */
  production?: boolean;
  keepAliveMs: number;
  /** Largest message a client may send. */
  maxPayloadBytes: number;
  /**
   * Above this many bytes queued on a socket, events wait in the connection's backlog, coalesced
   * to the latest per subscription and job (see backlog.ts), instead of the socket's buffer.
   */
  slowConsumerBytes: number;
  /**
   * Last resort: a connection with this much queued even so (snapshots and errors are never
   * coalesced) is closed with 1013.
   */
  maxBufferedBytes: number;
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
    maxPayload: o.maxPayloadBytes,
    handleProtocols,
    verifyClient: (info, done) => {
      const ip = info.req.socket.remoteAddress ?? 'unknown';
      if ((perIp.get(ip) ?? 0) >= o.connectionsPerIp)
        done(false, 429, 'Too many WebSocket connections from this address');
      else done(true);
    },
  });
  // The HTTP server's own errors (EADDRINUSE, …) are re-emitted here; listen() reports them.
  wss.on('error', () => undefined);
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
    serve(socket, req);
  });

  // One parse and validation per distinct query text; one execution per event per distinct
  // operation, whichever transport its subscribers came over.
  const { documents, shared, schema } = o.engine;
  // Who asked for a subscription, from onSubscribe to subscribe (graphql-ws passes only the args).
  const subscribers = new WeakMap<ExecutionArgs, { connection: Connection; id: string }>();
  const graphqlWs = makeServer<Record<string, unknown> | undefined, Connection>({
    schema,
    subscribe: (args) => {
      const who = subscribers.get(args);
      return who ? shared.subscribe(args, who.connection, who.id) : subscribe(args);
    },
    onConnect: async (ctx) => {
      if (o.routerSecret !== null) {
        const fromInit = ctx.connectionParams?.[ROUTER_SECRET_PARAM];
        const fromUpgrade = ctx.extra.request.headers[ROUTER_SECRET_HEADER];
        if (!secretMatches(o.routerSecret, fromInit ?? fromUpgrade)) return false;
      }
      return o.onConnect ? o.onConnect(ctx.connectionParams, ctx.extra.request) : true;
    },
    onSubscribe: (ctx, id, payload) => {
      // graphql-ws reserves the new id in ctx.subscriptions before calling onSubscribe.
      if (Object.keys(ctx.subscriptions).length > o.subscriptionsPerConnection) {
        return [
          new GraphQLError(`at most ${o.subscriptionsPerConnection} subscriptions per connection`, {
            extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' satisfies import('../errors.js').ClientErrorCode },
          }),
        ];
      }
      const cached = documents.get(payload.query);
      if (cached.errors) return [...cached.errors];
      const isSubscription = getOperationAST(cached.document, payload.operationName)?.operation === 'subscription';
      const args: ExecutionArgs = {
        schema,
        document: cached.document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        // A subscription runs with its shared group's context; a query or mutation with its own.
        contextValue: isSubscription ? undefined : createContext(o.services),
      };
      if (isSubscription) subscribers.set(args, { connection: ctx.extra, id });
      return args;
    },
    // Same error contract as HTTP: coded extensions, no stack traces, internals masked.
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? formatResult(result) : undefined),
    onError: (_ctx, _id, _payload, errors) =>
      o.engine.formatRequestErrors(errors) as unknown as readonly GraphQLError[],
  });

  /**
   * Hands one socket to graphql-ws (instead of graphql-ws's own `useServer`, whose `send` writes to
   * the socket directly): every frame goes through the connection's writer, the same one shared
   * subscriptions write their `next` frames to, so frames leave in the order they were sent.
   */
  function serve(socket: WebSocket, request: http.IncomingMessage): void {
    const connection: Connection = {
      transport: 'graphql-ws',
      socket,
      request,
      writer: writerFor(socket, request, o.slowConsumerBytes),
      deliver: (id, payload, slot) => sendNext(connection, id, payload, slot, o.maxBufferedBytes),
    };
    const closed = graphqlWs.opened(
      {
        protocol: socket.protocol,
        send: (data) => connection.writer.send(data),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((err: unknown) => {
              // graphql-ws rejects a protocol violation (a message only servers send, say); our
              // hooks' own failures are masked in production.
              const reason = o.production ? 'Internal server error' : closeReason(err);
              socket.close(CloseCode.InternalServerError, reason);
            });
          }),
      },
      connection,
    );
    // An invalid frame or an oversized message: ws has already failed the connection.
    socket.once('error', () => socket.close(1011));
    const stopPings = keepAlive(socket, o.keepAliveMs);
    socket.once('close', (code, reason) => {
      stopPings();
      void closed(code, String(reason));
    });
  }

  return {
    server: wss,
    async close(code, reason) {
      for (const client of wss.clients) client.close(code, reason);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * Pings every `intervalMs`; a client that has not answered the previous ping by the next one is
 * dead (a laptop that went to sleep, a dropped route) and is terminated, which ends its
 * subscriptions and releases their pollers within two intervals.
 */
function keepAlive(socket: WebSocket, intervalMs: number): () => void {
  if (!(intervalMs > 0 && Number.isFinite(intervalMs))) return () => undefined;
  let awaitingPong = false;
  socket.on('pong', () => (awaitingPong = false));
  const timer = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    if (awaitingPong) {
      socket.terminate();
      return;
    }
    awaitingPong = true;
    socket.ping();
  }, intervalMs);
  return () => clearInterval(timer);
}

/** A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5). */
function closeReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return Buffer.byteLength(text) <= 123 ? text : 'Internal server error';
}

/** graphql-ws's per-connection `extra`: one object per connection, and its shared-execution channel. */
interface Connection extends Subscriber {
  readonly transport: 'graphql-ws';
  socket: WebSocket;
  request: http.IncomingMessage;
  /** The only thing that writes to the socket. */
  writer: SlowConsumerBacklog;
}

/** A graphql-ws `next` message with an already serialized payload, shared by every identical subscriber. */
function sendNext(
  connection: Connection,
  id: string,
  payload: Buffer,
  slot: string | undefined,
  maxBufferedBytes: number,
): void {
  const { socket } = connection;
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > maxBufferedBytes) {
    socket.close(CLOSE_TRY_AGAIN_LATER, 'subscriber too slow');
    return;
  }
  // Only the envelope is encoded per subscriber; the payload bytes are the group's.
  const message = Buffer.concat([
    Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`),
    payload,
    CLOSE_BRACE,
  ]);
  connection.writer.send(message, slot);
}

function writerFor(socket: WebSocket, request: http.IncomingMessage, slowConsumerBytes: number): SlowConsumerBacklog {
  const raw = request.socket;
  const writer = new SlowConsumerBacklog(
    {
      buffered: () => socket.bufferedAmount,
      write: (message) => {
        if (socket.readyState !== socket.OPEN) return;
        corkUntilTickEnd(raw);
        socket.send(message, TEXT);
      },
    },
    slowConsumerBytes,
  );
  raw.on('drain', () => writer.flush());
  return writer;
}

const CLOSE_BRACE = Buffer.from('}');
/** Buffers are sent as text frames (graphql-ws messages are text). */
const TEXT = { binary: false } as const;

const corked = new Set<Duplex>();

/**
 * One event goes to every identical subscriber in one synchronous loop, and a connection (a router
 * multiplexing its clients, say) often carries many of them. Holding the TCP socket's writes until
 * the loop is done turns those messages into one write system call instead of one each.
 */
function corkUntilTickEnd(raw: Duplex): void {
  if (corked.has(raw)) return;
  raw.cork();
  corked.add(raw);
  if (corked.size === 1) {
    process.nextTick(() => {
      for (const s of corked) s.uncork();
      corked.clear();
    });
  }
}

export { CloseCode };
