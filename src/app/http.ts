/**
 * GraphQL over HTTP and the operational routes on a plain `node:http` handler: `/healthz`,
 * `/readyz`, `/metrics`, the GraphiQL page and assets, and Apollo Server on `/graphql` behind the
 * router secret and a body limit. Express was most of the per-request cost of a `job` query (its
 * router, body parser, response helpers and the ETag hash of every answer); the hot path now reads
 * the body, calls `executeHTTPGraphQLRequest` and writes Apollo's string as it is. Express is kept
 * only behind the GraphiQL routes, which browsers hit rarely and which use its static-file serving.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';
import type { CallbackTransport } from '../callback/transport.js';
import { isCallbackRequest } from '../callback/request.js';
import type { Config } from '../config.js';
import type { CredentialHealth } from '../credentials/refreshing.js';
import { ERRORS, requestErrorBody, type HttpErrorCode } from '../errors.js';
import { createContext, type RequestContext, type Services } from '../context.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { operationLog } from '../observability/operation-log.js';
import { requestScopeFrom } from '../observability/request-context.js';
import { traceHttpRequest } from '../observability/tracing.js';
import { formatError } from '../schema/format-error.js';
import { ROUTER_SECRET_HEADER, secretMatches } from '../security/router-secret.js';
import { createGraphiqlRouter, GRAPHIQL_ASSETS_PATH } from '../ui/graphiql.js';
import type { GraphqlSetup } from './graphql.js';
import { readJsonBody } from './http/body.js';

/** What `/readyz` reports. */
export interface Readiness {
  draining: boolean;
  providers: Record<string, boolean>;
  /** undefined without Redis. */
  redis: boolean | undefined;
  /** Each account's credential state by `cloud/name` (codes and messages, never a secret). */
  accounts: Record<string, CredentialHealth>;
}

export interface HttpOptions {
  graphql: GraphqlSetup;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  readiness: () => Readiness;
  /** Sampled into `jobs_pollers_active` on each scrape. */
  activePollers: () => number;
  /** Subscriptions over HTTP callbacks: POSTs whose body has `extensions.subscription`. */
  callbacks?: Pick<CallbackTransport, 'handle'>;
}

export interface HttpSide {
  httpServer: http.Server;
  /** Stops Apollo (after in-flight requests). */
  stop(): Promise<void>;
}

type Next = (err?: unknown) => void;

/** Where GraphQL is served (over HTTP and WebSocket); the GraphiQL page shares it. */
const GRAPHQL_PATH = '/graphql';
const JSON_TYPE = 'application/json; charset=utf-8';
const HEALTHY = JSON.stringify({ status: 'ok' });

