import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { buildSchema, execute, GraphQLError, parse, specifiedRules, validate, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ERRORS, JobError } from '../../src/errors.js';
import { formatError, toGraphQLError } from '../../src/schema/format-error.js';

const schema = buildSchema('type Query { a(n: Int!): Int, b: Int }');

/** What graphql-ws does with an error: format its JSON form, the error itself alongside. */
const codeOf = (e: GraphQLError) => formatError(e.toJSON(), e).extensions?.code;

function parseError(text: string): GraphQLError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof GraphQLError) return e;
  }
  throw new Error(`expected ${text} not to parse`);
}

function executionErrors(
  document: DocumentNode,
  variableValues?: Record<string, unknown>,
  operationName?: string,
): readonly GraphQLError[] {
  const result = execute({ schema, document, variableValues, operationName });
  if (result instanceof Promise) throw new Error('expected a synchronous result');
  return result.errors ?? [];
}

describe('formatError: request errors graphql-js hands graphql-ws uncoded', () => {
  it('codes a syntax error GRAPHQL_PARSE_FAILED, whatever its text says', () => {
    const e = parseError('{ a(');
    expect(codeOf(e)).toBe('GRAPHQL_PARSE_FAILED');
    const reworded = new GraphQLError('the parser gave up', { source: e.source, positions: e.positions });
    expect(codeOf(reworded)).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('codes a validation error GRAPHQL_VALIDATION_FAILED, even one whose text starts with "Syntax Error"', () => {
    const [e] = validate(schema, parse('{ nope }'), specifiedRules);
    expect(codeOf(e!)).toBe('GRAPHQL_VALIDATION_FAILED');
    const misleading = new GraphQLError('Syntax Error: something a rule disliked', { nodes: e!.nodes });
    expect(codeOf(misleading)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('codes a variable of the wrong type BAD_USER_INPUT, and an operation type the schema lacks GRAPHQL_VALIDATION_FAILED', () => {
    const [variable] = executionErrors(parse('query($n: Int!) { a(n: $n) }'), { n: 'x' });
    expect(variable!.message).toMatch(/^Variable "\$n"/);
    expect(codeOf(variable!)).toBe('BAD_USER_INPUT');
    const [mutation] = executionErrors(parse('mutation { x }'));
    expect(codeOf(mutation!)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('codes a missing or unknown operation OPERATION_RESOLUTION_FAILURE, as Apollo does over HTTP', () => {
    const [unknown] = executionErrors(parse('query A { b }'), undefined, 'B');
    expect(codeOf(unknown!)).toBe('OPERATION_RESOLUTION_FAILURE');
    const [ambiguous] = executionErrors(parse('query A { b } query B { b }'));
    expect(codeOf(ambiguous!)).toBe('OPERATION_RESOLUTION_FAILURE');
  });

  it("codes Apollo's uncoded HTTP-level errors (a persisted-query hash mismatch) BAD_REQUEST", () => {
    const e = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } });
    expect(formatError({ message: e.message }, e).extensions).toEqual({ code: 'BAD_REQUEST' });
  });

  // graphql-armor reports its limits as BAD_USER_INPUT; over HTTP Apollo's ValidationError recodes
  // them GRAPHQL_VALIDATION_FAILED before formatError sees them.
  it('keeps a code the error already has, and never a stack trace', () => {
    const armor = new ApolloArmor({ maxAliases: { n: 1 } }).protect();
    const errors = validate(schema, parse('{ x: b y: b z: b }'), [...specifiedRules, ...armor.validationRules]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/^Syntax Error: Aliases limit/);
    expect(codeOf(errors[0]!)).toBe('BAD_USER_INPUT');
    const coded = new GraphQLError('x', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['at …'] } });
    expect(formatError(coded.toJSON(), coded).extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });
});

describe('formatError: execution errors', () => {
  it('tells a client when an exhausted daily budget resets', () => {
    const job = new JobError('PROVIDER_QUOTA_EXHAUSTED', 'DATAWORKS: the daily budget of 100 calls is spent', {
      provider: 'DATAWORKS',
      account: 'prod',
      resetsAt: '2026-12-07T16:00:00.000Z',
    });
    const e = toGraphQLError(job, ['job']);
    expect(formatError(e.toJSON(), e).extensions).toEqual({
      code: 'PROVIDER_QUOTA_EXHAUSTED',
      transient: true,
      provider: 'DATAWORKS',
      resetsAt: '2026-12-07T16:00:00.000Z',
    });
  });

  it('shows a JobError with its code, transient flag and safe details', () => {
    const job = new JobError('PROVIDER_THROTTLED', 'DLI throttled the request: HTTP 429 (APIGW.0308)', {
      provider: 'DLI',
      providerCode: 'APIGW.0308',
      retryAfterMs: 1000,
    });
    const e = toGraphQLError(job, ['job']);
    expect(formatError(e.toJSON(), e)).toEqual({
      message: job.message,
      path: ['job'],
      extensions: {
        code: 'PROVIDER_THROTTLED',
        transient: true,
        provider: 'DLI',
        providerCode: 'APIGW.0308',
        retryAfterMs: 1000,
      },
    });
  });

  it('masks anything else as INTERNAL_SERVER_ERROR', () => {
    const e = new GraphQLError('secret detail', { path: ['job'], originalError: new TypeError('boom') });
    expect(formatError(e.toJSON(), e)).toMatchObject({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(toGraphQLError(new Error('x')).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });
});

describe('the registry and Apollo', () => {
  it('lists every code Apollo Server can send with our configuration', () => {
    // Persisted queries are on (Apollo's default), so PERSISTED_QUERY_NOT_SUPPORTED is never sent.
    const sent = Object.values(ApolloServerErrorCode).filter(
      (c) => c !== ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
    );
    expect(sent.filter((c) => !Object.hasOwn(ERRORS, c))).toEqual([]);
  });

  it('sends the code of an unknown persisted-query hash with the status the registry states', async () => {
    const apollo = new ApolloServer({ schema, formatError });
    await apollo.start();
    try {
      const res = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          headers: new HeaderMap([['content-type', 'application/json']]),
          search: '',
          body: { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
        },
        context: async () => ({}),
      });
      expect(res.status ?? 200).toBe(ERRORS.PERSISTED_QUERY_NOT_FOUND.httpStatus);
      expect(res.body.kind === 'complete' ? JSON.parse(res.body.string).errors[0].extensions.code : null).toBe(
        'PERSISTED_QUERY_NOT_FOUND',
      );
    } finally {
      await apollo.stop();
    }
  });
});
