import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
});

describe('keep-alive', () => {
  it('detects a client that stopped answering pings, drops its socket and releases its poller', async () => {
    server = await startTestServer({ env: { JOBS_WS_KEEPALIVE_MS: '100' } });
    server.simulator.jobs.pin('DLI', 'watched-by-a-ghost', 'RUNNING');
    // A client whose network died: it never answers pings and never sends a close frame.
    const ghost = new WebSocket(server.wsUrl, 'graphql-transport-ws', { autoPong: false });
    const messages: { type: string }[] = [];
    ghost.on('message', (m) => messages.push(JSON.parse(m.toString()) as { type: string }));
    await new Promise((r) => ghost.once('open', r));
    ghost.send(JSON.stringify({ type: 'connection_init' }));
    // The protocol forbids subscribing before the server's acknowledgement.
    await waitUntil(() => messages.length > 0, 400, 2);
    ghost.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: 'subscription { jobStatusChanged(refs: [{provider: DLI, jobId: "watched-by-a-ghost"}]) { state } }',
        },
      }),
    );
    await waitUntil(() => messages.some((m) => m.type === 'next'), 1000);
    expect(messages.map((m) => m.type)).toEqual(['connection_ack', 'next']);
    expect(await server.pollersActive()).toBe(1);
    const closed = await new Promise<number>((resolve) => ghost.once('close', (code) => resolve(code)));
    expect(closed).toBe(1006); // terminated by the server, no closing handshake
    await waitUntil(async () => (await server!.pollersActive()) === 0, 500);
    expect(await server.pollersActive()).toBe(0);
    const metrics = await (await fetch(server.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/jobs_ws_connections_active 0/);
  });
});
