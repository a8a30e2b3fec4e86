/** The ECS metadata fake over HTTP: IMDSv2 session tokens, the role listing and its credential. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { createAlibabaMetadataFake } from '../../src/simulator/alibaba-metadata.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { SimulatedIdentities } from '../../src/simulator/identities.js';

const START = Date.parse('2025-01-02T03:04:05Z');
const clock = { ms: START };
const TTL_MS = 600_000;
const identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: TTL_MS });
const ACCOUNT = '5000000000000005';
const ROLE = 'EcsJobsReader';
identities.addAlibabaEcsRole(ROLE, ACCOUNT);

let fake: FakeProviderServer;
const agent = new Agent();

beforeAll(async () => {
  fake = createAlibabaMetadataFake({ identities, roleName: ROLE });
  await fake.start(0);
});
afterAll(async () => {
  await agent.close();
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
  fake.resetRequests();
});

async function send(method: 'GET' | 'PUT', path: string, headers: Record<string, string> = {}) {
  const res = await request(new URL(path, fake.url), { method, headers, dispatcher: agent });
  return { status: res.statusCode, body: await res.body.text() };
}

async function token(ttl = '21600'): Promise<string> {
  const res = await send('PUT', '/latest/api/token', { 'X-aliyun-ecs-metadata-token-ttl-seconds': ttl });
  expect(res.status).toBe(200);
  return res.body;
}

const withToken = (t: string) => ({ 'X-aliyun-ecs-metadata-token': t });
const CREDS = `/latest/meta-data/ram/security-credentials/${ROLE}`;

describe('ECS metadata fake', () => {
  it('hands out a session token for a PUT with a TTL header', async () => {
    expect(await token()).toMatch(/^[\w-]{20,}$/);
    expect(await token()).not.toBe(await token());
  });

  it('refuses a token request without a TTL, with one out of range, or through a proxy', async () => {
    expect((await send('PUT', '/latest/api/token')).status).toBe(400);
    for (const ttl of ['0', '21601', 'soon']) {
      expect((await send('PUT', '/latest/api/token', { 'X-aliyun-ecs-metadata-token-ttl-seconds': ttl })).status).toBe(
        400,
      );
    }
    const proxied = await send('PUT', '/latest/api/token', {
      'X-aliyun-ecs-metadata-token-ttl-seconds': '60',
      'X-Forwarded-For': '10.0.0.1',
    });
    expect(proxied.status).toBe(403);
    expect((await send('GET', '/latest/api/token')).status).toBe(405);
  });

  it('answers reads without a live token with 401 (IMDSv1 is disabled)', async () => {
    expect((await send('GET', '/latest/meta-data/ram/security-credentials/')).status).toBe(401);
    expect((await send('GET', CREDS, withToken('made-up'))).status).toBe(401);
    const short = await token('60');
    expect((await send('GET', CREDS, withToken(short))).status).toBe(200);
    clock.ms += 60_000;
    expect((await send('GET', CREDS, withToken(short))).status).toBe(401);
  });

  it('lists the instance role', async () => {
    const res = await send('GET', '/latest/meta-data/ram/security-credentials/', withToken(await token()));
    expect(res).toEqual({ status: 200, body: ROLE });
  });

  it('answers the role credential in the documented shape, issued for the role account', async () => {
    const res = await send('GET', CREDS, withToken(await token()));
    expect(res.status).toBe(200);
    const json = JSON.parse(res.body);
    expect(Object.keys(json).sort()).toEqual([
      'AccessKeyId',
      'AccessKeySecret',
      'Code',
      'Expiration',
      'LastUpdated',
      'SecurityToken',
    ]);
    expect(json.Code).toBe('Success');
    expect(json.Expiration).toBe('2025-01-02T03:14:05Z');
    expect(json.LastUpdated).toBe('2025-01-02T03:04:05Z');
    expect(identities.alibabaKey(json.AccessKeyId)).toMatchObject({
      account: ACCOUNT,
      accessKeySecret: json.AccessKeySecret,
      securityToken: json.SecurityToken,
    });
  });

  it('hands out the same credential until a third of its lifetime is left, then a new one', async () => {
    const t = await token();
    const read = async () => JSON.parse((await send('GET', CREDS, withToken(t))).body).AccessKeyId as string;
    const first = await read();
    clock.ms = START + (TTL_MS * 2) / 3 - 1_000;
    expect(await read()).toBe(first);
    clock.ms = START + (TTL_MS * 2) / 3 + 1_000;
    const second = await read();
    expect(second).not.toBe(first);
    expect(identities.alibabaKey(second)?.expiresAt).toBe(clock.ms + TTL_MS);
  });

  it('answers 404 for a role that is not attached', async () => {
    const t = await token();
    expect((await send('GET', '/latest/meta-data/ram/security-credentials/OtherRole', withToken(t))).status).toBe(404);
    const bare = createAlibabaMetadataFake({ identities, roleName: 'UnboundRole' });
    await bare.start(0);
    try {
      const put = await request(new URL('/latest/api/token', bare.url), {
        method: 'PUT',
        headers: { 'X-aliyun-ecs-metadata-token-ttl-seconds': '60' },
        dispatcher: agent,
      });
      const bareToken = await put.body.text();
      const list = await request(new URL('/latest/meta-data/ram/security-credentials/', bare.url), {
        headers: withToken(bareToken),
        dispatcher: agent,
      });
      await list.body.text();
      expect(list.statusCode).toBe(404);
    } finally {
      await bare.stop();
    }
  });
});
