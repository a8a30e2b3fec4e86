import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROVIDERS, type ProviderName } from '../../src/providers/types.js';
import { TYPENAME } from '../../src/schema/resolvers.js';
import { SIMULATOR_HUAWEI_PROJECT_ID as PROJECT } from '../../src/simulator/credentials.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  for (const f of Object.values(server.simulator.fakes)) {
    f.resetRequests();
    f.latencyMs = 0;
  }
});

const ENTITIES = /* GraphQL */ `
  query ($reps: [_Any!]!) {
    _entities(representations: $reps) {
      __typename
      ... on CloudJob {
        id
        jobId
        state
      }
    }
  }
`;

const globalId = (p: ProviderName, jobId: string) =>
  p === 'DATAWORKS' || p === 'NLB' ? `${p}:cn-hangzhou:-:${jobId}` : `${p}:cn-north-4:${PROJECT}:${jobId}`;

/**
 * Groups the requests the fakes received into waves: a request arriving while an earlier one is
 * still unanswered (they answer after `latencyMs`) joins that wave. One wave = one concurrent batch.
 */
function waves(latencyMs: number): number[] {
  const arrivals = Object.values(server.simulator.fakes)
    .flatMap((f) => f.requests.map((r) => r.receivedAt))
    .sort((a, b) => a - b);
  const sizes: number[] = [];
  let start = -Infinity;
  for (const t of arrivals) {
    if (t - start >= latencyMs) {
      sizes.push(0);
      start = t;
    }
    sizes[sizes.length - 1]!++;
  }
  return sizes;
}

/** Indices of bad representations and why they are bad. */
const BAD: Record<number, { __typename: string; id: unknown }> = {
  7: { __typename: 'DliJob', id: 'NLB:cn-hangzhou:-:x' }, // another type's id
  23: { __typename: 'NlbJob', id: 'garbage' }, // not a global id
  51: { __typename: 'WorkspaceJob', id: 'WORKSPACE:cn-north-4:NOT-A-PROJECT:w-1' }, // malformed project
  88: { __typename: 'CfwJob', id: 42 }, // not a string
};

/** 100 representations: 60 distinct jobs (12 per provider), 36 repeats, and the 4 bad ones. */
function representations() {
  const unique = PROVIDERS.flatMap((p) =>
    Array.from({ length: 12 }, (_, i) => ({ __typename: TYPENAME[p], id: globalId(p, `batch-${i}`) })),
  );
  let next = 0;
  return Array.from({ length: 100 }, (_, i) => BAD[i] ?? unique[next++ % unique.length]!);
}

describe('_entities', () => {
  it('resolves 100 mixed representations in one deduplicated, concurrent batch: one provider call per unique job', async () => {
    for (const f of Object.values(server.simulator.fakes)) f.latencyMs = 50;
    const reps = representations();
    const res = await server.query<{ _entities: ({ __typename: string; id: string } | null)[] }>(ENTITIES, { reps });

    expect(waves(50)).toEqual([60]);
    for (const p of PROVIDERS) {
      expect(server.simulator.fakes[p].requests).toHaveLength(12);
      expect(server.simulator.fakes[p].maxConcurrent).toBe(12);
    }
    const entities = res.data!._entities;
    expect(entities).toHaveLength(100);
    entities.forEach((e, i) => {
      if (BAD[i]) expect(e).toBeNull();
      else expect(e).toMatchObject({ __typename: reps[i]!.__typename, id: reps[i]!.id });
    });
  });

  it('puts a coded BAD_USER_INPUT error at the index of each malformed or foreign id, and only there', async () => {
    const res = await server.query(ENTITIES, { reps: representations() });
    const errors = (res.errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.code }));
    expect(errors.sort((a, b) => Number(a.path![1]) - Number(b.path![1]))).toEqual(
      Object.keys(BAD).map((i) => ({ path: ['_entities', Number(i)], code: 'BAD_USER_INPUT' })),
    );
    expect(res.errors?.find((e) => e.path?.[1] === 7)?.message).toMatch(/belongs to NlbJob, not DliJob/);
  });

  it('makes no provider call for a batch of only bad representations', async () => {
    const res = await server.query<{ _entities: unknown[] }>(ENTITIES, { reps: Object.values(BAD) });
    expect(res.data!._entities).toEqual([null, null, null, null]);
    expect(server.providerCalls()).toBe(0);
  });
});
