/**
 * Request identity carried through async work (DataLoader batches, provider calls) without
 * threading it through every signature. The id comes from the router's W3C `traceparent` when
 * present, so log lines join up with the router's traces.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export interface RequestScope {
  requestId: string;
  /** The incoming `traceparent`, forwarded as is when present. */
  traceparent?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

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

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}
