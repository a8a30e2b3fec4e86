/**
 * The operations GraphiQL opens with are valid against the real schema and run against the
 * simulator, and the job-id rules the page shows are the simulator's actual rules.
 */
import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchema } from '../../src/schema/index.js';
import { SimulatedJobs, LIFECYCLES } from '../../src/simulator/jobs.js';
import { EXAMPLES, RULES_COMMENT, SIMULATOR_RULES, defaultTabs } from '../../ui/examples.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const schema = createSchema();

function operationOf(query: string): OperationDefinitionNode {
  const ops = parse(query).definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  expect(ops).toHaveLength(1);
  return ops[0]!;
}

describe('GraphiQL examples', () => {
  it('cover every provider, a jobs query and a subscription', () => {
    const text = EXAMPLES.map((e) => e.query).join('\n');
    for (const provider of ['DATAWORKS', 'NLB', 'CFW', 'DLI', 'WORKSPACE']) {
      expect(
        EXAMPLES.some(
          (e) => e.kind === 'query' && e.query.includes(`provider: ${provider}`) && !e.query.includes('jobs('),
        ),
      ).toBe(true);
    }
    expect(EXAMPLES.some((e) => e.kind === 'query' && /\bjobs\(/.test(e.query))).toBe(true);
    expect(EXAMPLES.some((e) => e.kind === 'subscription')).toBe(true);
    expect(text).toContain(RULES_COMMENT);
    expect(defaultTabs()).toHaveLength(EXAMPLES.length);
  });

  it('keep comment lines short enough for a half-width editor', () => {
    const long = EXAMPLES.flatMap((e) => e.query.split('\n')).filter(
      (line) => line.startsWith('#') && line.length > 56,
    );
    expect(long).toEqual([]);
  });

  it.each(EXAMPLES.map((e) => [e.name, e] as const))(
    '%s is one named operation, valid against the schema',
    (name, example) => {
      const op = operationOf(example.query);
      expect(op.name?.value).toBe(name);
      expect(op.operation).toBe(example.kind);
      expect(validate(schema, parse(example.query)).map((e) => e.message)).toEqual([]);
    },
  );

  it("the rules shown are the simulator's rules", () => {
    const jobs = new SimulatedJobs({ stepMs: 1, now: () => 0 });
    const lastStatus = (id: string) => {
      const found = jobs.lookup('DLI', id);
      return found.kind === 'found' ? found.steps.at(-1) : found.kind;
    };
    const expected: Record<string, string> = {
      notfound: 'not_found',
      forbidden: 'forbidden',
      fail: LIFECYCLES.DLI.fail.at(-1)!,
      cancel: LIFECYCLES.DLI.cancel.at(-1)!,
    };
    for (const rule of SIMULATOR_RULES) {
      const id = `demo-${rule.contains ?? 'plain'}-1`;
      expect(lastStatus(id)).toBe(rule.contains === null ? LIFECYCLES.DLI.succeed.at(-1) : expected[rule.contains]);
    }
    expect(SIMULATOR_RULES.map((r) => r.contains)).toEqual(['notfound', 'forbidden', 'fail', 'cancel', null]);
  });
});

describe('GraphiQL examples against the simulator', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ stepMs: 200 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(EXAMPLES.filter((e) => e.kind === 'query').map((e) => [e.name, e] as const))(
    '%s runs',
    async (_name, example) => {
      const result = await server.query<Record<string, unknown>>(example.query);
      expect(result.status).toBe(200);
      // The Jobs example asks for one missing job on purpose, to show a per-ref error.
      const expectedErrors = /jobId: "[^"]*notfound/.test(example.query) ? ['JOB_NOT_FOUND'] : [];
      expect((result.errors ?? []).map((e) => e.extensions?.code)).toEqual(expectedErrors);
      expect(JSON.stringify(result.data)).toMatch(/"state":"(PENDING|RUNNING|SUCCEEDED|FAILED|CANCELLED)"/);
    },
  );

  it('the subscription example streams events', async () => {
    const example = EXAMPLES.find((e) => e.kind === 'subscription')!;
    const client = connect(server.wsUrl);
    try {
      const sub = subscribe(client, example.query);
      const first = await sub.next(5_000);
      expect(first.errors).toBeUndefined();
      expect(first.data).toHaveProperty('jobStatusChanged.sequence');
      sub.unsubscribe();
    } finally {
      await client.dispose();
    }
  });
});
