import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';
import { startHiveGateway, type HiveGateway } from './fixtures/hive-gateway.js';
import { compose, jobsSdl, supergraphSdl } from './fixtures/supergraph.js';
import { startTicketsSubgraph, type TicketsSubgraph } from './fixtures/tickets-subgraph.js';

let jobs: TestServer;
let tickets: TicketsSubgraph;
let gateway: HiveGateway;
beforeAll(async () => {
  // Real time, fast: a lifecycle step every 200 ms, polled every 50-100 ms.
  jobs = await startTestServer({
    stepMs: 200,
    env: { JOBS_POLL_MIN_INTERVAL_MS: '50', JOBS_POLL_MAX_INTERVAL_MS: '100' },
  });
  tickets = await startTicketsSubgraph();
  gateway = await startHiveGateway(supergraphSdl(compose({ sdl: await jobsSdl(jobs), url: jobs.url }, tickets)));
});
afterAll(async () => {
  await gateway?.stop();
  await tickets?.stop();
  await jobs?.stop();
});

const WATCH = /* GraphQL */ `
  subscription ($refs: [JobRef!]!) {
    jobStatusChanged(refs: $refs) {
      rawStatus
      terminal
      sequence
      job {
        __typename
        ... on DliJob {
          jobId
          owningTeam
        }
        ... on WorkspaceJob {
          jobId
          owningTeam
        }
      }
    }
  }
`;

interface Event {
  rawStatus: string;
  terminal: boolean;
  sequence: number;
  job: { __typename: string; jobId: string; owningTeam: string };
}

describe('subscriptions through Hive Gateway', () => {
  it('streams jobStatusChanged over graphql-ws with the tickets subgraph’s field merged into every event, and completes at the terminal state', async () => {
    const client = connect(gateway.wsUrl);
    try {
      const started = Date.now();
      const sub = subscribe(client, WATCH, {
        refs: [
          { provider: 'DLI', jobId: 'gw-etl-1' },
          { provider: 'WORKSPACE', jobId: 'gw-ws-1' },
        ],
      });
      await sub.completed;
      const elapsed = Date.now() - started;

      expect(sub.results.flatMap((r) => r.errors ?? [])).toEqual([]);
      const events = sub.results.map((r) => r.data!.jobStatusChanged as Event);
      const statuses = (jobId: string) => events.filter((e) => e.job.jobId === jobId).map((e) => e.rawStatus);
      expect(statuses('gw-etl-1')).toEqual(['LAUNCHING', 'RUNNING', 'SCALING', 'RUNNING', 'FINISHED']);
      expect(statuses('gw-ws-1')).toEqual(['WAITING', 'RUNNING', 'SUCCESS']);
      expect(events.filter((e) => e.job.jobId === 'gw-etl-1').map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
      for (const e of events) expect(e.job.owningTeam).toBe(`team-${e.job.jobId}`);
      expect(
        events
          .filter((e) => e.terminal)
          .map((e) => e.job.jobId)
          .sort(),
      ).toEqual(['gw-etl-1', 'gw-ws-1']);

      // One upstream subscription to jobs, over graphql-ws to its /graphql; one entity fetch from tickets per event.
      expect(gateway.wsExecutors).toEqual([`jobs@${jobs.url}`]);
      expect(gateway.subgraphCalls.filter((c) => c === 'jobs:subscription')).toHaveLength(1);
      expect(gateway.subgraphCalls.filter((c) => c === 'tickets:query')).toHaveLength(events.length);
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await client.dispose();
    }
  });

  it('answers queries through the same gateway over HTTP', async () => {
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ tickets { id dliJob { jobId owningTeam state } } }' }),
    });
    const body = (await res.json()) as {
      data: { tickets: { id: string; dliJob: { jobId: string; owningTeam: string } | null }[] };
    };
    expect(body.data.tickets[0]).toMatchObject({ id: 'T-1', dliJob: { jobId: 'etl-1', owningTeam: 'team-etl-1' } });
  });
});
