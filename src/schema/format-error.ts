/**
 * The single boundary where internal errors become GraphQL errors. A {@link JobError} keeps its
 * code, message and safe details; anything else becomes INTERNAL_SERVER_ERROR with a generic
 * message (the original is logged, never shown).
 */
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isJobError, type JobError } from '../errors.js';

/** Extensions every coded error carries. Never bodies, headers or credentials. */
function extensionsOf(err: JobError): Record<string, unknown> {
  const ext: Record<string, unknown> = { code: err.code, transient: err.transient };
  const d = err.details;
  if (d.provider) ext.provider = d.provider;
  if (d.providerCode) ext.providerCode = d.providerCode;
  if (d.requestId) ext.providerRequestId = d.requestId;
  if (d.httpStatus) ext.providerHttpStatus = d.httpStatus;
  if (d.retryAfterMs !== undefined) ext.retryAfterMs = d.retryAfterMs;
  return ext;
}

/** For code that builds errors itself (subscriptions): a GraphQLError with our extensions. */
export function toGraphQLError(err: unknown, path?: ReadonlyArray<string | number>): GraphQLError {
  if (isJobError(err)) return new GraphQLError(err.message, { path, extensions: extensionsOf(err), originalError: err });
  return new GraphQLError('Internal server error', { path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

/**
 * Apollo `formatError` hook. Validation and parse errors from graphql-js / Apollo already carry a
 * code (GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT …) and pass through.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (isJobError(original)) {
    return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: extensionsOf(original) };
  }
  const code = formatted.extensions?.code;
  if (isRequestError(error)) {
    return { message: formatted.message, locations: formatted.locations, extensions: { code: requestErrorCode(error) } };
  }
  if (code === undefined || code === 'INTERNAL_SERVER_ERROR') {
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  // Keep Apollo's own codes, but never a stacktrace.
  const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
  return { ...formatted, extensions };
}

/**
 * graphql-js and Apollo report faults of the request itself (syntax, validation, variable values,
 * an operation type the schema does not have, a malformed persisted-query extension) as
 * GraphQLErrors with no path and no original error other than graphql-js's own; a failure while
 * executing has a path or wraps what was thrown. Apollo codes most of them over HTTP, graphql-ws
 * none, so they are coded here (an error that already has a code keeps it).
 */
function isRequestError(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined || error.path !== undefined) return false;
  // Variable values: graphql-js keeps its own coercion error as the original.
  return error.originalError == null || error.originalError instanceof GraphQLError;
}

function requestErrorCode(error: GraphQLError): string {
  if (error.message.startsWith('Syntax Error')) return 'GRAPHQL_PARSE_FAILED';
  if (error.message.startsWith('Variable "$')) return 'BAD_USER_INPUT';
  if (error.extensions.http !== undefined) return 'BAD_REQUEST';
  return 'GRAPHQL_VALIDATION_FAILED';
}
