/**
 * A real graphql-ws client with a message queue, so tests await the next event instead of
 * sleeping (after graphql-ws's own test utilities).
 */
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface Subscription {
  /** Resolves with the next result, or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<FormattedExecutionResult<Record<string, unknown>, unknown>>;
  /** Resolves when the server completes the subscription. */
  completed: Promise<void>;
  /** Every result received so far. */
  results: FormattedExecutionResult<Record<string, unknown>, unknown>[];
  unsubscribe(): void;
}

export function connect(
  url: string,
  options: { connectionParams?: Record<string, unknown>; lazy?: boolean } = {},
): Client & { closeCodes: number[] } {
  const closeCodes: number[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: options.lazy ?? true,
    retryAttempts: 0,
    connectionParams: options.connectionParams,
    on: { closed: (e) => closeCodes.push((e as { code: number }).code) },
  });
  return Object.assign(client, { closeCodes });
}

export function subscribe(client: Client, query: string, variables?: Record<string, unknown>): Subscription {
  const results: FormattedExecutionResult<Record<string, unknown>, unknown>[] = [];
  const waiters: ((r: FormattedExecutionResult<Record<string, unknown>, unknown>) => void)[] = [];
  let read = 0;
  let complete!: () => void;
  let fail!: (e: unknown) => void;
  const completed = new Promise<void>((resolve, reject) => {
    complete = resolve;
    fail = reject;
  });
  const unsubscribe = client.subscribe<Record<string, unknown>>(
    { query, variables },
    {
      next: (r) => {
        results.push(r);
        waiters.shift()?.(r);
      },
      error: (e) => fail(e),
      complete: () => complete(),
    },
  );
  // Tests that never await completion must not see an unhandled rejection when the server goes away.
  completed.catch(() => undefined);
  return {
    results,
    completed,
    unsubscribe,
    next(timeoutMs = 5_000) {
      if (read < results.length) return Promise.resolve(results[read++]!);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no subscription event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((r) => {
          clearTimeout(t);
          read++;
          resolve(r);
        });
      });
    },
  };
}
