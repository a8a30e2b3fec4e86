/**
 * GraphiQL for people: `GET /graphql` from a browser (Accept: text/html, no GraphQL parameters)
 * answers the page built by `npm run build:ui` (scripts/build-ui.ts → dist-ui/), and `/graphiql/*`
 * its content-hashed assets. Everything is served from this process: no CDN, works offline.
 * Every other request on /graphql falls through to the GraphQL middleware mounted after this router.
 * Missing assets answer 503 with what to run; nothing here throws at startup.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';

/** dist-ui/ at the repository root (the same from src/ui/ under tsx and from dist/ui/ when compiled). */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../dist-ui/', import.meta.url));

/** Where the page and the assets are served. The page's asset URLs (scripts/build-ui.ts) match these. */
export const GRAPHIQL_PAGE_PATH = '/graphql';
export const GRAPHIQL_ASSETS_PATH = '/graphiql';

export const MISSING_ASSETS_MESSAGE = 'GraphiQL is enabled but its assets are not built (dist-ui/ is missing): run npm run build:ui\n';

export interface GraphiqlRouterOptions {
  /** Off: the router is empty, so GET /graphql goes to GraphQL and /graphiql/* is a 404. */
  enabled: boolean;
  /** The build output folder (holding index.html and assets/). @default DEFAULT_ASSETS_DIR */
  assetsDir?: string;
}

/** Query parameters of a GraphQL-over-HTTP GET request (including persisted queries). */
const GRAPHQL_GET_PARAMS = ['query', 'extensions', 'operationName', 'variables'];

/** Hashed asset file names as scripts/build-ui.ts writes them; anything else is a 404. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const YEAR_SECONDS = 365 * 24 * 3600;

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
    res.sendFile(pageFile, { dotfiles: 'deny', lastModified: true, etag: true, cacheControl: false }, (err) => {
      if (err) sendFileFailed(res, err);
    });
  });

  router.get(`${GRAPHIQL_ASSETS_PATH}/:file`, async (req, res) => {
    const file = req.params.file;
    securityHeaders(res);
    if (typeof file !== 'string' || !ASSET_NAME.test(file) || file.endsWith('.gz')) return notFound(res);
    const type = contentType(file);
    if (!type) return notFound(res);
    // Precompressed copies (build-ui writes name.gz beside each asset) when the client takes gzip.
    const gzip = takesGzip(req) && (await isFile(path.join(assetsDir, `${file}.gz`)));
    res.vary('Accept-Encoding');
    res.setHeader('Content-Type', type);
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.sendFile(gzip ? `${file}.gz` : file, { root: assetsDir, dotfiles: 'deny', maxAge: YEAR_SECONDS * 1000, immutable: true, acceptRanges: !gzip }, (err) => {
      if (err) {
        res.removeHeader('Content-Encoding');
        sendFileFailed(res, err, assetsDir);
      }
    });
  });
  router.all(`${GRAPHIQL_ASSETS_PATH}/*rest`, (_req, res) => notFound(res));

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
  const ws = host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? ` ws://${host} wss://${host}` : '';
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

function contentType(file: string): string | null {
  switch (path.extname(file)) {
    case '.js':
      return 'text/javascript; charset=utf-8';
    case '.css':
      return 'text/css; charset=utf-8';
    case '.map':
    case '.json':
      return 'application/json; charset=utf-8';
    case '.ttf':
      return 'font/ttf';
    case '.woff':
      return 'font/woff';
    case '.woff2':
      return 'font/woff2';
    case '.svg':
      return 'image/svg+xml';
    case '.png':
      return 'image/png';
    default:
      return null;
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function notFound(res: Response): void {
  res.status(404).type('text/plain').setHeader('Cache-Control', 'no-store');
  res.send('Not found\n');
}

/** A missing build is a 503 naming the fix; a missing asset of an existing build a 404. */
function sendFileFailed(res: Response, err: Error & { code?: string; status?: number }, assetsDir?: string): void {
  if (res.headersSent) return;
  res.removeHeader('Content-Security-Policy');
  const missing = err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.status === 404;
  if (missing && assetsDir) {
    void isDir(assetsDir).then((built) => (built ? notFound(res) : unavailable(res)));
    return;
  }
  if (missing) return unavailable(res);
  res.status(err.status && err.status >= 400 && err.status < 500 ? err.status : 500).type('text/plain').setHeader('Cache-Control', 'no-store');
  res.send('GraphiQL asset could not be served\n');
}

async function isDir(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function unavailable(res: Response): void {
  res.status(503).type('text/plain').setHeader('Cache-Control', 'no-store');
  res.setHeader('Retry-After', '5');
  res.send(MISSING_ASSETS_MESSAGE);
}
