/**
 * Bench child: one server under test in its own process, so the CPU time and heap it reports over
 * IPC are its own. The harness passes the configuration through the environment. Modes
 * (BENCH_SERVER_MODE):
 * - `subgraph`:    the real server (createServer), live mode against the bench fakes.
 * - `ws-baseline`: the same services, plus plain graphql-ws `useServer` + buildSubgraphSchema on a
 *                  second port, executing every subscriber's operation itself: the fan-out baseline.
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

serve(
  {
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
