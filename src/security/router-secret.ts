/**
 * "Only reachable through the router": with a shared secret configured, every HTTP request must
 * carry it in a header and every graphql-ws connection in its `connection_init` payload (or in the
 * upgrade request's headers, which routers forward). Comparison is constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ERRORS, requestErrorBody } from '../errors.js';

/** Header (HTTP) and connection_init payload key (WebSocket) that carry the secret. */
export const ROUTER_SECRET_HEADER = 'x-router-secret';
export const ROUTER_SECRET_PARAM = 'routerSecret';

/** Hashing first gives equal-length inputs, so timingSafeEqual never leaks the length. */
export function secretMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented === '') return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

/** 401 without the header, 403 with a wrong one. Health and metrics endpoints stay open. */
export function requireRouterSecret(secret: string): RequestHandler {
  return (req, res, next) => {
    const presented = req.headers[ROUTER_SECRET_HEADER];
    if (presented === undefined) {
      res.status(ERRORS.UNAUTHENTICATED.httpStatus).json(requestErrorBody('UNAUTHENTICATED', 'missing router secret'));
      return;
    }
    if (!secretMatches(secret, Array.isArray(presented) ? presented[0] : presented)) {
      res.status(ERRORS.FORBIDDEN.httpStatus).json(requestErrorBody('FORBIDDEN', 'wrong router secret'));
      return;
    }
    next();
  };
}
