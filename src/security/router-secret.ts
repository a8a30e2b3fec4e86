/**
 * "Only reachable through the router": with a shared secret configured, every HTTP request must
 * carry it in a header and every graphql-ws connection in its `connection_init` payload (or in the
 * upgrade request's headers, which routers forward). Comparison is constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

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
      res.status(401).json({ errors: [{ message: 'missing router secret', extensions: { code: 'UNAUTHENTICATED' } }] });
      return;
    }
    if (!secretMatches(secret, Array.isArray(presented) ? presented[0] : presented)) {
      res.status(403).json({ errors: [{ message: 'wrong router secret', extensions: { code: 'FORBIDDEN' } }] });
      return;
    }
    next();
  };
}
