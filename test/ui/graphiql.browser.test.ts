/**
 * GraphiQL in a real browser: Debian's Chromium (/usr/bin/chromium) driven by playwright-core
 * against the real server on the simulator. Loads the page, checks that nothing left loopback,
 * runs an example query, runs the example subscription until two events have arrived, and saves
 * test-results/graphiql.png.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBuilt } from '../../scripts/build-ui.js';
import { EXAMPLES } from '../../ui/examples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOT = path.join(ROOT, 'test-results', 'graphiql.png');

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for URLs that stay on this machine (data:/blob: never reach the network). */
function staysLocal(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return (
    ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) &&
    (LOOPBACK_HOSTS.has(u.hostname) || u.hostname.startsWith('127.'))
  );
}

/** Monaco renders text with non-breaking spaces. */
const text = async (page: Page, selector: string) => (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');

describe('GraphiQL in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const blocked: string[] = [];
  const consoleErrors: string[] = [];
  const wsUrls: string[] = [];
  const wsNext: unknown[] = [];
  /** Set by the first test; the others need the page it loaded. */
  let loaded = false;
  const requireLoaded = () => {
    if (!loaded) throw new Error('GraphiQL did not load (see the first test)');
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`,
      );
    }
    // `npm test` builds the page first (pretest); a bare `vitest run` builds it here when needed.
    await ensureUiBuilt();
    server = await startTestServer({ stepMs: 300, env: { JOBS_POLL_MIN_INTERVAL_MS: '100' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 }, serviceWorkers: 'block' });
    context.setDefaultTimeout(10_000);
    // Record every request (workers' included) and refuse any that would leave loopback.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (staysLocal(url)) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('websocket', (ws) => {
      wsUrls.push(ws.url());
      ws.on('framereceived', (f) => {
        const msg = JSON.parse(String(f.payload)) as { type?: string; payload?: unknown };
        if (msg.type === 'next') wsNext.push(msg.payload);
      });
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('loads offline: the page, its bundle and the schema, from this server only', async () => {
    const introspection = page.waitForResponse(
      (r) =>
        r.url() === server.url &&
        r.request().method() === 'POST' &&
        (r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    const res = await page.goto(server.url, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(await page.title()).toContain('GraphiQL');

    // One tab per example, titled by its operation name.
    await expect
      .poll(() => page.locator('.graphiql-tab').allInnerTexts(), { timeout: 15_000 })
      .toEqual(EXAMPLES.map((e) => e.name));
    // The simulator's job-id rules are on the page.
    const notice = await text(page, '[data-testid="jobs-notice"]');
    expect(notice).toContain('SIMULATOR');
    for (const word of ['notfound', 'forbidden', 'fail', 'cancel', 'JOB_NOT_FOUND']) expect(notice).toContain(word);
    // The schema loaded (introspection passed the server's query limits).
    const schema = (await (await introspection).json()) as { data?: { __schema?: unknown }; errors?: unknown };
    expect(schema.errors).toBeUndefined();
    expect(schema.data?.__schema).toBeDefined();

    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !staysLocal(u))).toEqual([]);
    expect(blocked).toEqual([]);
    loaded = true;
  }, 30_000);

  it('runs an example query and shows the job', async () => {
    requireLoaded();
    await page.locator('.graphiql-tab', { hasText: 'DliJob' }).click();
    await expect.poll(() => text(page, '.graphiql-query-editor'), { timeout: 5_000 }).toContain('query DliJob');
    await page.locator('.graphiql-execute-button').click();

    await expect
      .poll(() => text(page, '.graphiql-response'), { timeout: 10_000 })
      .toMatch(/"state": "(PENDING|RUNNING|SUCCEEDED)"/);
    const response = await text(page, '.graphiql-response');
    expect(response).toContain('"__typename": "DliJob"');
    expect(response).toContain('"rawStatus": ');
    expect(response).not.toContain('"errors"');
  }, 30_000);

  it('runs the example subscription over graphql-ws and shows its events as they arrive', async () => {
    requireLoaded();
    await page.locator('.graphiql-tab', { hasText: 'WatchJobs' }).click();
    await expect
      .poll(() => text(page, '.graphiql-query-editor'), { timeout: 5_000 })
      .toContain('subscription WatchJobs');
    await page.locator('.graphiql-execute-button').click();

    // The response pane shows the latest event: collect what it shows while events arrive.
    const shown = new Set<string>();
    await expect
      .poll(
        async () => {
          const now = await text(page, '.graphiql-response');
          const event = /"sequence": (\d+)[\s\S]*?"rawStatus": "(\w+)"[\s\S]*?"jobId": "([^"]+)"/.exec(now);
          if (event) shown.add(`${event[3]}#${event[1]}:${event[2]}`);
          return shown.size >= 2 && wsNext.length >= 2;
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe(true);

    expect(wsUrls).toEqual([server.wsUrl]);
    expect(wsNext.length).toBeGreaterThanOrEqual(2);
    expect(wsNext.every((p) => typeof p === 'object' && p !== null && 'data' in p && !('errors' in p))).toBe(true);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    expect(requests.filter((u) => !staysLocal(u))).toEqual([]);
    expect(blocked).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 30_000);
});
