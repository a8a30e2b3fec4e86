/**
 * The graphql-transport-ws close codes (graphql-ws's PROTOCOL.md and its `CloseCode` list), each
 * provoked against the real server by a raw `ws` client that writes the frames itself, so nothing
 * in between (graphql-ws's own client) can hide or add a message. One test per code that can occur
 * here; the reasons are the ones clients see.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createServer, type RunningServer } from '../../src/server.js';
import { startSimulator } from '../../src/simulator/index.js';
import type { ConnectHook } from '../../src/websocket/graphql-ws-server.js';
import { ROUTER_SECRET_PARAM } from '../../src/security/router-secret.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PROTOCOL = 'graphql-transport-ws';

/** The close codes this file provokes, each in a test of its own below. */
const TESTED_CODES = [4400, 4401, 4403, 4406, 4408, 4409, 4429, 4500];

/** A job that stays running for minutes (the simulator steps every `stepMs`, see below). */
const WATCH = {
  query: 'subscription ($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { rawStatus } }',
  variables: { refs: [{ provider: 'DLI', jobId: 'conformance-long-running' }] },
};

interface Closed {
  code: number;
  reason: string;
  /** Milliseconds from the client's first byte (before the upgrade) to the close. */
  afterMs: number;
}

/** One raw socket: what the server sent, and how it closed. */
interface RawSocket {
  socket: WebSocket;
  /** Every text message the server sent, parsed. */
  messages: Record<string, unknown>[];
  closed: Promise<Closed>;
  send(message: unknown): void;
  /** Resolves with the first message (already received or still to come) of the given type. */
  message(type: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const sockets: WebSocket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) if (s.readyState !== WebSocket.CLOSED) s.terminate();
});

