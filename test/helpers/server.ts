/**
 * Starts the real server on port 0 against the real fake provider servers (the simulator), with
 * an optional manual clock shared by the poll engine, the fakes' lifecycles and the clients'
 * signing clock, so a long lifecycle runs in milliseconds.
 */
import { resolveConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { ManualClock } from './manual-clock.js';
import { createServer, type RunningServer } from '../../src/server.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

export interface TestServer extends RunningServer {
  simulator: Simulator;
  /** GraphQL over HTTP POST; returns the parsed JSON body. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GqlResult<T>>;
  /** Requests the fakes received, per provider, since the last reset. */
  providerCalls(): number;
  /** The sum of every sample of a metric on `/metrics` (0 when absent). */
  metric(name: string): Promise<number>;
  /** `/metrics` as text, for assertions on labelled samples. */
  metricsText(): Promise<string>;
  /** Jobs this server polls right now (`jobs_pollers_active`). */
  pollersActive(): Promise<number>;
  /**
   * Resolves once the provider requests this server sent have all come back and been accounted
   * for, so a manual-clock test moves time on only after the polls it triggered are done: the
   * fakes have received no more requests than `/metrics` counts finished calls and announced
   * retries, and that held for `quietMs` (a request still on its way, a short retry backoff).
   * With a manual clock, returns at once when no timer fired since it last settled. Assumes the
   * simulator is this server's alone. Never throws: the test's own assertions say what went wrong.
   */
  settled(quietMs?: number, timeoutMs?: number): Promise<void>;
}

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export async function startTestServer(
  options: {
    env?: Record<string, string>;
    stepMs?: number;
    clock?: ManualClock;
    logger?: Logger;
    simulator?: Simulator;
    replicaId?: string;
  } = {},
): Promise<TestServer> {
  const { clock } = options;
  const ownsSimulator = !options.simulator;
  const simulator =
    options.simulator ??
    (await startSimulator({ stepMs: options.stepMs ?? 1_000, ...(clock ? { now: () => clock.now() } : {}) }));
  const config = resolveConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...options.env });
  const server = await createServer(config, {
    simulator,
    logger: options.logger ?? createLogger('silent'),
    ...(options.replicaId ? { replicaId: options.replicaId } : {}),
    ...(clock ? { clock, now: () => new Date(clock.now()), random: () => 0.5 } : {}),
  });
  const stop = server.stop;
  const scrape = async () => (await fetch(server.url.replace(/\/graphql$/, '/metrics'))).text();
  let firedWhenSettled: number | undefined;
  return Object.assign(server, {
    simulator,
    stop: async () => {
      await stop();
      if (ownsSimulator) await simulator.stop();
    },
    async query<T>(
      query: string,
      variables?: Record<string, unknown>,
      headers: Record<string, string> = {},
    ): Promise<GqlResult<T>> {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) } as GqlResult<T>;
    },
    providerCalls: () => Object.values(simulator.fakes).reduce((n, f) => n + f.requests.length, 0),
    metric: async (name: string) => metricSum(await scrape(), name),
    metricsText: scrape,
    pollersActive: async () => metricSum(await scrape(), 'jobs_pollers_active'),
    settled: async (quietMs = 20, timeoutMs = 10_000) => {
      await new Promise((r) => setImmediate(r));
      if (clock && clock.fired === firedWhenSettled) return;
      const deadline = Date.now() + timeoutMs;
      let last = '';
      let quietSince = Date.now();
      while (Date.now() < deadline) {
        const metrics = await scrape();
        const received = Object.values(simulator.fakes).reduce((n, f) => n + f.requests.length, 0);
        const accounted =
          metricSum(metrics, 'jobs_provider_call_duration_seconds_count') +
          metricSum(metrics, 'jobs_provider_retries_total');
        const now = `${received}/${accounted}`;
        if (received > accounted || now !== last) {
          last = now;
          quietSince = Date.now();
        } else if (Date.now() - quietSince >= quietMs) {
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      firedWhenSettled = clock?.fired;
    },
  }) as TestServer;
}

/** Sum of a metric's samples in Prometheus text format. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `) && !line.startsWith(`${name}{`)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
