/**
 * GraphQL over HTTP and the operational routes: Express with `/healthz`, `/readyz`, `/metrics`, the
 * GraphiQL page, and Apollo Server on `/graphql` behind the router secret and a body limit.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Config } from '../config.js';
import type { CredentialHealth } from '../credentials/refreshing.js';
import { requestErrorBody } from '../errors.js';
import { createContext, type RequestContext, type Services } from '../context.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { operationLog } from '../observability/operation-log.js';
import { requestScopeFrom, runInScope } from '../observability/request-context.js';
import { traceHttpRequest } from '../observability/tracing.js';
import { formatError } from '../schema/format-error.js';
import { requireRouterSecret } from '../security/router-secret.js';
import { createGraphiqlRouter } from '../ui/graphiql.js';
import type { GraphqlSetup } from './graphql.js';

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
}

export interface HttpSide {
  httpServer: http.Server;
  /** Stops Apollo (after in-flight requests). */
  stop(): Promise<void>;
}

export async function buildHttp(config: Readonly<Config>, o: HttpOptions): Promise<HttpSide> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
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
    validationRules: o.graphql.validationRules,
    plugins: [
      ...o.graphql.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      operationLog(o.logger),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
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
    res.status(ready ? 200 : 503).json({
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
  });
  app.get('/metrics', async (_req, res) => {
    o.metrics.pollersActive.set(o.activePollers());
    for (const [account, health] of Object.entries(o.readiness().accounts)) {
      o.metrics.accountCredentialsUp.set({ account }, health.ok ? 1 : 0);
    }
    res.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
  });
  // Every request runs in a scope carrying its id (the router's traceparent when present).
  app.use((req, res, next) => {
    const scope = requestScopeFrom(req.headers);
    res.setHeader('x-request-id', scope.requestId);
    runInScope(scope, () => traceHttpRequest(req, res, next));
  });
  // GraphiQL for browsers (static page and assets, no data): before the secret check and Apollo.
  app.use(createGraphiqlRouter({ enabled: config.graphiql }));
  if (config.routerSecret !== null) app.use('/graphql', requireRouterSecret(config.routerSecret));
  app.use(
    '/graphql',
    express.json({ limit: config.limits.maxBodyBytes }),
    expressMiddleware(apollo, { context: async ({ res }) => createContext(o.services, abortWhenClientLeaves(res)) }),
  );
  // Malformed JSON or an oversized body: a coded GraphQL-shaped error, not Express's HTML page.
  // body-parser's own status is kept: it tells 400 (unreadable) from 415 (unsupported charset).
  app.use(
    (
      err: { status?: number; type?: string },
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      if (!err || typeof err.status !== 'number' || err.status >= 500) return next(err);
      const body =
        err.type === 'entity.too.large'
          ? requestErrorBody('PAYLOAD_TOO_LARGE', 'request body too large')
          : requestErrorBody('BAD_REQUEST', 'malformed request body');
      res.status(err.status).json(body);
    },
  );
  return { httpServer, stop: () => apollo.stop() };
}

/** Cancels provider calls of a request whose client went away before the answer was sent. */
function abortWhenClientLeaves(res: http.ServerResponse): AbortSignal {
  const controller = new AbortController();
  // Every provider call of the request listens on this signal (up to maxRefs × attempts).
  setMaxListeners(0, controller.signal);
  // On the response, not the socket: keep-alive sockets serve many requests, and a listener per
  // request on the socket would pile up.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
