/**
 * Parsed and validated documents by query text. Clients send the same few subscription documents
 * over and over (20,000 subscribers, a handful of distinct queries); parsing and validating each
 * copy costs CPU, and keeping each copy's AST costs heap per subscription. Identical texts get
 * one shared document, which also lets the shared executions recognise identical operations.
 * Bounded: the least recently used entries go first.
 */
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

export type CachedDocument = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

export class DocumentCache {
  readonly #entries = new Map<string, CachedDocument>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    private readonly maxEntries = 1_000,
    /** Longer texts are never cached (they are rarely repeated and would pin memory). */
    private readonly maxQueryLength = 10_000,
    /** Parser token limit (`JOBS_MAX_TOKENS`): a token flood or absurd nesting stops early. */
    private readonly maxTokens = 5_000,
  ) {}

  get(query: string): CachedDocument {
    const hit = this.#entries.get(query);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order.
      this.#entries.delete(query);
      this.#entries.set(query, hit);
      return hit;
    }
    const entry = this.#load(query);
    if (query.length <= this.maxQueryLength) {
      this.#entries.set(query, entry);
      if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
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
      return { errors: [new GraphQLError('Document is too deeply nested to parse', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
    }
    const errors = validate(this.schema, document, this.rules);
    return errors.length > 0 ? { errors } : { document };
  }
}
