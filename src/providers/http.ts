/**
 * The one place provider calls touch the network: an undici Agent (a keep-alive pool per origin)
 * with connect/headers/body timeouts, an overall deadline and a response size limit. Failures
 * leave as {@link JobError}s with transport codes; provider-specific error bodies are mapped by
 * each provider's own module.
 */
import type { LookupFunction } from 'node:net';
import { Agent, errors as undiciErrors } from 'undici';
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
  async send(provider: string, req: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const deadline = AbortSignal.timeout(this.#deadlineMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const res = await this.#agent.request({
        origin: req.url.origin,
        path: req.url.pathname + req.url.search,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: combined,
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: this.#bodyTimeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.#maxBodyBytes) {
          res.body.destroy();
          throw new JobError('PROVIDER_BAD_RESPONSE', `${provider} response body exceeds ${this.#maxBodyBytes} bytes`, {
            provider,
            httpStatus: res.statusCode,
          });
        }
        chunks.push(chunk);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: res.statusCode, headers, body: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      throw toTransportError(provider, err, deadline.aborted, signal?.aborted ?? false);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
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
