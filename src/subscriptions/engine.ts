/**
 * The subscription engine both transports share: one document cache (parse and validate once per
 * text) and one set of shared executions, so a graphql-ws subscriber and an HTTP-callback
 * subscriber of the same operation join the same group and get the same serialized events. Also
 * the error contract of subscription messages, so both transports format alike.
 */
import { specifiedRules, type ExecutionResult, type GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import { createContext, type Services } from '../context.js';
import type { Metrics } from '../observability/metrics.js';
import { formatError } from '../schema/format-error.js';
import { DocumentCache } from './document-cache.js';
import { SharedSubscriptions } from './shared-subscriptions.js';

/** How a subscriber reached us; the `transport` label of `jobs_subscriptions_active`. */
export type Transport = 'graphql-ws' | 'callback';

export const TRANSPORTS: readonly Transport[] = ['graphql-ws', 'callback'];

/** A channel of the shared executions: a graphql-ws connection, or one callback subscription. */
export interface Subscriber {
  readonly transport: Transport;
  /** A `next` for subscription `id` with an already serialized payload (see SharedSubscriptions). */
  deliver(id: string, payload: Buffer, slot: string | undefined): void;
}

export interface SubscriptionEngineOptions {
  schema: GraphQLSchema;
  services: Services;
  metrics: Metrics;
  validationRules: readonly ValidationRule[];
  /** Parser token limit for subscription documents. @default DEFAULTS.limits.maxTokens */
  maxTokens?: number;
  documentCacheEntries?: number;
  documentCacheMaxQueryLength?: number;
  /** Production: no "Did you mean …" hints in request errors (they reveal the schema). */
  production?: boolean;
}

export interface SubscriptionEngine {
  schema: GraphQLSchema;
  documents: DocumentCache;
  shared: SharedSubscriptions<Subscriber>;
  /** A request's own errors (parse, validation, resolution) as clients get them. */
  formatRequestErrors(errors: readonly GraphQLError[]): GraphQLFormattedError[];
}

export function createSubscriptionEngine(o: SubscriptionEngineOptions): SubscriptionEngine {
  const documents = new DocumentCache(
    o.schema,
    [...specifiedRules, ...o.validationRules],
    o.documentCacheEntries,
    o.documentCacheMaxQueryLength,
    o.maxTokens,
  );
  const shared = new SharedSubscriptions<Subscriber>({
    context: () => createContext(o.services),
    send: (subscriber, id, payload, slot) => subscriber.deliver(id, payload, slot),
    format: formatResult,
    onJoin: (subscriber) => o.metrics.subscriptionsActive.inc({ transport: subscriber.transport }),
    onLeave: (subscriber) => o.metrics.subscriptionsActive.dec({ transport: subscriber.transport }),
  });
  return {
    schema: o.schema,
    documents,
    shared,
    formatRequestErrors: (errors) =>
      errors.map((e) => {
        const formatted = formatError(e.toJSON(), e);
        return o.production ? { ...formatted, message: withoutSuggestions(formatted.message) } : formatted;
      }),
  };
}

/** An execution result as clients get it: errors in the HTTP error contract. */
export function formatResult(result: ExecutionResult): ExecutionResult | Record<string, unknown> {
  return result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : result;
}

/** The same masking graphql-armor's blockFieldSuggestion applies on HTTP. */
export function withoutSuggestions(message: string): string {
  return message.replace(/ Did you mean .*$/s, '');
}
