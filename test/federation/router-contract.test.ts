import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

const QUERY = `query($ref: JobRef!) { job(ref: $ref) { ... on CloudJob { jobId state } } }`;
const VARS = { ref: { provider: 'DLI', jobId: 'router-1' } };
const body = JSON.stringify({ query: QUERY, variables: VARS });

describe('what a router or gateway sends', () => {
  it('blocks a GET without a preflight header as CSRF with 400', async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'blocks a POST with the simple content-type %s with 400 and no provider call',
    async (type) => {
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status).toBe(400);
      expect(server.providerCalls()).toBe(0);
    },
  );

  it('accepts a GET that carries apollo-require-preflight', async () => {
    const res = await fetch(`${server.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers a POST with the headers Apollo Router and Hive Gateway send (client name/version, W3C trace context, accept)', async () => {
    const res = await server.query<{ job: { jobId: string } }>(QUERY, VARS, {
      accept: 'application/graphql-response+json, application/json;q=0.9, multipart/mixed;q=0.8',
      'apollographql-client-name': 'web',
      'apollographql-client-version': '1.2.3',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=opaque',
      'x-request-id': 'req-123',
    });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data?.job.jobId).toBe('router-1');
  });

  it('returns a federated trace (extensions.ftv1, base64 protobuf) when asked with apollo-federation-include-trace: ftv1', async () => {
    const res = await server.query(QUERY, VARS, { 'apollo-federation-include-trace': 'ftv1' });
    const ftv1 = (res as { extensions?: { ftv1?: unknown } }).extensions?.ftv1;
    expect(ftv1).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    // The trace's node tree names the fields it timed.
    expect(Buffer.from(ftv1 as string, 'base64').includes('jobId')).toBe(true);
  });

  it('returns no trace without that header', async () => {
    const res = await server.query(QUERY, VARS);
    expect((res as { extensions?: unknown }).extensions).toBeUndefined();
  });
});
