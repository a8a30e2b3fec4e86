/**
 * Subscriptions through Hive Gateway's HTTP callback transport (`callback/1.0`), end to end: a
 * graphql-ws client subscribes at the gateway, the gateway subscribes at the subgraph with a POST
 * carrying `extensions.subscription`, and the subgraph POSTs `check` / `next` / `complete` back to
 * the gateway. The gateway ends a subscription with "Subscription timed out" as soon as more than
 * `heartbeat_interval` passes between two messages, so a job that does not change for a while is
 * the case that matters.
 *
 * The first block runs the harness against Apollo Server's own callback plugin (a stand-in
 * subgraph); the second against the jobs subgraph.
 */
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';
import { connect, subscribe } from '../helpers/ws-client.js';
import { QUIET_SDL, startApolloCallbackSubgraph, type CallbackSubgraph } from './fixtures/apollo-callback-subgraph.js';
import { startCallbackGateway, type CallbackGateway } from './fixtures/hive-gateway-callback.js';
import { compose, jobsSdl, supergraphSdl } from './fixtures/supergraph.js';
import { startTicketsSubgraph, type TicketsSubgraph } from './fixtures/tickets-subgraph.js';

const HEARTBEAT_MS = 1_000;

describe('Hive Gateway with Apollo Server’s callback plugin as the subgraph', () => {
  let subgraph: CallbackSubgraph;
  let gateway: CallbackGateway;
  beforeAll(async () => {
    subgraph = await startApolloCallbackSubgraph();
    const composed = composeServices([{ name: 'quiet', url: subgraph.url, typeDefs: parse(QUIET_SDL) }]);
    gateway = await startCallbackGateway({
      supergraphSdl: supergraphSdl(composed),
      subgraph: 'quiet',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.stop();
  });

  it('delivers a busy subscription to the client over callbacks and completes it', async () => {
    const client = connect(gateway.wsUrl);
    try {
      const sub = subscribe(client, 'subscription { quietCountdown(quietMs: 200) { n } }');
      await sub.completed;

      expect(sub.results).toEqual([{ data: { quietCountdown: { n: 1 } } }, { data: { quietCountdown: { n: 0 } } }]);
      // The gateway told the subgraph where to call back, and how often to send a heartbeat.
      const extensions = subgraph.subscriptionRequests.at(-1);
      const id = idOf(extensions);
      expect(extensions?.subscription).toMatchObject({
        callbackUrl: `${gateway.callbackUrl}/${id}`,
        heartbeatIntervalMs: HEARTBEAT_MS,
      });
      expect(gateway.messages.filter((m) => m.subscriptionId === id).map((m) => m.action)).toEqual([
        'check',
        'next',
        'next',
        'complete',
      ]);
      // Apollo's plugin names the protocol on `check` only; the gateway takes every message anyway.
      const requests = gateway.requests.filter((r) => r.path === `/callback/${id}`);
      expect(requests.map((r) => [r.status, r.protocol])).toEqual([
        [204, 'callback/1.0'],
        [204, undefined],
        [204, undefined],
        [204, undefined],
      ]);
    } finally {
      await client.dispose();
    }
  });

  it('times a subscription out one heartbeat interval after the check when its first event is later, because the plugin’s first heartbeat comes after that (apollo-server #8167)', async () => {
    const client = connect(gateway.wsUrl);
    try {
      const started = Date.now();
      const sub = subscribe(client, 'subscription { quietCountdown(quietMs: 3000, tickFirst: false) { n } }');
      await sub.completed;
      const elapsed = Date.now() - started;

      // The gateway ends the stream with an error result and completes it: no data ever arrived.
      expect(sub.results).toEqual([
        expect.objectContaining({ errors: [expect.objectContaining({ message: 'Subscription timed out' })] }),
      ]);
      expect(sub.results[0]?.errors?.[0]?.extensions?.code).toBe('TIMEOUT_ERROR');
      expect(elapsed).toBeGreaterThanOrEqual(HEARTBEAT_MS);
      expect(elapsed).toBeLessThan(2 * HEARTBEAT_MS);
      // Only the initial check reached the subscription: the plugin starts its heartbeat timer after the
      // check's answer, so its first heartbeat is due later than the gateway's deadline.
      const id = idOf(subgraph.subscriptionRequests.at(-1));
      expect(gateway.messages.filter((m) => m.subscriptionId === id).map((m) => m.action)).toEqual(['check']);
      // That late heartbeat finds the subscription gone: 404, and the plugin stops.
      await waitUntil(() => gateway.requests.some((r) => r.path === `/callback/${id}` && r.status === 404), 3_000);
      expect(gateway.requests.filter((r) => r.path === `/callback/${id}`).map((r) => r.status)).toEqual([204, 404]);
    } finally {
      await client.dispose();
    }
  });
});

describe('Hive Gateway with the jobs subgraph over callbacks', () => {
  // One lifecycle step every 12 s: a job is silent for longer than ten heartbeat intervals.
  const STEP_MS = 12_000;
  let jobs: TestServer;
  let tickets: TicketsSubgraph;
  let gateway: CallbackGateway;
  beforeAll(async () => {
    jobs = await startTestServer({
      stepMs: STEP_MS,
      env: { JOBS_POLL_MIN_INTERVAL_MS: '100', JOBS_POLL_MAX_INTERVAL_MS: '250' },
    });
    tickets = await startTicketsSubgraph();
    gateway = await startCallbackGateway({
      supergraphSdl: supergraphSdl(compose({ sdl: await jobsSdl(jobs), url: jobs.url }, tickets)),
      subgraph: 'jobs',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await tickets?.stop();
    await jobs?.stop();
  });

  /** A gauge's value for one label set, from the subgraph's `/metrics` (0 when absent). */
  async function gauge(name: string, labels = ''): Promise<number> {
    const text = await jobs.metricsText();
    const series = labels ? `${name}{${labels}}` : name;
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  }

  it(
    'keeps a subscription to a job that does not change for over 10 s alive through the gateway, then delivers the terminal event and completes',
    async () => {
      // A quiet state, then the terminal one.
      jobs.simulator.jobs.script('WORKSPACE', 'cb-quiet-1', ['RUNNING', 'SUCCESS']);
      const wsConnections: number[] = [];
      const callbackSubscriptions: number[] = [];
      const sample = async () => {
        wsConnections.push(await gauge('jobs_ws_connections_active'));
        callbackSubscriptions.push(await gauge('jobs_subscriptions_active', 'transport="callback"'));
      };
      const sampler = setInterval(() => void sample().catch(() => undefined), 500);
      const client = connect(gateway.wsUrl);
      try {
        const sub = subscribe(
          client,
          /* GraphQL */ `
            subscription ($refs: [JobRef!]!) {
              jobStatusChanged(refs: $refs) {
                rawStatus
                terminal
                sequence
                job {
                  __typename
                  ... on WorkspaceJob {
                    jobId
                    owningTeam
                  }
                }
              }
            }
          `,
          { refs: [{ provider: 'WORKSPACE', jobId: 'cb-quiet-1' }] },
        );
        const snapshot = await sub.next(5_000);
        const snapshotAt = Date.now();
        expect(snapshot).toEqual({
          data: {
            jobStatusChanged: {
              rawStatus: 'RUNNING',
              terminal: false,
              sequence: 1,
              // owningTeam comes from the tickets subgraph: the callback payload kept `__typename` and the key.
              job: { __typename: 'WorkspaceJob', jobId: 'cb-quiet-1', owningTeam: 'team-cb-quiet-1' },
            },
          },
        });
        await sample();

        const terminal = await sub.next(STEP_MS + 5_000);
        const silenceMs = Date.now() - snapshotAt;
        expect(terminal.errors).toBeUndefined();
        expect(terminal.data?.jobStatusChanged).toMatchObject({ rawStatus: 'SUCCESS', terminal: true, sequence: 2 });
        await sub.completed;
        expect(sub.results).toHaveLength(2);
        expect(silenceMs).toBeGreaterThan(10_000);

        // The callback path carried it: one subscription, messages at least once per interval,
        // each naming the protocol and accepted by the gateway.
        const ids = [...new Set(gateway.messages.map((m) => m.subscriptionId))];
        expect(ids).toHaveLength(1);
        const actions = gateway.messages.map((m) => m.action);
        expect(actions[0]).toBe('check');
        expect(actions.filter((a) => a === 'next')).toHaveLength(2);
        expect(actions.at(-1)).toBe('complete');
        expect(actions.filter((a) => a === 'check').length).toBeGreaterThanOrEqual(10);
        expect(gateway.longestGapMs()).toBeLessThan(HEARTBEAT_MS);
        expect(gateway.requests.length).toBeGreaterThanOrEqual(gateway.messages.length);
        for (const r of gateway.requests) {
          expect(r).toMatchObject({ status: 204, contentType: 'application/json', protocol: 'callback/1.0' });
        }
        // No WebSocket reached the subgraph; the subscription counted as a callback one while open.
        await sample();
        expect(Math.max(...wsConnections)).toBe(0);
        expect(Math.max(...callbackSubscriptions)).toBe(1);
        await waitUntil(async () => (await gauge('jobs_subscriptions_active', 'transport="callback"')) === 0, 2_000);
        expect(await gauge('jobs_subscriptions_active', 'transport="callback"')).toBe(0);
      } finally {
        clearInterval(sampler);
        await client.dispose();
      }
    },
    STEP_MS + 20_000,
  );
});

function idOf(extensions: Record<string, unknown> | undefined): string {
  return String((extensions?.subscription as { subscriptionId?: unknown } | undefined)?.subscriptionId);
}
