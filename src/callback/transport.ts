/**
 * Subscriptions over Apollo's HTTP callback protocol (`callback/1.0`) on `POST /graphql`, run on
 * the same shared executions as graphql-ws. For one router request:
 *
 * 1. Everything that can be refused without sending anything is: a malformed
 *    `extensions.subscription`, a callback URL that is not http(s) or not on
 *    `JOBS_CALLBACK_ALLOWED_HOSTS` (SSRF), the cap, a document that does not parse or validate,
 *    an operation that is not a subscription. The answer is a 4xx with coded errors.
 * 2. A `check` goes to the callback URL; anything but 204 answers the request with 400
 *    CALLBACK_CHECK_FAILED, and nothing was subscribed.
 * 3. The subscription joins (or starts) its shared group; its snapshots queue up behind the check.
 * 4. The request is answered 200 `{"data":null}`; then the queue flows: snapshots, each
 *    transition once and in order, per-ref errors as `next` payloads with errors, heartbeats, and
 *    `complete` at the end. Argument errors (found when the stream starts) end it at once with a
 *    `complete` carrying them, as the protocol has an emitter report a failed subscription.
 */
import type { ServerResponse } from 'node:http';
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { CallbackSettings } from '../config.js';
import { ERRORS, requestErrorBody, type HttpErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { formatResult, type SubscriptionEngine } from '../subscriptions/engine.js';
import { CallbackEmitter } from './emitter.js';
import { CallbackRegistry } from './registry.js';
import { parseCallbackRequest } from './request.js';
import { CallbackSubscription } from './subscription.js';

export interface CallbackTransportOptions {
  settings: Readonly<CallbackSettings>;
  engine: SubscriptionEngine;
  logger: Logger;
  metrics: Metrics;
}

export interface CallbackTransport {
  /** Answers one callback-mode subscription request (the router secret is already checked). */
  handle(body: unknown, res: ServerResponse): Promise<void>;
  /** Live callback subscriptions (and requests in their initial check). */
  readonly active: number;
  /** Shutdown: `complete` to every live subscription, then closes the outbound connections. */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const ACCEPTED = JSON.stringify({ data: null });

export function createCallbackTransport(o: CallbackTransportOptions): CallbackTransport {
  const { settings, engine, logger, metrics } = o;
  const registry = new CallbackRegistry(settings.maxSubscriptions);
  const emitter = new CallbackEmitter({
    ...settings,
    onAttempt: (action, outcome) => metrics.callbackMessages.inc({ action, outcome }),
  });

  async function handle(body: unknown, res: ServerResponse): Promise<void> {
    const parsed = parseCallbackRequest(body, settings.allowedHosts);
    if (!parsed.ok) return refuse(res, parsed.code, parsed.message);
    const { query, operationName, variables, subscription: ext } = parsed.request;

    const cached = engine.documents.get(query);
    if (cached.errors) return answer(res, 400, { errors: engine.formatRequestErrors(cached.errors) });
    const operation = getOperationAST(cached.document, operationName);
    if (!operation) {
      return answer(res, 400, requestErrorBody('OPERATION_RESOLUTION_FAILURE', 'no operation to run'));
    }
    if (operation.operation !== 'subscription') {
      return refuse(res, 'BAD_REQUEST', 'extensions.subscription is for subscription operations only');
    }
    if (!registry.reserve()) {
      return registry.closed
        ? refuse(res, 'SHUTTING_DOWN', 'server shutting down')
        : refuse(res, 'TOO_MANY_SUBSCRIPTIONS', `at most ${settings.maxSubscriptions} callback subscriptions`);
    }

    const sub = new CallbackSubscription(ext, emitter, settings.maxQueuedBytes);
    const host = ext.callbackUrl.host;
    const log = { subscriptionId: ext.subscriptionId, callbackHost: host };
    let started = false;
    try {
      const check = await emitter.send(ext.callbackUrl, 'check', sub.message('check').body, (s) => s === 204);
      if (check.outcome !== 'ok') {
        logger.info(
          { ...log, status: check.status, outcome: check.outcome },
          'callback subscription refused: check not answered 204',
        );
        return refuse(res, 'CALLBACK_CHECK_FAILED', `the callback check was answered ${check.status ?? check.outcome}`);
      }
      const args: ExecutionArgs = {
        schema: engine.schema,
        document: cached.document,
        operationName,
        variableValues: variables,
      };
      const result = await engine.shared.subscribe(args, sub, ext.subscriptionId);
      registry.add(sub);
      started = true;
      logger.info({ ...log, heartbeatIntervalMs: ext.heartbeatIntervalMs }, 'callback subscription started');
      void sub.finished.then((reason) => logger.info({ ...log, reason }, 'callback subscription ended'));
      if (isResult(result)) sub.complete('failed', errorsOf(result));
      else sub.follow(result, (err) => logger.error({ ...log, err }, 'callback subscription stream failed'));
    } finally {
      if (!started) registry.release();
    }
    // Messages flow once the router has its answer: it must know the subscription first.
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      answer(res, 200, ACCEPTED);
    });
    if (res.writableFinished) sub.start();
    else sub.abandon('router_left');
  }

  return {
    handle,
    get active() {
      return registry.size;
    },
    async close() {
      await registry.completeAll(settings.timeoutMs);
      await emitter.close();
    },
  };
}

function isResult(value: AsyncIterableIterator<never> | ExecutionResult): value is ExecutionResult {
  return !(Symbol.asyncIterator in value);
}

function errorsOf(result: ExecutionResult): GraphQLFormattedError[] {
  const formatted = formatResult(result) as { errors?: GraphQLFormattedError[] };
  return formatted.errors ?? [];
}

function refuse(res: ServerResponse, code: HttpErrorCode, message: string): void {
  answer(res, ERRORS[code].httpStatus ?? 400, requestErrorBody(code, message));
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', JSON_TYPE);
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
