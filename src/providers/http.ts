/**
 * The one place provider calls touch the network: an undici Agent (a keep-alive pool per origin)
 * with connect/headers/body timeouts, an overall deadline and a response size limit. Failures
 * leave as {@link JobError}s with transport codes; provider-specific error bodies are mapped by
 * each provider's own module.
 */
import type { LookupFunction } from 'node:net';
import { Agent, errors as undiciErrors, util as undiciUtil, type Dispatcher } from 'undici';
import { DEFAULTS, type HttpSettings } from '../config.js';
import { JobError } from '../errors.js';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** Config's `http` settings plus the per-attempt deadline; each one left out is its DEFAULTS value. */
export interface HttpTransportOptions extends Partial<HttpSettings> {
  /** Whole attempt, connect to last byte (config `providerDeadlineMs`). */
  deadlineMs?: number;
  /** Test seam: the DNS lookup sockets use. @default dns.lookup */
  lookup?: LookupFunction;
}

/**
 * Connection failures that may clear by themselves. `EAI_AGAIN` is the resolver failing for now
 * (a DNS server timing out or answering SERVFAIL): asking again later can work.
 */
const CONNECTION_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The resolver's definite answer that the host has no address (NXDOMAIN, or no A/AAAA record): a
 * region the service is not offered in, or a mistyped endpoint override. Asking again cannot help,
 * and it says nothing about the provider's health (docs/providers.md#regions).
 */
const HOST_UNKNOWN = 'ENOTFOUND';

export class HttpTransport {
  readonly #agent: Agent;
  readonly #deadlineMs: number;
  readonly #headersTimeoutMs: number;
  readonly #bodyTimeoutMs: number;
  readonly #maxBodyBytes: number;

  constructor(options: HttpTransportOptions = {}) {
    const o = { ...DEFAULTS.http, deadlineMs: DEFAULTS.providerDeadlineMs, ...definedOnly(options) };
    this.#deadlineMs = o.deadlineMs;
    this.#headersTimeoutMs = o.headersTimeoutMs;
    this.#bodyTimeoutMs = o.bodyTimeoutMs;
    this.#maxBodyBytes = o.maxBodyBytes;
    this.#agent = new Agent({
      connect: { timeout: o.connectTimeoutMs, ...(options.lookup ? { lookup: options.lookup } : {}) },
      connections: o.connectionsPerOrigin,
      keepAliveTimeout: o.keepAliveTimeoutMs,
    });
  }

  /**
   * Sends one request and reads the whole body. `provider` only labels errors.
   * @throws JobError PROVIDER_TIMEOUT | PROVIDER_UNAVAILABLE | PROVIDER_MISCONFIGURED | PROVIDER_BAD_RESPONSE
   */
  send(provider: string, req: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const exchange = new Exchange(provider, this.#maxBodyBytes, this.#deadlineMs, signal, resolve, reject);
      if (exchange.settled) return; // the caller had already given up
      this.#agent.dispatch(
        {
          origin: req.url.origin,
          path: req.url.pathname + req.url.search,
          method: req.method,
          headers: req.headers,
          body: req.body ?? null,
          headersTimeout: this.#headersTimeoutMs,
          bodyTimeout: this.#bodyTimeoutMs,
        },
        exchange,
      );
    });
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/**
 * One request as an undici dispatch handler: status, headers and body are collected straight from
 * the connection. This replaces `Agent.request`, whose response stream, async iteration and
 * per-attempt AbortSignal pair cost more CPU than the rest of a provider call's HTTP work. The
 * attempt deadline is a plain timer, cancellation a listener on the caller's signal; either one
 * settles the promise at once and aborts the exchange (when undici hands over the abort function,
 * if the request is still queued for a connection).
 */
class Exchange implements Dispatcher.DispatchHandler, EventListenerObject {
  settled = false;
  #deadlineHit = false;
  #abort: ((reason: Error) => void) | null = null;
  #abortReason: Error | null = null;
  #status = 0;
  #headers: Record<string, string> | null = null;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly provider: string,
    readonly maxBodyBytes: number,
    deadlineMs: number,
    readonly signal: AbortSignal | undefined,
    readonly resolve: (res: HttpResponse) => void,
    readonly reject: (err: JobError) => void,
  ) {
    this.#timer = setTimeout(
      () => this.#stop(new Error(`attempt deadline of ${deadlineMs} ms passed`), true),
      deadlineMs,
    );
    // The exchange itself is the abort listener (handleEvent): no closure per attempt.
    if (signal?.aborted) this.handleEvent();
    else signal?.addEventListener('abort', this, { once: true });
  }

  /** The caller's signal aborted: the caller gave up on this call. */
  handleEvent(): void {
    this.#stop(new Error(`${this.provider} call was cancelled`), false);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#abortReason) abort(this.#abortReason);
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // Informational (1xx) answers come before the real one.
    if (statusCode < 200) return true;
    this.#status = statusCode;
    this.#headers = flatHeaders(undiciUtil.parseHeaders(rawHeaders));
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#size += chunk.length;
    if (this.#size > this.maxBodyBytes) {
      const err = new JobError(
        'PROVIDER_BAD_RESPONSE',
        `${this.provider} response body exceeds ${this.maxBodyBytes} bytes`,
        { provider: this.provider, httpStatus: this.#status },
      );
      this.#finish();
      this.reject(err);
      this.#abort?.(err);
      return false;
    }
    this.#chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.#finish();
    const chunks = this.#chunks;
    const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ status: this.#status, headers: this.#headers ?? {}, body });
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.#finish();
    this.reject(toTransportError(this.provider, err, this.#deadlineHit, this.signal?.aborted ?? false));
  }

  /** The deadline passed or the caller gave up: settle now, and stop the exchange. */
  #stop(reason: Error, deadline: boolean): void {
    if (this.settled) return;
    this.#deadlineHit = deadline;
    this.onError(reason);
    if (this.#abort) this.#abort(reason);
    else this.#abortReason = reason;
  }

  #finish(): void {
    this.settled = true;
    clearTimeout(this.#timer);
    this.signal?.removeEventListener('abort', this);
  }
}

/** Lower-case names (as undici's parser gives them), repeated headers joined with ", ". */
function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function toTransportError(provider: string, err: unknown, deadlineHit: boolean, callerAborted: boolean): JobError {
  if (err instanceof JobError) return err;
  if (callerAborted)
    return new JobError('PROVIDER_TIMEOUT', `${provider} call was cancelled`, { provider }, { cause: err });
  if (
    deadlineHit ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new JobError('PROVIDER_TIMEOUT', `${provider} did not answer in time`, { provider }, { cause: err });
  }
  const code = (err as { code?: string }).code;
  if (code === HOST_UNKNOWN) {
    // No host in the message: an override may name an internal one, and clients see this text.
    return new JobError(
      'PROVIDER_MISCONFIGURED',
      `${provider} endpoint host does not resolve (${HOST_UNKNOWN}): check the region, and the endpoint override if one is set`,
      { provider },
      { cause: err },
    );
  }
  if (err instanceof undiciErrors.SocketError || (code && CONNECTION_ERRORS.has(code))) {
    return new JobError(
      'PROVIDER_UNAVAILABLE',
      `${provider} connection failed (${code ?? 'socket closed'})`,
      { provider },
      { cause: err },
    );
  }
  return new JobError('PROVIDER_UNAVAILABLE', `${provider} call failed`, { provider }, { cause: err });
}

/** An option passed as undefined means "not given", so it must not hide the default. */
function definedOnly(o: HttpTransportOptions): HttpTransportOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
