/**
 * A loopback HTTP server that plays one provider API. It records every request, can be scripted
 * to answer the next requests with faults (status + body, a hang, a reset connection) before
 * anything else looks at them, or with answers that the provider's gateway gives only once a
 * request has passed its checks (documented API errors, unusual bodies), and hands the rest to the
 * provider's handler. The built-in simulator (`JOBS_MODE=simulator`) and the test suite use the
 * same servers.
 */
import { DEFAULTS } from '../config.js';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path without the query string, still percent-encoded as sent. */
  path: string;
  /** The raw query string without '?', as sent (signatures cover the exact encoding). */
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** Epoch ms when the request arrived (wall clock, for spacing assertions). */
  receivedAt: number;
}

/** The parts of a received request a signature covers (what the fakes' verifiers read). */
export type ReceivedRequest = Pick<FakeRequest, 'method' | 'path' | 'rawQuery' | 'headers' | 'body'>;

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body: unknown;
}

/** A scripted answer: a reply, or a transport-level fault. */
export type FakeFault =
  | FakeReply
  | { kind: 'hang' } // accept and never answer (deadline tests)
  | { kind: 'reset' } // destroy the socket before any response
  | { kind: 'reset-mid-body'; status?: number; partialBody: string }; // headers and part of the body, then destroy

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

export class FakeProviderServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #faults: FakeFault[] = [];
  readonly #answers: FakeReply[] = [];
  readonly #handler: FakeHandler;
  /** Every request received, oldest first (kept to the last 10 000). */
  readonly requests: FakeRequest[] = [];
  #url = '';
  #active = 0;
  /** Added delay before every answer, in ms (simulates provider latency). */
  latencyMs = 0;
  /** Most requests seen in progress at once since the last reset. */
  maxConcurrent = 0;

  constructor(
    readonly name: string,
    handler: FakeHandler,
  ) {
    this.#handler = handler;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = req.url ?? '/';
        const q = raw.indexOf('?');
        const fake: FakeRequest = {
          method: req.method ?? 'GET',
          path: q === -1 ? raw : raw.slice(0, q),
          rawQuery: q === -1 ? '' : raw.slice(q + 1),
          query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        this.requests.push(fake);
        if (this.requests.length > DEFAULTS.simulator.requestLogEntries) this.requests.shift();
        void this.#answer(fake, res);
      });
    });
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  /** Base URL, e.g. `http://127.0.0.1:39123`. */
  get url(): string {
    return this.#url;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    const addr = this.#server.address() as AddressInfo;
    this.#url = `http://${host}:${addr.port}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The next requests get these answers, in order, before the handler sees any request again. */
  enqueueFaults(...faults: FakeFault[]): void {
    this.#faults.push(...faults);
  }

  /**
   * The next requests that pass the provider's own checks (signature, clock, nonce, route) get
   * these answers, in order, instead of the job's: a request the gateway refuses leaves them
   * queued. The vendor fakes stamp request ids on them (see `takeAnswer`).
   */
  enqueueAnswers(...answers: FakeReply[]): void {
    this.#answers.push(...answers);
  }

  /** For the vendor gateways: the next scripted answer, once a request has passed their checks. */
  takeAnswer(): FakeReply | undefined {
    return this.#answers.shift();
  }

  /** Forgets scripted faults and answers alike. */
  clearFaults(): void {
    this.#faults.length = 0;
    this.#answers.length = 0;
  }

  /** Forget recorded requests (counts start again from zero). */
  resetRequests(): void {
    this.requests.length = 0;
    this.maxConcurrent = 0;
  }

  async #answer(req: FakeRequest, res: ServerResponse): Promise<void> {
    this.#active++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.#active);
    res.on('close', () => this.#active--);
    const fault = this.#faults.shift();
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (fault && 'kind' in fault) {
      if (fault.kind === 'hang') return;
      if (fault.kind === 'reset') {
        res.socket?.destroy();
        return;
      }
      res.writeHead(fault.status ?? 200, {
        'content-type': 'application/json',
        'content-length': String(fault.partialBody.length * 2),
      });
      res.write(fault.partialBody);
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }
    let reply: FakeReply;
    try {
      reply = fault ?? (await this.#handler(req));
    } catch (err) {
      reply = { status: 500, body: { error: 'fake handler crashed', detail: String(err) } };
    }
    const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json;charset=UTF-8', ...reply.headers });
    res.end(body);
  }
}
