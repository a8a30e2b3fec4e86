import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startApolloGateway, type RunningGateway } from './fixtures/apollo-gateway.js';
import { compose, jobsSdl, supergraphSdl } from './fixtures/supergraph.js';
import { JOB_IDS, owningTeam, startTicketsSubgraph, type TicketsSubgraph } from './fixtures/tickets-subgraph.js';

let jobs: TestServer;
let tickets: TicketsSubgraph;
let gateway: RunningGateway;
beforeAll(async () => {
  // Each test counts its own provider calls: no answer reuse across queries (JobSource coalescing).
  jobs = await startTestServer({ env: { JOBS_QUERY_COALESCE_MS: '0' } });
  tickets = await startTicketsSubgraph();
  gateway = await startApolloGateway(supergraphSdl(compose({ sdl: await jobsSdl(jobs), url: jobs.url }, tickets)));
});
afterAll(async () => {
  await gateway?.stop();
  await tickets?.stop();
  await jobs?.stop();
});
beforeEach(() => {
  for (const f of Object.values(jobs.simulator.fakes)) f.resetRequests();
  tickets.references.length = 0;
});

const providerCalls = () =>
  Object.fromEntries(Object.entries(jobs.simulator.fakes).map(([p, f]) => [p, f.requests.length]));

describe('queries through @apollo/gateway', () => {
  it('starts in the tickets subgraph and resolves job fields here, one provider call per unique job', async () => {
    const res = await gateway.query<{ tickets: Record<string, any>[] }>(/* GraphQL */ `
      {
        tickets {
          id
          dliJob {
            id
            jobId
            state
            rawStatus
            owningTeam
          }
          workspaceJob {
            jobId
            state
            apiVersion
          }
          nlbJob {
            jobId
            status
            terminal
          }
        }
      }
    `);
    expect(res.errors).toBeUndefined();
    const [t1, t2, t3, t4] = res.data!.tickets;
    expect(t1).toMatchObject({
      dliJob: { id: JOB_IDS.etl1, jobId: 'etl-1', state: 'PENDING', rawStatus: 'LAUNCHING', owningTeam: 'team-etl-1' },
      workspaceJob: { jobId: 'ws-1', apiVersion: 'V2' },
    });
    expect(t2).toMatchObject({
      dliJob: { jobId: 'etl-1' },
      nlbJob: { jobId: 'nlb-1', status: 'processing', terminal: false },
    });
    expect(t3).toMatchObject({ dliJob: { jobId: 'etl-2' }, workspaceJob: { jobId: 'ws-1' } });
    expect(t4).toMatchObject({ dliJob: null, workspaceJob: null, nlbJob: null });
    // Six job references, four distinct jobs.
    expect(providerCalls()).toEqual({ DATAWORKS: 0, NLB: 1, CFW: 0, DLI: 2, WORKSPACE: 1 });
  });

  it('starts with Query.jobs here and fetches the tickets subgraph’s fields for each job', async () => {
    const refs = [
      { provider: 'DLI', jobId: 'etl-1' },
      { provider: 'WORKSPACE', jobId: 'ws-1' },
      { provider: 'DLI', jobId: 'etl-1' },
      { provider: 'DLI', jobId: 'etl-9' },
    ];
    const res = await gateway.query<{ jobs: Record<string, any>[] }>(
      /* GraphQL */ `
        query ($refs: [JobRef!]!) {
          jobs(refs: $refs) {
            __typename
            ... on DliJob {
              id
              state
              owningTeam
              tickets {
                id
                title
              }
            }
            ... on WorkspaceJob {
              id
              state
              owningTeam
              tickets {
                id
              }
            }
          }
        }
      `,
      { refs },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.jobs.map((j) => [j.__typename, j.owningTeam, j.tickets.map((t: { id: string }) => t.id)])).toEqual(
      [
        ['DliJob', owningTeam(JOB_IDS.etl1), ['T-1', 'T-2']],
        ['WorkspaceJob', owningTeam(JOB_IDS.ws1), ['T-1', 'T-3']],
        ['DliJob', owningTeam(JOB_IDS.etl1), ['T-1', 'T-2']],
        ['DliJob', 'team-etl-9', []],
      ],
    );
    expect(providerCalls()).toEqual({ DATAWORKS: 0, NLB: 0, CFW: 0, DLI: 2, WORKSPACE: 1 });
    expect(new Set(tickets.references.map((r) => r.id))).toEqual(
      new Set([JOB_IDS.etl1, JOB_IDS.ws1, res.data!.jobs[3]!.id]),
    );
  });

  it('passes a job error from this subgraph through the gateway with its code, and keeps the other tickets', async () => {
    const res = await gateway.query<{ jobs: unknown[] }>(
      `query($refs: [JobRef!]!) { jobs(refs: $refs) { ... on CloudJob { jobId } } }`,
      {
        refs: [
          { provider: 'CFW', jobId: 'job-notfound-1' },
          { provider: 'CFW', jobId: 'cfw-1' },
        ],
      },
    );
    expect(res.data!.jobs).toEqual([null, { jobId: 'cfw-1' }]);
    expect(res.errors?.[0]).toMatchObject({ path: ['jobs', 0], extensions: { code: 'JOB_NOT_FOUND' } });
  });
});
