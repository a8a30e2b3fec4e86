/**
 * A strict receiver of Apollo's HTTP callback protocol (`callback/1.0`), written from the protocol
 * text (apollographql/router docs, "HTTP Callback Protocol for GraphQL Subscriptions") and as strict
 * as the strictest receiver that implements it:
 *
 * - `POST /callback/<id>` only; the body's `id` must be the path's (else 400);
 * - every message must carry `subscription-protocol: callback/1.0` (else 400, as Hive Router does)
 *   and `content-type: application/json` exactly (Hive Gateway parses nothing else; else 400);
 * - `kind` must be `subscription` and `action` one of check/next/complete (else 400);
 * - an unknown or forgotten id is 404; a wrong verifier 401;
 * - `check` is answered 204 with the protocol header, `next` 200, `complete` 202 (after which
 *   the subscription is forgotten: later messages get 404).
 *
 * Every request is recorded with its arrival time, accepted or not. Tests can make it answer a
 * status N times for a subscription (`failNext`), or forget a subscription (`forget`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from './server.js';

export interface ReceivedMessage {
  /** performance.now() at arrival (the same clock as the test's). */
  at: number;
  /** From the path. */
  id: string;
  action: string | undefined;
  body: Record<string, unknown> | null;
  headers: http.IncomingHttpHeaders;
  /** What the receiver answered. */
  status: number;
}

interface Registered {
  verifier: string;
  forgotten: boolean;
  /** Statuses to answer next, whatever the message. */
  scripted: number[];
  /** Delays (ms) before answering the next messages. */
  delays: number[];
}

export interface CallbackExtensionInput {
  callbackUrl: string;
  subscriptionId: string;
  verifier: string;
  heartbeatIntervalMs: number;
}

export class CallbackReceiver {
  readonly messages: ReceivedMessage[] = [];
  readonly #subs = new Map<string, Registered>();
  readonly #waiters = new Set<() => void>();

  private constructor(
    private readonly server: http.Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<CallbackReceiver> {
    const server = http.createServer();
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new CallbackReceiver(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => receiver.#handle(req, res));
    return receiver;
  }

  /** A subscription the receiver will accept, as a router generates it; the extension to send. */
  register(heartbeatIntervalMs: number, id: string = randomUUID()): CallbackExtensionInput {
    const verifier = randomBytes(16).toString('hex');
    this.#subs.set(id, { verifier, forgotten: false, scripted: [], delays: [] });
    return { callbackUrl: `${this.baseUrl}/callback/${id}`, subscriptionId: id, verifier, heartbeatIntervalMs };
  }

  /** The router dropped the subscription: every later message for it gets 404. */
  forget(id: string): void {
    const sub = this.#subs.get(id);
    if (sub) sub.forgotten = true;
  }

  /** Answers the next `times` messages for `id` with `status` (and records them as such). */
  failNext(id: string, status: number, times: number): void {
    this.#subs.get(id)?.scripted.push(...Array<number>(times).fill(status));
  }

  /** Answers the next `times` messages for `id` only after `ms` (a slow receiver). */
  delayNext(id: string, ms: number, times: number): void {
    this.#subs.get(id)?.delays.push(...Array<number>(times).fill(ms));
  }

  /** Messages for one subscription, in arrival order (accepted or not). */
  for(id: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.id === id);
  }

  /** Accepted messages for one subscription. */
  accepted(id: string): ReceivedMessage[] {
    return this.for(id).filter((m) => m.status >= 200 && m.status < 300);
  }

  /** Waits until `done()` holds (re-checked on every message) or `timeoutMs` passes; never throws. */
  async until(done: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve();
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const id = /^\/callback\/([^/?]+)$/.exec(req.url ?? '')?.[1] ?? '';
      let body: Record<string, unknown> | null = null;
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        body = null;
      }
      const status = this.#answer(req, id, body);
      this.messages.push({
        at,
        id,
        action: typeof body?.action === 'string' ? body.action : undefined,
        body,
        headers: req.headers,
        status,
      });
      const reply = () => {
        res.statusCode = status;
        if (status === 204 || status === 404) res.setHeader('subscription-protocol', 'callback/1.0');
        res.end(status === 204 ? undefined : status >= 400 ? `{"error":${status}}` : '');
      };
      const delay = this.#subs.get(id)?.delays.shift();
      if (delay === undefined) reply();
      else setTimeout(reply, delay);
      for (const w of [...this.#waiters]) w();
    });
  }

  #answer(req: http.IncomingMessage, id: string, body: Record<string, unknown> | null): number {
    if (req.method !== 'POST' || !id) return 404;
    if (req.headers['subscription-protocol'] !== 'callback/1.0') return 400;
    if (req.headers['content-type'] !== 'application/json') return 400;
    if (!body || body.kind !== 'subscription' || body.id !== id) return 400;
    if (!['check', 'next', 'complete'].includes(body.action as string)) return 400;
    const sub = this.#subs.get(id);
    if (!sub || sub.forgotten) return 404;
    if (body.verifier !== sub.verifier) return 401;
    const scripted = sub.scripted.shift();
    if (scripted !== undefined) return scripted;
    if (body.action === 'next' && !(body.payload && typeof body.payload === 'object')) return 400;
    if (body.action === 'check') return 204;
    if (body.action === 'complete') {
      sub.forgotten = true;
      return 202;
    }
    return 200;
  }
}

/** The body a router in callback mode POSTs to the subgraph. */
export function callbackRequestBody(
  query: string,
  variables: Record<string, unknown> | undefined,
  subscription: CallbackExtensionInput,
): string {
  return JSON.stringify({ query, variables, extensions: { subscription } });
}

/** POSTs a callback-mode subscription request as a router does; resolves with status, body and answer time. */
export async function subscribeViaCallback(
  graphqlUrl: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  subscription: CallbackExtensionInput,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; answeredAt: number }> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json;callbackSpec=1.0',
      ...headers,
    },
    body: callbackRequestBody(query, variables, subscription),
  });
  const answeredAt = performance.now();
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, answeredAt };
}

/**
 * The server under test, polling every 20–40 ms unless `env` says otherwise, and a receiver for
 * its callbacks; `stop` ends both.
 */
export async function startServerAndReceiver(
  options: { env?: Record<string, string>; stepMs?: number } = {},
): Promise<{ server: TestServer; receiver: CallbackReceiver; stop: () => Promise<void> }> {
  const server = await startTestServer({
    ...(options.stepMs === undefined ? {} : { stepMs: options.stepMs }),
    env: { JOBS_POLL_MIN_INTERVAL_MS: '20', JOBS_POLL_MAX_INTERVAL_MS: '40', ...options.env },
  });
  const receiver = await CallbackReceiver.start().catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  return {
    server,
    receiver,
    stop: async () => {
      await receiver.stop();
      await server.stop();
    },
  };
}
