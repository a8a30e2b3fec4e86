/**
 * The single boundary where internal errors become GraphQL errors. A {@link JobError} keeps its
 * code, message and safe details; anything else becomes INTERNAL_SERVER_ERROR with a generic
 * message (the original is logged, never shown).
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, Kind, type GraphQLFormattedError } from 'graphql';
import { isJobError, type ClientErrorCode, type JobError } from '../errors.js';

const INTERNAL: ClientErrorCode = 'INTERNAL_SERVER_ERROR';

/** Extensions every coded error carries. Never bodies, headers or credentials. */
function extensionsOf(err: JobError): Record<string, unknown> {
  const ext: Record<string, unknown> = { code: err.code, transient: err.transient };
  const d = err.details;
  if (d.provider) ext.provider = d.provider;
  if (d.providerCode) ext.providerCode = d.providerCode;
  if (d.requestId) ext.providerRequestId = d.requestId;
  if (d.httpStatus) ext.providerHttpStatus = d.httpStatus;
  if (d.retryAfterMs !== undefined) ext.retryAfterMs = d.retryAfterMs;
  if (d.resetsAt) ext.resetsAt = d.resetsAt;
  return ext;
}

/** For code that builds errors itself (subscriptions): a GraphQLError with our extensions. */
export function toGraphQLError(err: unknown, path?: ReadonlyArray<string | number>): GraphQLError {
  if (isJobError(err))
    return new GraphQLError(err.message, { path, extensions: extensionsOf(err), originalError: err });
  return new GraphQLError('Internal server error', { path, extensions: { code: INTERNAL } });
}

/**
 * Apollo `formatError` hook, also used for graphql-ws. Over HTTP, Apollo codes the request's own
 * faults itself (its SyntaxError, ValidationError, UserInputError, OperationResolutionError and
 * BadRequestError classes set GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT,
 * OPERATION_RESOLUTION_FAILURE, BAD_REQUEST), and those codes pass through; graphql-ws hands us
 * graphql-js's uncoded errors, which are coded here the same way.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (isJobError(original)) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: extensionsOf(original),
    };
  }
  const code = formatted.extensions?.code;
  if (isRequestError(error)) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      extensions: { code: requestErrorCode(error) },
    };
  }
  if (code === undefined || code === INTERNAL) {
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: INTERNAL },
    };
  }
  // Keep Apollo's own codes, but never a stacktrace.
  const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
  return { ...formatted, extensions };
}

/**
 * graphql-js and Apollo report faults of the request itself (syntax, validation, variable values,
 * operation selection, an operation type the schema does not have, a malformed persisted-query
 * extension) as GraphQLErrors with no path and no original error other than graphql-js's own; a
 * failure while executing has a path or wraps what was thrown. An error that already has a code
 * keeps it.
 */
function isRequestError(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined || error.path !== undefined) return false;
  // Variable values: graphql-js keeps its own coercion error as the original.
  return error.originalError == null || error.originalError instanceof GraphQLError;
}

/**
 * By where graphql-js located the error, never by its text (graphql-armor's limits, for one, say
 * "Syntax Error: …" about documents that parsed fine).
 */
function requestErrorCode(error: GraphQLError): ClientErrorCode {
  const node = error.nodes?.[0];
  // The parser locates a syntax error by source position; there is no AST node to point at yet.
  if (node === undefined && error.source !== undefined) return 'GRAPHQL_PARSE_FAILED';
  // Variable coercion (graphql-js getVariableValues) points at the variable's definition, which is
  // also how Apollo recognises it over HTTP.
  if (node?.kind === Kind.VARIABLE_DEFINITION) return 'BAD_USER_INPUT';
  // Apollo's HTTP-level faults carry the status to answer with (a persisted-query version or hash
  // that does not match).
  if (error.extensions.http !== undefined) return 'BAD_REQUEST';
  // Operation selection (no operation, an unknown or missing operationName) has nothing to point at.
  if (node === undefined) return 'OPERATION_RESOLUTION_FAILURE';
  // Validation rules, and an operation type the schema lacks, point at the offending AST nodes.
  return 'GRAPHQL_VALIDATION_FAILED';
}