export async function buildHttp(config: Readonly<Config>, o: HttpOptions): Promise<HttpSide> {
  const httpServer = http.createServer();
  const apollo = new ApolloServer<RequestContext>({
    schema: o.graphql.schema,
    // Apollo's start-up chatter ("Enabling inline tracing…") is debug for us: the first info line
    // must say which mode the server runs in.
    logger: {
      debug: (m) => o.logger.debug(m),
      info: (m) => o.logger.debug(m),
      warn: (m) => o.logger.warn(m),
      error: (m) => o.logger.error(m),
    },
    formatError,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: config.limits.maxTokens },
    // main.ts owns SIGTERM/SIGINT; Apollo's own handler would close the listener at once (no drain
    // delay) and re-raise the signal, killing the process before our shutdown finishes.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    // Apollo's default, spelled out: a request without a JSON content type or a preflight header
    // (a browser form or a simple GET) is refused before it runs.
    csrfPrevention: true,
    validationRules: o.graphql.validationRules,
    plugins: [
      ...o.graphql.plugins,
      // In-flight requests finish on stop(); idle keep-alive connections are closed.
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      operationLog(o.logger),
    ],
  });
  await apollo.start();

  const maxBodyBytes = config.limits.maxBodyBytes;
  const routerSecret = config.routerSecret;
  const graphiql = config.graphiql ? graphiqlApp() : null;

  function readyz(res: http.ServerResponse): void {
    const { draining, providers, redis, accounts } = o.readiness();
    // One account without credentials fails only its own refs: the replica stays in rotation, and
    // the body names the account (every replica would be in the same state anyway).
    const anyProvider = Object.values(providers).some(Boolean) || Object.keys(accounts).length > 0;
    const ready = !draining && anyProvider && redis !== false;
    const status = draining
      ? 'draining'
      : !anyProvider
        ? 'no provider configured'
        : redis === false
          ? 'redis unreachable'
          : 'ready';
    const unavailable = Object.entries(accounts)
      .filter(([, h]) => !h.ok)
      .map(([name]) => name);
    sendJson(res, ready ? 200 : 503, {
      status,
      mode: config.mode,
      providers,
      accounts: Object.fromEntries(
        Object.entries(accounts).map(([name, h]) => [
          name,
          {
            status: h.ok ? 'ok' : 'unavailable',
            ...(h.error ? { error: h.error } : {}),
            ...(h.expiresAt ? { credentialExpiresAt: new Date(h.expiresAt).toISOString() } : {}),
          },
        ]),
      ),
      ...(unavailable.length ? { accountsUnavailable: unavailable } : {}),
      ...(redis === undefined ? {} : { redis: redis ? 'up' : 'down' }),
    });
  }

  async function metrics(res: http.ServerResponse): Promise<void> {
    o.metrics.pollersActive.set(o.activePollers());
    for (const [account, health] of Object.entries(o.readiness().accounts)) {
      o.metrics.accountCredentialsUp.set({ account }, health.ok ? 1 : 0);
    }
    const text = await o.metrics.registry.metrics();
    res.statusCode = 200;
    res.setHeader('content-type', o.metrics.registry.contentType);
    res.end(text);
  }

  async function graphqlRequest(req: http.IncomingMessage, res: http.ServerResponse, search: string): Promise<void> {
    if (routerSecret !== null) {
      const presented = req.headers[ROUTER_SECRET_HEADER];
      if (presented === undefined) return sendError(res, 'UNAUTHENTICATED', 'missing router secret');
      if (!secretMatches(routerSecret, Array.isArray(presented) ? presented[0] : presented)) {
        return sendError(res, 'FORBIDDEN', 'wrong router secret');
      }
    }
    const read = readJsonBody(req, maxBodyBytes);
    const parsed = read instanceof Promise ? await read : read;
    if (!parsed.ok) return sendJson(res, parsed.status, requestErrorBody(parsed.code, parsed.message));
    // A router in callback mode subscribing (src/callback); everything else is Apollo's.
    if (o.callbacks && req.method === 'POST' && isCallbackRequest(parsed.body)) {
      return o.callbacks.handle(parsed.body, res);
    }

    // Node has already lower-cased the names and joined repeated headers (set-cookie aside).
    const headers = new HeaderMap();
    const incoming = req.headers;
    for (const key in incoming) {
      const value = incoming[key];
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      headers,
      search,
      body: parsed.body,
    };
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: contextFor(o.services, res),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    // Apollo's serialised answer goes out as is: no re-encoding, no ETag hash of the body.
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  // Everything after the operational routes: the request scope, tracing, GraphiQL and GraphQL.
  // (Plain functions, not per-request closures bound to names: under tsx each of those costs a
  // defineProperty per request for esbuild's keepNames.)
  function scoped(req: http.IncomingMessage, res: http.ServerResponse, path: string, url: string, query: number) {
    const isGraphql = path === GRAPHQL_PATH || path.startsWith(`${GRAPHQL_PATH}/`);
    if (graphiql && (isAssetPath(path) || (isGraphql && mayWantPage(req)))) {
      graphiql(req, res, (err?: unknown) => {
        if (err) failed(res, err);
        else toGraphql(req, res, isGraphql, url, query);
      });
      return;
    }
    toGraphql(req, res, isGraphql, url, query);
  }

  function toGraphql(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    isGraphql: boolean,
    url: string,
    query: number,
  ) {
    if (!isGraphql) return notFound(res);
    graphqlRequest(req, res, query === -1 ? '' : url.slice(query)).catch((err: unknown) => failed(res, err));
  }

  function failed(res: http.ServerResponse, err: unknown): void {
    o.logger.error({ err }, 'HTTP request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end('Internal Server Error\n');
  }

  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    let path = query === -1 ? url : url.slice(0, query);
    // One trailing slash is the same route, as it was under Express's default (non-strict) routing.
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (req.method === 'GET' || req.method === 'HEAD') {
      // Probes and scrapes stay outside the request scope: they are not traced and carry no id.
      if (path === '/healthz') return sendRaw(res, 200, JSON_TYPE, HEALTHY);
      if (path === '/readyz') return readyz(res);
      if (path === '/metrics') return void metrics(res).catch((err: unknown) => failed(res, err));
    }
    // Every other request gets an id (the router's traceparent when present); contextFor reads it
    // back from the response header for the request's log lines.
    res.setHeader('x-request-id', requestScopeFrom(req.headers).requestId);
    traceHttpRequest(req, res, () => scoped(req, res, path, url, query));
  });

  return { httpServer, stop: () => apollo.stop() };
}