async function open(url: string): Promise<RawSocket> {
  const startedAt = Date.now();
  const socket = new WebSocket(url, PROTOCOL);
  sockets.push(socket);
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  // Listening for the close before the open: a server that closes at once may send its close frame
  // in the same packet as the upgrade answer, and both events then fire in one tick.
  const closed = new Promise<Closed>((resolve) =>
    socket.once('close', (code, reason) => {
      resolve({ code, reason: String(reason), afterMs: Date.now() - startedAt });
      for (const wake of waiters.splice(0)) wake();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async message(type, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.type === type);
        if (found) return found;
        if (socket.readyState === WebSocket.CLOSED || Date.now() > deadline) {
          throw new Error(`no ${type} message; got ${JSON.stringify(messages)} (socket state ${socket.readyState})`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

/** Opens a socket and completes the connection handshake (connection_init → connection_ack). */
async function acknowledged(url: string, payload?: Record<string, unknown>): Promise<RawSocket> {
  const ws = await open(url);
  ws.send(payload ? { type: 'connection_init', payload } : { type: 'connection_init' });
  await ws.message('connection_ack');
  return ws;
}

/**
 * The WebSocket upgrade by hand, then the first frame the server sends, decoded. The `ws` client
 * refuses a 101 that picks none of the offered subprotocols (stricter than RFC 6455 and browsers),
 * so it cannot show what the server does next; this does.
 */
async function upgradeAndReadClose(
  wsUrl: string,
  offer: string | undefined,
): Promise<{
  offered: string | null;
  status: number | undefined;
  agreed: string | null;
  firstFrame: { opcode: string; code?: number; reason?: string };
}> {
  const url = new URL(wsUrl);
  const req = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': randomBytes(16).toString('base64'),
      ...(offer === undefined ? {} : { 'sec-websocket-protocol': offer }),
    },
  });
  req.end();
  const [res, socket, head] = (await once(req, 'upgrade')) as [http.IncomingMessage, Duplex, Buffer];
  try {
    let bytes = head;
    // A server frame is unmasked; a close frame's payload (2-byte code, reason) is under 126 bytes.
    while (bytes.length < 2 || bytes.length < 2 + (bytes[1]! & 0x7f)) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      bytes = Buffer.concat([bytes, chunk]);
    }
    const opcode = bytes[0]! & 0x0f;
    const payload = bytes.subarray(2, 2 + (bytes[1]! & 0x7f));
    return {
      offered: offer ?? null,
      status: res.statusCode,
      agreed: (res.headers['sec-websocket-protocol'] as string | undefined) ?? null,
      firstFrame:
        opcode === 0x8
          ? { opcode: 'close', code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') }
          : { opcode: `0x${opcode.toString(16)}` },
    };
  } finally {
    socket.destroy();
  }
}

describe('graphql-ws close codes of the real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    // One simulator step a minute: the watched job stays in its first state for the whole file.
    server = await startTestServer({ stepMs: 60_000 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('covers every close code graphql-ws defines for servers to send', () => {
    // 4004, 4005 and 4504 are codes graphql-ws's client closes with itself, never a server.
    const clientSide = [
      CloseCode.BadResponse,
      CloseCode.InternalClientError,
      CloseCode.ConnectionAcknowledgementTimeout,
    ];
    const serverSide = Object.values(CloseCode)
      .filter((v): v is number => typeof v === 'number' && !clientSide.includes(v))
      .sort((a, b) => a - b);
    expect(serverSide).toEqual(TESTED_CODES);
  });

  it('closes with 4400 when a message is not JSON, has a type the protocol does not define, or lacks a field its type requires', async () => {
    const invalid = [
      'this is not JSON',
      JSON.stringify({ type: 'start', id: '1', payload: { query: '{ __typename }' } }),
      JSON.stringify({ type: 'subscribe', payload: { query: '{ __typename }' } }),
      JSON.stringify({ id: '1', type: 'subscribe', payload: { variables: {} } }),
    ];
    const closes: Closed[] = [];
    for (const frame of invalid) {
      const ws = await acknowledged(server.wsUrl);
      ws.send(frame);
      closes.push(await ws.closed);
    }
    expect(closes.map(({ code, reason }) => ({ code, reason }))).toEqual(
      invalid.map(() => ({ code: 4400, reason: 'Invalid message received' })),
    );
  });

  it('closes with 4401 when a subscribe arrives before the connection was acknowledged, without running the operation', async () => {
    const pollersBefore = await server.pollersActive();
    const ws = await open(server.wsUrl);
    ws.send({ id: 'early', type: 'subscribe', payload: WATCH });
    const closed = await ws.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({ code: 4401, reason: 'Unauthorized' });
    expect(ws.messages).toEqual([]);
    expect(await server.pollersActive()).toBe(pollersBefore);
  });

  it('closes with 4406 when the client offers no subprotocol, or only ones other than graphql-transport-ws', async () => {
    const offers = [undefined, 'graphql-ws', 'graphql-ws, something-else'];
    const outcomes = [];
    for (const offer of offers) outcomes.push(await upgradeAndReadClose(server.wsUrl, offer));
    expect(outcomes).toEqual(
      offers.map((offer) => ({
        offered: offer ?? null,
        status: 101,
        // RFC 6455 lets a server accept without picking any offered subprotocol; graphql-ws then
        // closes the socket at once, before any message.
        agreed: null,
        firstFrame: { opcode: 'close', code: 4406, reason: 'Subprotocol not acceptable' },
      })),
    );
  });

  it('closes with 4408 a socket that sends no connection_init within the 3 s graphql-ws waits by default', async () => {
    const ws = await open(server.wsUrl);
    const closed = await ws.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({
      code: 4408,
      reason: 'Connection initialisation timeout',
    });
    // The server's wait starts after the client's first byte, so no earlier than 3 s from it (less a
    // millisecond of timer rounding); the upper bound leaves room for a loaded machine.
    expect(closed.afterMs).toBeGreaterThanOrEqual(2_990);
    expect(closed.afterMs).toBeLessThan(8_000);
    expect(ws.messages).toEqual([]);
  });

  it('closes with 4409 when a subscribe reuses the id of a subscription that is still active', async () => {
    const ws = await acknowledged(server.wsUrl);
    ws.send({ id: 'job-1', type: 'subscribe', payload: WATCH });
    const snapshot = await ws.message('next');
    expect(snapshot).toMatchObject({
      id: 'job-1',
      payload: { data: { jobStatusChanged: { rawStatus: 'LAUNCHING' } } },
    });
    ws.send({ id: 'job-1', type: 'subscribe', payload: WATCH });
    const closed = await ws.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({
      code: 4409,
      reason: 'Subscriber for job-1 already exists',
    });
  });

  it('lets a client reuse an id once its operation has completed (no 4409)', async () => {
    const ws = await acknowledged(server.wsUrl);
    ws.send({ id: 'q', type: 'subscribe', payload: { query: '{ __typename }' } });
    await ws.message('complete');
    ws.messages.length = 0;
    ws.send({ id: 'q', type: 'subscribe', payload: { query: '{ __typename }' } });
    await ws.message('complete');
    expect(ws.messages).toEqual([
      { id: 'q', type: 'next', payload: { data: { __typename: 'Query' } } },
      { id: 'q', type: 'complete' },
    ]);
    expect(ws.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('closes with 4429 when a second connection_init arrives on an acknowledged connection', async () => {
    const ws = await acknowledged(server.wsUrl);
    ws.send({ type: 'connection_init' });
    const closed = await ws.closed;
    expect({ code: closed.code, reason: closed.reason }).toEqual({
      code: 4429,
      reason: 'Too many initialisation requests',
    });
    expect(ws.messages.filter((m) => m.type === 'connection_ack')).toHaveLength(1);
  });

  it('closes with 4500 when a client sends a message only servers send (graphql-ws rejects it as an internal error)', async () => {
    const ws = await acknowledged(server.wsUrl);
    ws.send({ id: 'x', type: 'next', payload: { data: null } });
    const closed = await ws.closed;
    // Outside production the reason is graphql-ws's own message.
    expect({ code: closed.code, reason: closed.reason }).toEqual({
      code: 4500,
      reason: 'Unexpected message of type next received',
    });
  });
});

describe('graphql-ws close codes with ROUTER_SECRET set', () => {
  const SECRET = 'conformance-router-secret';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { ROUTER_SECRET: SECRET } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('closes with 4403 a connection_init carrying a wrong router secret or none, and acknowledges the right one', async () => {
    const outcomes: Record<string, number | string> = {};
    for (const [label, payload] of [
      ['wrong secret', { [ROUTER_SECRET_PARAM]: `${SECRET}-but-wrong` }],
      ['no secret', undefined],
      ['secret of the wrong type', { [ROUTER_SECRET_PARAM]: 42 }],
    ] as const) {
      const ws = await open(server.wsUrl);
      ws.send(payload ? { type: 'connection_init', payload } : { type: 'connection_init' });
      const closed = await ws.closed;
      outcomes[label] = `${closed.code} ${closed.reason}`;
      expect(ws.messages).toEqual([]);
    }
    const right = await acknowledged(server.wsUrl, { [ROUTER_SECRET_PARAM]: SECRET });
    outcomes['right secret'] = String(right.messages[0]?.type);
    expect(outcomes).toEqual({
      'wrong secret': '4403 Forbidden',
      'no secret': '4403 Forbidden',
      'secret of the wrong type': '4403 Forbidden',
      'right secret': 'connection_ack',
    });
  });
});

describe('graphql-ws close codes around the connection hook (ServerDeps.onConnect, the place for per-user auth)', () => {
  /** The real server with an authentication hook, as an embedding application would pass one. */
  async function withHook(
    onConnect: ConnectHook,
    env: Record<string, string> = {},
  ): Promise<RunningServer & { close(): Promise<void> }> {
    const simulator = await startSimulator({ stepMs: 60_000 });
    const server = await createServer(resolveConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env }), {
      simulator,
      logger: createLogger('silent'),
      onConnect,
    });
    return Object.assign(server, {
      async close() {
        await server.stop();
        await simulator.stop();
      },
    });
  }

  it('closes with 4401 when a subscribe arrives after connection_init but while the hook is still deciding', async () => {
    let decided = false;
    const server = await withHook(async () => {
      await new Promise((r) => setTimeout(r, 300));
      decided = true;
      return true;
    });
    try {
      const ws = await open(server.wsUrl);
      ws.send({ type: 'connection_init' });
      ws.send({ id: 'too-soon', type: 'subscribe', payload: { query: '{ __typename }' } });
      const closed = await ws.closed;
      expect({ code: closed.code, reason: closed.reason, decided }).toEqual({
        code: 4401,
        reason: 'Unauthorized',
        decided: false,
      });
      expect(ws.messages).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('closes with 4500 when the hook throws: its error as reason outside production, a fixed reason in production', async () => {
    const reasons: Record<string, string> = {};
    for (const [label, env] of [
      ['development', {}],
      ['production', { NODE_ENV: 'production', JOBS_MODE: 'simulator' }],
    ] as const) {
      const server = await withHook(() => {
        throw new Error('auth backend unreachable');
      }, env);
      try {
        const ws = await open(server.wsUrl);
        ws.send({ type: 'connection_init' });
        const closed = await ws.closed;
        reasons[label] = `${closed.code} ${closed.reason}`;
        expect(ws.messages).toEqual([]);
      } finally {
        await server.close();
      }
    }
    expect(reasons).toEqual({
      development: '4500 auth backend unreachable',
      production: '4500 Internal server error',
    });
  });
});
