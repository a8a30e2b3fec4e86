/**
 * Parsed and validated documents by query text. Clients send the same few subscription documents
 * over and over (20,000 subscribers, a handful of distinct queries); parsing and validating each
 * copy costs CPU, and keeping each copy's AST costs heap per subscription. Identical texts get
 * one shared document, which also lets the shared executions recognise identical operations.
 * Bounded: the least recently used entries go first.
 */
import { DEFAULTS } from '../config.js';
import type { ClientErrorCode } from '../errors.js';
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';

export type CachedDocument =
  { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

export class DocumentCache {
  readonly #entries: LRUCache<string, CachedDocument>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    maxEntries: number = DEFAULTS.limits.documentCacheEntries,
    /** Longer texts are never cached (they are rarely repeated and would pin memory). */
    private readonly maxQueryLength: number = DEFAULTS.limits.documentCacheMaxQueryLength,
    /** Parser token limit (`JOBS_MAX_TOKENS`): a token flood or absurd nesting stops early. */
    private readonly maxTokens: number = DEFAULTS.limits.maxTokens,
  ) {
    this.#entries = new LRUCache({ max: maxEntries });
  }

  get(query: string): CachedDocument {
    const hit = this.#entries.get(query); // also makes it the most recently used
    if (hit) return hit;
    const entry = this.#load(query);
    if (query.length <= this.maxQueryLength) this.#entries.set(query, entry);
    return entry;
  }

  #load(query: string): CachedDocument {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.maxTokens });
    } catch (err) {
      // A syntax error is the client's: an error message for this operation, not a closed socket.
      if (err instanceof GraphQLError) return { errors: [err] };
      // Nesting deep enough to exhaust the parser's stack is the client's fault too.
      return {
        errors: [
          new GraphQLError('Document is too deeply nested to parse', {
            extensions: { code: 'GRAPHQL_PARSE_FAILED' satisfies ClientErrorCode },
          }),
        ],
      };
    }
    const errors = validate(this.schema, document, this.rules);
    // Every failed validation, graphql-armor's limits included (they carry BAD_USER_INPUT), is
    // GRAPHQL_VALIDATION_FAILED, as Apollo Server answers the same document over HTTP.
    return errors.length > 0 ? { errors: errors.map(asValidationFailure) } : { document };
  }
}

function asValidationFailure(error: GraphQLError): GraphQLError {
  const code: ClientErrorCode = 'GRAPHQL_VALIDATION_FAILED';
  return new GraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    extensions: { ...error.extensions, code },
  });
}
