/**
 * The request id of an HTTP request: the trace id of the router's W3C `traceparent` when present,
 * so log lines join up with the router's traces. It travels with the request's GraphQL context
 * (context.ts) down to the provider calls the request makes, not through AsyncLocalStorage: on
 * Node 20 that installs promise hooks that tax every promise in the process, and they were ~5 % of
 * a query's CPU in the bench profiles (README, Performance).
 */
import { randomUUID } from 'node:crypto';

export interface RequestScope {
  requestId: string;
  /** The incoming `traceparent`, forwarded as is when present. */
  traceparent?: string;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;

/** The request id for a set of incoming headers: the trace id of `traceparent`, else `x-request-id`, else new. */
export function requestScopeFrom(headers: Record<string, string | string[] | undefined>): RequestScope {
  const tp = headers.traceparent;
  const traceparent = typeof tp === 'string' ? tp.trim().toLowerCase() : undefined;
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (match) return { requestId: match[1]!, traceparent: traceparent! };
  const xr = headers['x-request-id'];
  if (typeof xr === 'string' && /^[\w.-]{1,128}$/.test(xr)) return { requestId: xr };
  return { requestId: randomUUID() };
}
