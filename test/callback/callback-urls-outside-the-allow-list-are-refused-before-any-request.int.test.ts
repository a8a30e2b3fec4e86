/**
 * SSRF guard: the subgraph POSTs only to http(s) callback URLs, and with
 * `JOBS_CALLBACK_ALLOWED_HOSTS` set only to hosts on it. A refused URL is answered 400
 * CALLBACK_URL_NOT_ALLOWED before anything is sent anywhere.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CallbackReceiver, subscribeViaCallback } from '../helpers/callback-receiver.js';
import { startTestServer } from '../helpers/server.js';

const WATCH = `subscription { jobStatusChanged(refs: [{ provider: DLI, jobId: "cb-ssrf" }]) { rawStatus } }`;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A TCP listener that counts connections: any outbound attempt to it shows. */
async function tcpTrap(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A subscription request naming `callbackUrl` is answered 400 CALLBACK_URL_NOT_ALLOWED. */
async function expectRefused(graphqlUrl: string, callbackUrl: string): Promise<void> {
  const answer = await subscribeViaCallback(graphqlUrl, WATCH, undefined, {
    callbackUrl,
    subscriptionId: 'x',
    verifier: 'v',
    heartbeatIntervalMs: 0,
  });
  expect(answer.status, callbackUrl).toBe(400);
  expect(answer.body, callbackUrl).toMatchObject({ errors: [{ extensions: { code: 'CALLBACK_URL_NOT_ALLOWED' } }] });
}

describe('callback URLs', () => {
  it('that are not http or https are refused with CALLBACK_URL_NOT_ALLOWED, without an outbound request', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.stop());
    const trap = await tcpTrap();
    cleanup.push(() => trap.close());
    for (const callbackUrl of [
      `ftp://127.0.0.1:${trap.port}/callback/x`,
      `file:///etc/passwd`,
      `ws://127.0.0.1:${trap.port}/callback/x`,
      `http://user:pw@127.0.0.1:${trap.port}/callback/x`,
      'not a url',
    ]) {
      await expectRefused(server.url, callbackUrl);
    }
    expect(trap.connections()).toBe(0);
    expect(await server.pollersActive()).toBe(0);
  });

  it('whose host is not on JOBS_CALLBACK_ALLOWED_HOSTS are refused, and those on it are served', async () => {
    const receiver = await CallbackReceiver.start();
    cleanup.push(() => receiver.stop());
    const allowedPort = new URL(receiver.baseUrl).port;
    const server = await startTestServer({
      env: { JOBS_CALLBACK_ALLOWED_HOSTS: `router.internal:4000, 127.0.0.1:${allowedPort}` },
    });
    cleanup.push(() => server.stop());
    const trap = await tcpTrap();
    cleanup.push(() => trap.close());

    for (const callbackUrl of [
      `http://127.0.0.1:${trap.port}/callback/x`, // the allowed host, another port
      `http://localhost:${allowedPort}/callback/x`, // another name for it
      'http://169.254.169.254/latest/meta-data',
    ]) {
      await expectRefused(server.url, callbackUrl);
    }
    expect(trap.connections()).toBe(0);
    expect(receiver.messages).toEqual([]);

    const ext = receiver.register(0);
    const allowed = await subscribeViaCallback(server.url, WATCH, undefined, ext);
    expect(allowed.body).toEqual({ data: null });
    expect(receiver.for(ext.subscriptionId)[0]).toMatchObject({ action: 'check', status: 204 });
  });
});
