import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function start(env: Record<string, string>) {
  const server = await startTestServer({ env });
  servers.push(server);
  return server;
}

const Q = '{ job(ref: {provider: NLB, jobId: "acc-1"}) { __typename } }';

describe('router secret', () => {
  it('answers 401 without the header, 403 with a wrong one, and serves the right one', async () => {
    const server = await start({ ROUTER_SECRET: 's3cret-value' });
    expect((await server.query(Q)).status).toBe(401);
    const wrong = await server.query(Q, undefined, { 'x-router-secret': 'nope' });
    expect(wrong.status).toBe(403);
    expect(JSON.stringify(wrong)).not.toContain('s3cret-value');
    const ok = await server.query(Q, undefined, { 'x-router-secret': 's3cret-value' });
    expect(ok.status).toBe(200);
    expect(ok.data).toMatchObject({ job: { __typename: 'NlbJob' } });
    expect(server.simulator.fakes.NLB.requests).toHaveLength(1);
  });

  it('closes a graphql-ws connection without the secret with 4403 and accepts one with it', async () => {
    const server = await start({ ROUTER_SECRET: 's3cret-value' });
    const anonymous = connect(server.wsUrl);
    const denied = subscribe(
      anonymous,
      'subscription { jobStatusChanged(refs: [{provider: NLB, jobId: "x"}]) { state } }',
    );
    await denied.completed.catch(() => undefined);
    expect(anonymous.closeCodes).toContain(4403);
    const router = connect(server.wsUrl, { connectionParams: { routerSecret: 's3cret-value' } });
    const sub = subscribe(router, 'subscription { jobStatusChanged(refs: [{provider: NLB, jobId: "x"}]) { state } }');
    expect((await sub.next()).data).toMatchObject({ jobStatusChanged: { state: 'RUNNING' } });
    await router.dispose();
    await anonymous.dispose();
  });
});

describe('allow-list', () => {
  it('refuses refs outside the allowed providers, regions or projects with FORBIDDEN and no provider call', async () => {
    const server = await start({ JOBS_ALLOW_PROVIDERS: 'DLI,NLB', JOBS_ALLOW_REGIONS: 'cn-north-4,cn-hangzhou' });
    const res = await server.query<{ jobs: unknown[] }>(
      `{ jobs(refs: [{provider: DLI, jobId: "a"}, {provider: CFW, jobId: "b"}, {provider: NLB, jobId: "c", region: "ap-southeast-1"}]) { __typename } }`,
    );
    expect(res.data!.jobs.map((j) => j === null)).toEqual([false, true, true]);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(server.simulator.fakes.CFW.requests).toHaveLength(0);
    expect(server.simulator.fakes.NLB.requests).toHaveLength(0);
  });
});

