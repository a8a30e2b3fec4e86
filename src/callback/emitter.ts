/**
 * Sends callback messages (`check`, `next`, `complete`) to a router's callback URL: every POST
 * carries `content-type: application/json` (exactly: Hive Gateway parses nothing else) and
 * `subscription-protocol: callback/1.0`, has a deadline, and is retried with backoff on a 5xx,
 * 408, 429, a timeout or a network error. A 404 means the receiver forgot the subscription and any
 * other 4xx that it refuses it: neither is retried. Redirects are not followed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import type { CallbackSettings } from '../config.js';

export type CallbackAction = 'check' | 'next' | 'complete';

/** One attempt's outcome, the `outcome` label of `jobs_callback_messages_total`. */
export type AttemptOutcome = 'ok' | 'not_found' | 'rejected' | 'server_error' | 'network_error';

export interface SendResult {
  /** The last attempt's outcome. */
  outcome: AttemptOutcome;
  /** The last answer's status (none after a network error). */
  status?: number;
}

export const PROTOCOL_HEADER = 'subscription-protocol';
export const PROTOCOL_VERSION = 'callback/1.0';

const HEADERS = { 'content-type': 'application/json', [PROTOCOL_HEADER]: PROTOCOL_VERSION };

export interface EmitterOptions extends Pick<
  CallbackSettings,
  'timeoutMs' | 'maxAttempts' | 'retryBaseMs' | 'retryMaxDelayMs'
> {
  /** Every attempt, for metrics. */
  onAttempt?: (action: CallbackAction, outcome: AttemptOutcome) => void;
}

export class CallbackEmitter {
  readonly #agent: Dispatcher;

  constructor(private readonly o: EmitterOptions) {
    this.#agent = new Agent({
      connections: 64,
      keepAliveTimeout: 10_000,
      connectTimeout: o.timeoutMs,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
    });
  }

  /**
   * POSTs one message until it is answered, given up on, or `signal` aborts. `accept` decides
   * which statuses are success (any 2xx unless told otherwise).
   */
  async send(
    url: URL,
    action: CallbackAction,
    body: Buffer,
    accept: (status: number) => boolean = (s) => s >= 200 && s < 300,
    signal?: AbortSignal,
  ): Promise<SendResult> {
    let result: SendResult = { outcome: 'network_error' };
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      if (attempt > 1) {
        const delay = Math.min(this.o.retryMaxDelayMs, this.o.retryBaseMs * 2 ** (attempt - 2));
        try {
          await sleep(delay, undefined, signal ? { signal } : undefined);
        } catch {
          return result; // aborted while waiting
        }
      }
      result = await this.#attempt(url, body, accept, signal);
      this.o.onAttempt?.(action, result.outcome);
      if (result.outcome !== 'server_error' && result.outcome !== 'network_error') return result;
      if (signal?.aborted) return result;
    }
    return result;
  }

  async #attempt(
    url: URL,
    body: Buffer,
    accept: (status: number) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<SendResult> {
    const deadline = AbortSignal.timeout(this.o.timeoutMs);
    try {
      const res = await request(url, {
        method: 'POST',
        headers: HEADERS,
        body,
        dispatcher: this.#agent,
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
      // The answer's body is not needed; reading it frees the connection for the next message.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const status = res.statusCode;
      if (accept(status)) return { outcome: 'ok', status };
      if (status === 404) return { outcome: 'not_found', status };
      if (status >= 500 || status === 408 || status === 429) return { outcome: 'server_error', status };
      return { outcome: 'rejected', status };
    } catch {
      return { outcome: 'network_error' };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
