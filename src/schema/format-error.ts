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
  if (code === undefined || code === 'INTERNAL_SERVER_ERROR') {
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  // Keep Apollo's own codes, but never a stacktrace.
  const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
  return { ...formatted, extensions };
}