/**
 * GraphiQL's page and assets through the Express router in src/ui/graphiql.ts (content negotiation,
 * static files with ranges, ETags and gzip). Whatever it does not answer comes back through `next`.
 */
function graphiqlApp(): (req: http.IncomingMessage, res: http.ServerResponse, next: Next) => void {
  const app = express();
  app.disable('x-powered-by');
  app.use(createGraphiqlRouter({ enabled: true }));
  return (req, res, next) => app(req as express.Request, res as express.Response, next);
}

function isAssetPath(path: string): boolean {
  return path === GRAPHIQL_ASSETS_PATH || path.startsWith(`${GRAPHIQL_ASSETS_PATH}/`);
}

/**
 * A cheap superset of "a browser asking for the page": only a GET that accepts some text/* type can
 * negotiate to HTML, so GraphQL clients never pay for Express's negotiation.
 */
function mayWantPage(req: http.IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const accept = req.headers.accept;
  return accept !== undefined && /text\//i.test(accept);
}

function sendRaw(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, JSON_TYPE, JSON.stringify(body));
}

function sendError(res: http.ServerResponse, code: HttpErrorCode, message: string): void {
  sendJson(res, ERRORS[code].httpStatus ?? 400, requestErrorBody(code, message));
}

function notFound(res: http.ServerResponse): void {
  res.setHeader('x-content-type-options', 'nosniff');
  sendRaw(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
}

/** Apollo calls this once it is about to execute; requests it refuses earlier never pay for it. */
function contextFor(services: Services, res: http.ServerResponse): () => Promise<RequestContext> {
  return () =>
    Promise.resolve(
      createContext(services, {
        requestId: res.getHeader('x-request-id') as string,
        signal: () => abortWhenClientLeaves(res),
      }),
    );
}

/**
 * Cancels provider calls of a request whose client went away before the answer was sent. Made on
 * the request's first provider call (answers from caches never need one).
 */
function abortWhenClientLeaves(res: http.ServerResponse): AbortSignal {
  const controller = new AbortController();
  // Every provider call of the request listens on this signal (up to maxRefs × attempts).
  setMaxListeners(0, controller.signal);
  // On the response, not the socket: keep-alive sockets serve many requests, and a listener per
  // request on the socket would pile up.
  if (res.destroyed && !res.writableFinished) controller.abort();
  else
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
  return controller.signal;
}
