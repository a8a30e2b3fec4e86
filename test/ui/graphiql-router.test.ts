/**
 * createGraphiqlRouter on its own, in front of a stand-in GraphQL handler, over a hand-made build
 * folder: who gets the page, what the assets are served with, and what happens without a build.
 */
import { once } from 'node:events';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphiqlRouter, MISSING_ASSETS_MESSAGE, type GraphiqlRouterOptions } from '../../src/ui/graphiql.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const PAGE = '<!doctype html><title>t</title><script type="module" src="/graphiql/main-ABC123.js"></script>';
const JS = 'console.log("graphiql");'.repeat(50);

let buildDir: string;
const servers: http.Server[] = [];

/** An app like src/server.ts: the router first, then "GraphQL" answering JSON on /graphql. */
async function start(options: GraphiqlRouterOptions): Promise<string> {
  const app = express();
  app.use(createGraphiqlRouter(options));
  app.all('/graphql', (_req, res) => {
    res.json({ graphql: true });
  });
  const server = http.createServer(app).listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  buildDir = await mkdtemp(path.join(os.tmpdir(), 'graphiql-router-'));
  await mkdir(path.join(buildDir, 'assets'));
  await writeFile(path.join(buildDir, 'index.html'), PAGE);
  await writeFile(path.join(buildDir, 'assets', 'main-ABC123.js'), JS);
  await writeFile(path.join(buildDir, 'assets', 'main-ABC123.js.gz'), gzipSync(JS));
  await writeFile(path.join(buildDir, 'assets', 'main-ABC123.css'), 'body{margin:0}');
  await writeFile(path.join(buildDir, 'assets', 'notes.txt'), 'not an asset type');
});

afterAll(async () => {
  for (const s of servers) s.close();
  await rm(buildDir, { recursive: true, force: true });
});

describe('createGraphiqlRouter (enabled)', () => {
  let base: string;
  beforeAll(async () => {
    base = await start({ enabled: true, assetsDir: buildDir });
  });

  it('serves the page to a browser navigating to /graphql, with a same-origin CSP', async () => {
    const res = await fetch(`${base}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toBe(PAGE);
    expect(res.headers.get('vary')).toMatch(/accept/i);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
  });

  it('leaves GraphQL requests to GraphQL', async () => {
    const cases: [string, RequestInit][] = [
      ['/graphql', { headers: { accept: 'application/json' } }],
      ['/graphql', { headers: { accept: '*/*' } }],
      ['/graphql', {}],
      ['/graphql?query=%7B__typename%7D', { headers: { accept: BROWSER_ACCEPT } }],
      ['/graphql?extensions=%7B%7D', { headers: { accept: BROWSER_ACCEPT } }],
      [
        '/graphql',
        { method: 'POST', headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/json' }, body: '{}' },
      ],
    ];
    for (const [url, init] of cases) {
      const res = await fetch(base + url, init);
      expect({ url, init, body: await res.json() }).toEqual({ url, init, body: { graphql: true } });
    }
  });

  it('serves hashed assets with their type and a long immutable cache, gzip when asked', async () => {
    const plain = await fetch(`${base}/graphiql/main-ABC123.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(JS);

    // fetch() would decode transparently; read the raw bytes with node:http instead.
    const raw = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .get(`${base}/graphiql/main-ABC123.js`, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(raw.headers.vary).toMatch(/accept-encoding/i);
    expect(gunzipSync(raw.body).toString()).toBe(JS);

    const css = await fetch(`${base}/graphiql/main-ABC123.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for anything that is not a built asset', async () => {
    for (const url of [
      '/graphiql/missing-XYZ.js',
      '/graphiql/notes.txt',
      '/graphiql/main-ABC123.js.gz',
      '/graphiql/..%2Findex.html',
      '/graphiql/a/b.js',
      '/graphiql/.hidden.js',
    ]) {
      const res = await fetch(base + url);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
    }
  });
});

describe('createGraphiqlRouter (no build)', () => {
  it('answers 503 naming the fix, for the page and the assets', async () => {
    const base = await start({ enabled: true, assetsDir: path.join(buildDir, 'does-not-exist') });
    const page = await fetch(`${base}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(503);
    expect(page.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await page.text()).toBe(MISSING_ASSETS_MESSAGE);
    expect(MISSING_ASSETS_MESSAGE).toContain('npm run build:ui');
    const asset = await fetch(`${base}/graphiql/main-ABC123.js`);
    expect(asset.status).toBe(503);
    // GraphQL itself still works.
    expect(await (await fetch(`${base}/graphql`, { method: 'POST' })).json()).toEqual({ graphql: true });
  });
});

describe('createGraphiqlRouter (disabled)', () => {
  it('serves nothing: the page URL is GraphQL, the assets are 404', async () => {
    const base = await start({ enabled: false, assetsDir: buildDir });
    expect(await (await fetch(`${base}/graphql`, { headers: { accept: BROWSER_ACCEPT } })).json()).toEqual({
      graphql: true,
    });
    expect((await fetch(`${base}/graphiql/main-ABC123.js`)).status).toBe(404);
  });
});
