import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
});

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

async function start(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

const base = (s: TestServer) => s.url.replace(/\/graphql$/, '');

describe('operations endpoints', () => {
  it('exposes provider latency, transitions, pollers, subscriptions and process metrics on /metrics', async () => {
    const server = await start({
      stepMs: 100,
      env: { JOBS_POLL_MIN_INTERVAL_MS: '50', JOBS_POLL_MAX_INTERVAL_MS: '100' },
    });
    await server.query('{ job(ref: {provider: DLI, jobId: "m-1"}) { __typename } }');
    await server.query('{ job(ref: {provider: NLB, jobId: "m-notfound"}) { __typename } }');
    const client = connect(server.wsUrl);
    const sub = subscribe(client, 'subscription { jobStatusChanged(refs: [{provider: CFW, jobId: "m-2"}]) { state } }');
    await sub.next();
    const during = await (await fetch(`${base(server)}/metrics`)).text();
    expect(during).toMatch(/jobs_subscriptions_active\{transport="graphql-ws"\} 1/);
    expect(during).toMatch(/jobs_ws_connections_active 1/);
    expect(during).toMatch(/jobs_pollers_active 1/);
    await sub.completed;
    await client.dispose();
    const text = await (await fetch(`${base(server)}/metrics`)).text();
    expect(text).toMatch(/jobs_provider_call_duration_seconds_count\{provider="DLI",outcome="ok"\} 1/);
    expect(text).toMatch(/jobs_provider_call_duration_seconds_count\{provider="NLB",outcome="JOB_NOT_FOUND"\} 1/);
    expect(text).toMatch(/jobs_transitions_total\{provider="CFW",state="SUCCEEDED"\} 1/);
    expect(text).toMatch(/jobs_subscriptions_active\{transport="graphql-ws"\} 0/);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
    expect(text).toMatch(/nodejs_heap_size_used_bytes/);
  });

  it('is live on /healthz, ready on /readyz, and not ready while draining', async () => {
    const server = await start({ env: { JOBS_SHUTDOWN_DELAY_MS: '400' } });
    expect((await fetch(`${base(server)}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base(server)}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', providers: { DLI: true, NLB: true } });
    // Hold a request in flight so the drain has something to wait for.
    server.simulator.fakes.DLI.latencyMs = 300;
    const inFlight = server.query('{ job(ref: {provider: DLI, jobId: "drain-1"}) { ... on CloudJob { state } } }');
    await new Promise((r) => setTimeout(r, 50));
    const stopping = server.stop();
    const during = await fetch(`${base(server)}/readyz`);
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ status: 'draining' });
    expect(server.draining).toBe(true);
    const answered = await inFlight;
    expect(answered.data).toMatchObject({ job: { state: expect.any(String) } });
    await stopping;
  });

  it('logs each provider call and operation as JSON with the request id taken from traceparent', async () => {
    const { lines, logger } = captureLogs();
    const server = await start({ logger });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ query: 'query Probe { job(ref: {provider: WORKSPACE, jobId: "log-1"}) { __typename } }' }),
    });
    expect(res.headers.get('x-request-id')).toBe(traceId);
    const call = lines.find((l) => l.msg === 'provider call');
    expect(call).toMatchObject({
      level: 20,
      requestId: traceId,
      provider: 'WORKSPACE',
      jobId: 'log-1',
      outcome: 'ok',
      service: 'jobs-subgraph',
    });
    expect(call?.providerRequestId).toEqual(expect.any(String));
    expect(lines.find((l) => l.msg === 'graphql operation')).toMatchObject({
      level: 30,
      requestId: traceId,
      operationName: 'Probe',
    });
  });
});
