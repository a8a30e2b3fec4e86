/**
 * GraphiQL for people: `GET /graphql` from a browser (Accept: text/html, no GraphQL parameters)
 * answers the page built by `npm run build:ui` (scripts/build-ui.ts → dist-ui/), and `/graphiql/*`
 * its content-hashed assets through express.static. Everything is served from this process: no
 * CDN, works offline. Every other request on /graphql falls through to the GraphQL middleware
 * mounted after this router. Missing assets answer 503 with what to run; nothing here throws at startup.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';

/** dist-ui/ at the repository root (the same from src/ui/ under tsx and from dist/ui/ when compiled). */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../dist-ui/', import.meta.url));

/** Where the page and the assets are served. The page's asset URLs (scripts/build-ui.ts) match these. */
export const GRAPHIQL_PAGE_PATH = '/graphql';
export const GRAPHIQL_ASSETS_PATH = '/graphiql';

export const MISSING_ASSETS_MESSAGE =
  'GraphiQL is enabled but its assets are not built (dist-ui/ is missing): run npm run build:ui\n';

export interface GraphiqlRouterOptions {
  /** Off: the router is empty, so GET /graphql goes to GraphQL and /graphiql/* is a 404. */
  enabled: boolean;
  /** The build output folder (holding index.html and assets/). @default DEFAULT_ASSETS_DIR */
  assetsDir?: string;
}

/** Query parameters of a GraphQL-over-HTTP GET request (including persisted queries). */
const GRAPHQL_GET_PARAMS = ['query', 'extensions', 'operationName', 'variables'];

/**
 * Asset names as scripts/build-ui.ts writes them (flat, no dotfiles, nothing to decode) and the
 * types it emits: anything else is a 404 before it reaches the file system.
 */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ASSET_TYPES = new Set(['.js', '.css', '.map', '.json', '.ttf', '.woff', '.woff2', '.svg', '.png']);

/** Names carry a content hash, so a year's `immutable` cache is safe (a new build means new names). */
const STATIC_OPTIONS = {
  index: false,
  redirect: false,
  dotfiles: 'ignore',
  maxAge: 365 * 24 * 3600 * 1000,
  immutable: true,
} as const;

export function createGraphiqlRouter(options: GraphiqlRouterOptions): Router {
  const router = express.Router();
  if (!options.enabled) return router;
  const dir = path.resolve(options.assetsDir ?? DEFAULT_ASSETS_DIR);
  const assetsDir = path.join(dir, 'assets');
  const pageFile = path.join(dir, 'index.html');

  router.get(GRAPHIQL_PAGE_PATH, (req, res, next) => {
    if (!wantsPage(req)) return next();
    // The same URL answers JSON to GraphQL clients: shared caches must key on Accept.
    res.vary('Accept');
    securityHeaders(res);
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(req));
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html');
    res.sendFile(
      pageFile,
      { dotfiles: 'deny', lastModified: true, etag: true, cacheControl: false },
      (err?: Error & { code?: string; status?: number }) => {
        if (!err || res.headersSent) return;
        res.removeHeader('Content-Security-Policy');
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.status === 404) return unavailable(res);
        plain(res, 500, 'GraphiQL page could not be served\n');
      },
    );
  });

  const plainFiles = express.static(assetsDir, STATIC_OPTIONS);
  // build-ui writes name.gz beside each asset; serve-static does not negotiate those itself.
  // No ranges on them (a range of the gzip bytes confuses more clients than it helps).
  const gzipFiles = express.static(assetsDir, {
    ...STATIC_OPTIONS,
    acceptRanges: false,
    setHeaders: (res, file) => {
      res.setHeader('Content-Encoding', 'gzip');
      res.type(path.extname(file.slice(0, -'.gz'.length)));
    },
  });

  router.use(
    GRAPHIQL_ASSETS_PATH,
    (req: Request, res: Response, next: NextFunction) => {
      securityHeaders(res);
      const file = req.path.slice(1);
      if (!ASSET_NAME.test(file) || !ASSET_TYPES.has(path.extname(file))) return notFound(res);
      res.vary('Accept-Encoding');
      if (!takesGzip(req)) return next();
      const url = req.url;
      req.url = `/${file}.gz`;
      void gzipFiles(req, res, (err?: unknown) => {
        req.url = url;
        next(err);
      });
    },
    plainFiles,
    // Not found by express.static: a missing build is a 503 naming the fix, a missing asset a 404.
    (_req: Request, res: Response) => void isDir(assetsDir).then((built) => (built ? notFound(res) : unavailable(res))),
    // A file express.static found but could not send (unsatisfiable range, read error).
    (err: Error & { status?: number }, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err);
      res.removeHeader('Content-Encoding');
      plain(
        res,
        err.status && err.status >= 400 && err.status < 500 ? err.status : 500,
        'GraphiQL asset could not be served\n',
      );
    },
  );

  return router;
}

/** A browser navigating to /graphql: prefers HTML and sends no GraphQL parameters. */
export function wantsPage(req: Request): boolean {
  const query = req.query as Record<string, unknown>;
  if (GRAPHQL_GET_PARAMS.some((p) => query[p] !== undefined)) return false;
  return req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) === 'text/html';
}

/** Only when the client names gzip (no Accept-Encoding at all would otherwise negotiate to it). */
function takesGzip(req: Request): boolean {
  const header = req.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/i.test(header) && req.acceptsEncodings('gzip', 'identity') === 'gzip';
}

/** Same-origin only; the page has no inline script. Monaco sets inline styles, hence 'unsafe-inline' for styles. */
function contentSecurityPolicy(req: Request): string {
  const host = req.headers.host;
  // CSP 3 lets 'self' cover ws(s) to the same host; older engines need it spelled out.
  const ws =
    host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
      ? ` ws://${host} wss://${host}`
      : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src 'self'${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(res: Response): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

async function isDir(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function plain(res: Response, status: number, body: string): void {
  res.status(status).type('text/plain').setHeader('Cache-Control', 'no-store');
  res.send(body);
}

function notFound(res: Response): void {
  plain(res, 404, 'Not found\n');
}

function unavailable(res: Response): void {
  res.setHeader('Retry-After', '5');
  plain(res, 503, MISSING_ASSETS_MESSAGE);
}
