/**
 * Bench child: one server under test in its own process, so the CPU time and heap it reports over
 * IPC are its own. The harness passes the configuration through the environment. Modes
 * (BENCH_SERVER_MODE):
 * - `subgraph`:    the real server (createServer), live mode against the bench fakes.
 * - `ws-baseline`: the same services, plus plain graphql-ws `useServer` + buildSubgraphSchema on a
 *                  second port, executing every subscriber's operation itself: the fan-out baseline.
 * - `ws-free`:     plain graphql-ws `useServer` + buildSubgraphSchema and nothing else: no poll
 *                  engine, no provider calls. Status changes are made in-process by timers at the
 *                  fakes' pace (`changes`), so they cost nothing: the "free changes" fan-out baseline,
 *                  paying only for execution and delivery.
 * - `static`:      a bare @apollo/server (standalone) whose `job` returns a static object of the
 *                  same shape: the query baseline.
 * Nothing here exists in production code: the IPC "debug endpoint" lives only in this harness.
 */
import http from 'node:http';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { GraphQLDateTime, GraphQLJSON, GraphQLLong } from 'graphql-scalars';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { resolveConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { createLogger } from '../src/logger.js';
import { createSchema, loadTypeDefs } from '../src/schema/index.js';
import { createServer, type RunningServer } from '../src/server.js';
import { serve } from './lib/ipc.js';

const mode = process.env.BENCH_SERVER_MODE ?? 'subgraph';
const gc = (globalThis as { gc?: () => void }).gc;

/** A DLI job as the mapper builds it, fixed: what the static baseline answers. */
export const STATIC_DLI_JOB = {
  provider: 'DLI',
  id: 'DLI:cn-north-4:0a1b2c3d4e5f60718293a4b5c6d7e8f9:static-1',
  region: 'cn-north-4',
  projectId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  jobId: 'static-1',
  state: 'SUCCEEDED',
  rawStatus: 'FINISHED',
  terminal: true,
  startedAt: new Date(1_767_225_600_000),
  finishedAt: new Date(1_767_225_612_000),
  providerRequestId: 'static-request-id',
  isSuccess: true,
  message: '',
  jobType: 'QUERY',
  jobMode: 'async',
  queueName: 'default',
  owner: 'bench',
  startTime: new Date(1_767_225_600_000),
  durationMs: 12_000,
  status: 'FINISHED',
  inputRowCount: 0,
  badRowCount: 0,
  inputSizeBytes: 0,
  resultCount: 0,
  databaseName: null,
  tableName: null,
  detail: null,
  columns: null,
  statement: null,
  tags: [],
  userConf: null,
  resultFormat: null,
  resultPath: null,
  executionDetailsPath: null,
};

let server: RunningServer | null = null;
let profiler: Session | null = null;
let info: Record<string, unknown>;

if (mode === 'static') {
  const typename = () => 'DliJob';
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(loadTypeDefs()),
      resolvers: {
        DateTime: GraphQLDateTime,
        Long: GraphQLLong,
        JSON: GraphQLJSON,
        Query: { job: () => STATIC_DLI_JOB, jobs: () => [STATIC_DLI_JOB] },
        Job: { __resolveType: typename },
        CloudJob: { __resolveType: typename },
      } as never,
    }),
  });
  const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });
  info = { url };
} else if (mode === 'ws-free') {
  const httpServer = http.createServer();
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const typename = (job: { __typename: string }) => job.__typename;
  const schema = buildSubgraphSchema({
    typeDefs: parse(loadTypeDefs()),
    resolvers: {
      DateTime: GraphQLDateTime,
      Long: GraphQLLong,
      JSON: GraphQLJSON,
      Subscription: {
        jobStatusChanged: {
          subscribe: (_: unknown, args: { refs: { jobId: string }[] }) => listen(args.refs.map((r) => r.jobId)),
          resolve: (change: FreeChange) => change,
        },
      },
      Job: { __resolveType: typename },
      CloudJob: { __resolveType: typename },
    } as never,
  });
  useServer({ schema }, wss);
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  info = { url: '', wsUrl: `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql` };
} else {
  const config = resolveConfig(process.env);
  server = await createServer(config, { logger: createLogger(config.logLevel) });
  info = { url: server.url, wsUrl: server.wsUrl };
  if (mode === 'ws-baseline') {
    const httpServer = http.createServer();
    const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
    const services = server.services;
    useServer({ schema: createSchema(), context: () => createContext(services) }, wss);
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    info.wsUrl = `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`;
  }
}

// ---------------------------------------------------------------------------------------------
// `ws-free`: jobs whose status changes come from timers, and subscriptions to them.

