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
  query<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResult<T>>;
  /** Requests the fakes received, per provider, since the last reset. */
  providerCalls(): number;
}

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export async function startTestServer(
  options: { env?: Record<string, string>; stepMs?: number; clock?: ManualClock; logger?: Logger; simulator?: Simulator; replicaId?: string } = {},
): Promise<TestServer> {
  const { clock } = options;
  const ownsSimulator = !options.simulator;
  const simulator = options.simulator ?? (await startSimulator({ stepMs: options.stepMs ?? 1_000, ...(clock ? { now: () => clock.now() } : {}) }));
  const config = resolveConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...options.env });
  const server = await createServer(config, {
    simulator,
    logger: options.logger ?? createLogger('silent'),
    ...(options.replicaId ? { replicaId: options.replicaId } : {}),
    ...(clock ? { clock, now: () => new Date(clock.now()), random: () => 0.5 } : {}),
  });
  const stop = server.stop;
  return Object.assign(server, {
    simulator,
    stop: async () => {
      await stop();
      if (ownsSimulator) await simulator.stop();
    },
    async query<T>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GqlResult<T>> {
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) } as GqlResult<T>;
    },
    providerCalls: () => Object.values(simulator.fakes).reduce((n, f) => n + f.requests.length, 0),
  }) as TestServer;
}