describe('limits', () => {
  it('rejects deeply nested, alias-heavy and oversized requests with clear codes', async () => {
    const server = await start({ JOBS_MAX_ALIASES: '3', JOBS_MAX_DEPTH: '4', JOBS_MAX_BODY_BYTES: '2048' });
    const aliases = `{ ${Array.from({ length: 5 }, (_, i) => `a${i}: job(ref: {provider: NLB, jobId: "x${i}"}) { __typename }`).join(' ')} }`;
    const tooManyAliases = await server.query(aliases);
    expect(tooManyAliases.status).toBe(400);
    expect(tooManyAliases.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(tooManyAliases.errors?.[0]?.message).toMatch(/alias/i);
    const deep = await server.query(
      '{ job(ref: {provider: WORKSPACE, jobId: "d"}) { ... on WorkspaceJob { subJobs { entities { resourceId } } } } }',
    );
    expect(deep.errors?.[0]?.message).toMatch(/depth/i);
    const big = await server.query(`{ job(ref: {provider: NLB, jobId: "${'x'.repeat(3000)}"}) { __typename } }`);
    expect(big.status).toBe(413);
    expect(big.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    const batch = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(batch.status).toBe(400);
    expect(server.providerCalls()).toBe(0);
  });

  it('answers a document over a query limit with the same code over graphql-ws as over HTTP', async () => {
    const server = await start({ JOBS_MAX_ALIASES: '3', JOBS_MAX_DEPTH: '4' });
    const tooDeep =
      'subscription { jobStatusChanged(refs: [{provider: WORKSPACE, jobId: "d"}]) { job { ... on WorkspaceJob { subJobs { entities { resourceId } } } } } }';
    const tooManyAliases = `subscription { ${Array.from({ length: 5 }, (_, i) => `a${i}: jobStatusChanged(refs: [{provider: NLB, jobId: "x"}]) { state }`).join(' ')} }`;
    const client = connect(server.wsUrl);
    for (const document of [tooDeep, tooManyAliases]) {
      const overHttp = await server.query(document);
      const overWs = await subscribe(client, document).completed.then(
        () => [],
        (errors: unknown) => errors as { extensions?: { code?: string } }[],
      );
      const httpCodes = overHttp.errors?.map((e) => e.extensions?.code) ?? [];
      expect(httpCodes.length).toBeGreaterThan(0);
      expect(new Set(httpCodes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(overWs.map((e) => e.extensions?.code)).toEqual(httpCodes);
    }
    await client.dispose();
  });

  it('limits subscriptions per connection and connections per address', async () => {
    const server = await start({ JOBS_WS_MAX_SUBSCRIPTIONS: '2', JOBS_WS_MAX_CONNECTIONS_PER_IP: '2' });
    server.simulator.jobs.pin('NLB', 'hold', 'processing');
    const client = connect(server.wsUrl);
    const q = 'subscription { jobStatusChanged(refs: [{provider: NLB, jobId: "hold"}]) { state } }';
    const a = subscribe(client, q);
    const b = subscribe(client, q);
    await a.next();
    await b.next();
    const c = subscribe(client, q);
    const refused = await c.completed.then(
      () => null,
      (e: unknown) => e,
    );
    expect(JSON.stringify(refused)).toContain('TOO_MANY_SUBSCRIPTIONS');
    const second = connect(server.wsUrl);
    const s2 = subscribe(second, q);
    await s2.next();
    const third = connect(server.wsUrl);
    const s3 = subscribe(third, q);
    await s3.completed.catch(() => undefined);
    expect(s3.results).toHaveLength(0);
    for (const c of [client, second, third]) await c.dispose();
  });

  it('hides field suggestions in production over graphql-ws as over HTTP', async () => {
    const prod = await start({ NODE_ENV: 'production', JOBS_MODE: 'simulator' });
    const typo = 'subscription { jobStatusChanged(refs: [{provider: NLB, jobId: "x"}]) { stat } }';
    const http = await prod.query(typo.replace('subscription', 'query').replace('jobStatusChanged', 'jobs'));
    expect(http.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const client = connect(prod.wsUrl);
    const sub = subscribe(client, typo);
    const err = await sub.completed.then(
      () => null,
      (e: unknown) => e,
    );
    expect(JSON.stringify(err)).toContain('Cannot query field');
    expect(JSON.stringify(err)).not.toMatch(/Did you mean/);
    await client.dispose();
    const dev = await start({});
    const devClient = connect(dev.wsUrl);
    const devErr = await subscribe(devClient, typo).completed.then(
      () => null,
      (e: unknown) => e,
    );
    expect(JSON.stringify(devErr)).toMatch(/Did you mean/);
    await devClient.dispose();
  });

  it('turns introspection off in production unless enabled', async () => {
    const prod = await start({ NODE_ENV: 'production', JOBS_MODE: 'simulator' });
    const res = await prod.query('{ __schema { queryType { name } } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const enabled = await start({ NODE_ENV: 'production', JOBS_MODE: 'simulator', JOBS_INTROSPECTION: 'true' });
    expect((await enabled.query('{ __schema { queryType { name } } }')).data).toMatchObject({
      __schema: { queryType: { name: 'Query' } },
    });
  });
});