interface FreeChange {
  at: Date;
  sequence: number;
  previousState: string | null;
  state: string;
  rawStatus: string;
  terminal: boolean;
  job: Record<string, unknown> & { __typename: string };
}
interface FreeJob {
  current: FreeChange;
  listeners: Set<(c: FreeChange) => void>;
}
const freeJobs = new Map<string, FreeJob>();
const freeTimers: NodeJS.Timeout[] = [];
const STATE: Record<string, string> = {
  RUNNING: 'RUNNING',
  SCALING: 'RUNNING',
  WAITING: 'PENDING',
  FINISHED: 'SUCCEEDED',
  SUCCESS: 'SUCCEEDED',
};

function freeChange(provider: string, jobId: string, rawStatus: string, prev: FreeChange | null): FreeChange {
  const state = STATE[rawStatus] ?? 'UNKNOWN';
  const common = {
    id: `${provider}:cn-north-4:-:${jobId}`,
    jobId,
    state,
    rawStatus,
    startedAt: new Date(1_767_225_600_000),
  };
  const job =
    provider === 'DLI'
      ? { __typename: 'DliJob', ...common, queueName: 'default', durationMs: 12_000 }
      : { __typename: 'WorkspaceJob', ...common, status: rawStatus, subJobsTotal: 1 };
  return {
    at: new Date(),
    sequence: (prev?.sequence ?? 0) + 1,
    previousState: prev ? prev.state : null,
    state,
    rawStatus,
    terminal: false,
    job,
  };
}

/** One job's snapshot first, then its changes, until graphql-ws calls `return`. */
function listen(jobIds: string[]): AsyncIterableIterator<FreeChange> {
  const queue: FreeChange[] = [];
  let wake: ((r: IteratorResult<FreeChange>) => void) | null = null;
  let done = false;
  const push = (c: FreeChange) => {
    if (wake) {
      const w = wake;
      wake = null;
      w({ value: c, done: false });
    } else queue.push(c);
  };
  const jobs = jobIds.map((id) => freeJobs.get(id)).filter((j): j is FreeJob => j !== undefined);
  for (const j of jobs) {
    j.listeners.add(push);
    queue.push(j.current);
  }
  const finish = (): Promise<IteratorResult<FreeChange>> => {
    done = true;
    for (const j of jobs) j.listeners.delete(push);
    wake?.({ value: undefined, done: true });
    wake = null;
    return Promise.resolve({ value: undefined, done: true });
  };
  return {
    next: () =>
      queue.length
        ? Promise.resolve({ value: queue.shift()!, done: false })
        : done
          ? Promise.resolve({ value: undefined, done: true })
          : new Promise((r) => (wake = r)),
    return: finish,
    throw: finish,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

serve(
  {
    /**
     * `ws-free`: every job steps through `steps[provider]` every `stepMs`, the jobs' clocks spread
     * evenly over one step, like the fakes' lifecycles (bench/fakes.ts `prepare`).
     */
    changes: (a: { jobs: { provider: string; jobId: string }[]; steps: Record<string, string[]>; stepMs: number }) => {
      a.jobs.forEach(({ provider, jobId }, i) => {
        const steps = a.steps[provider]!;
        let step = 0;
        const job: FreeJob = { current: freeChange(provider, jobId, steps[0]!, null), listeners: new Set() };
        freeJobs.set(jobId, job);
        const tick = () => {
          step = Math.min(step + 1, steps.length - 1);
          job.current = freeChange(provider, jobId, steps[step]!, job.current);
          for (const l of job.listeners) l(job.current);
        };
        freeTimers.push(setTimeout(() => freeTimers.push(setInterval(tick, a.stepMs)), (i * a.stepMs) / a.jobs.length));
      });
    },
    /** CPU time so far, and heap after full collections when `gc` is set (needs --expose-gc). */
    usage: async (a: { gc?: boolean } | null) => {
      if (a?.gc && gc) {
        for (let i = 0; i < 3; i++) {
          gc();
          await new Promise((r) => setImmediate(r));
        }
      }
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      return {
        cpuUs: cpu.user + cpu.system,
        userUs: cpu.user,
        systemUs: cpu.system,
        heapUsed: mem.heapUsed,
        rss: mem.rss,
      };
    },
    /** CPU profile of a measurement window only (BENCH_CPU_PROF=1), written as a .cpuprofile. */
    profileStart: async () => {
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    },
    profileStop: async (a: { file: string }) => {
      const { profile } = await profiler!.post('Profiler.stop');
      writeFileSync(a.file, JSON.stringify(profile));
      profiler!.disconnect();
    },
    /**
     * Jobs this server polls right now, from its own `/metrics`. With Redis a replica polls exactly
     * the jobs whose lease it holds, so the same number counts its leases.
     */
    stats: async () => {
      const activePollers = server ? await pollersActive(server) : 0;
      return { activePollers, leading: activePollers };
    },
  },
  info,
);

/** `jobs_pollers_active` as the server's `/metrics` reports it. */
async function pollersActive(s: RunningServer): Promise<number> {
  const text = await (await fetch(s.url.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith('jobs_pollers_active '));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

process.once('SIGTERM', () => {
  void (server ? server.stop() : Promise.resolve()).finally(() => process.exit(0));
});
