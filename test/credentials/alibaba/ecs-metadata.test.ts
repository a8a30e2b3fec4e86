/**
 * The ECS metadata client without sockets: undici's MockAgent stands in for the metadata service
 * (the exchanges with the fake are in ecs-metadata.int.test.ts), plus the token cache's timing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MockAgent } from 'undici';
import {
  DEFAULT_METADATA_ENDPOINT,
  MetadataTokenCache,
  ecsRamRoleCredentials,
} from '../../../src/credentials/alibaba/ecs-metadata.js';
import { rejection } from '../../helpers/provider-harness.js';

const CREDENTIALS = {
  AccessKeyId: 'STS.mock',
  AccessKeySecret: 'mock-secret',
  SecurityToken: 'CAISmock',
  Expiration: '2025-01-02T09:00:00Z',
  LastUpdated: '2025-01-02T03:00:00Z',
  Code: 'Success',
};

let agent: MockAgent;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  await agent.close();
});

describe('ecsRamRoleCredentials (mocked service)', () => {
  it('talks to 100.100.100.200 by default with the IMDSv2 headers', async () => {
    const imds = agent.get(DEFAULT_METADATA_ENDPOINT);
    imds
      .intercept({
        path: '/latest/api/token',
        method: 'PUT',
        headers: { 'x-aliyun-ecs-metadata-token-ttl-seconds': '21600' },
      })
      .reply(200, 'session-token');
    imds
      .intercept({
        path: '/latest/meta-data/ram/security-credentials/',
        method: 'GET',
        headers: { 'x-aliyun-ecs-metadata-token': 'session-token' },
      })
      .reply(200, 'MyRole\n');
    imds
      .intercept({
        path: '/latest/meta-data/ram/security-credentials/MyRole',
        method: 'GET',
        headers: { 'x-aliyun-ecs-metadata-token': 'session-token' },
      })
      .reply(200, JSON.stringify(CREDENTIALS));

    await expect(ecsRamRoleCredentials({ dispatcher: agent })).resolves.toEqual({
      value: { accessKeyId: 'STS.mock', accessKeySecret: 'mock-secret', securityToken: 'CAISmock' },
      expiresAt: Date.parse('2025-01-02T09:00:00Z'),
    });
    agent.assertNoPendingInterceptors();
  });

  it('encodes a configured role name into the path', async () => {
    const imds = agent.get('http://169.254.0.1:8080');
    imds.intercept({ path: '/latest/api/token', method: 'PUT' }).reply(200, 'tok');
    imds
      .intercept({ path: '/latest/meta-data/ram/security-credentials/role%40team', method: 'GET' })
      .reply(200, JSON.stringify(CREDENTIALS));
    const result = await ecsRamRoleCredentials({
      dispatcher: agent,
      endpoint: 'http://169.254.0.1:8080',
      roleName: 'role@team',
    });
    expect(result.value.accessKeyId).toBe('STS.mock');
  });

  it('refuses a token TTL outside 1-21600 seconds before any request', async () => {
    for (const tokenTtlSeconds of [0, 21_601, 1.5]) {
      const err = await rejection(ecsRamRoleCredentials({ dispatcher: agent, tokenTtlSeconds }));
      expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    }
  });

  it('reports an empty role listing as PROVIDER_AUTH_FAILED', async () => {
    const imds = agent.get(DEFAULT_METADATA_ENDPOINT);
    imds.intercept({ path: '/latest/api/token', method: 'PUT' }).reply(200, 'tok');
    imds.intercept({ path: '/latest/meta-data/ram/security-credentials/', method: 'GET' }).reply(200, '\n');
    const err = await rejection(ecsRamRoleCredentials({ dispatcher: agent }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
  });

  it('reports a token the service refuses even when fresh as PROVIDER_AUTH_FAILED, without the token', async () => {
    const imds = agent.get(DEFAULT_METADATA_ENDPOINT);
    imds.intercept({ path: '/latest/api/token', method: 'PUT' }).reply(200, 'fresh-token-value');
    imds.intercept({ path: '/latest/meta-data/ram/security-credentials/R', method: 'GET' }).reply(401, 'Unauthorized');
    const err = await rejection(ecsRamRoleCredentials({ dispatcher: agent, roleName: 'R' }));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details.httpStatus).toBe(401);
    expect(err.message).not.toContain('fresh-token-value');
  });

  it('treats an answer that is no token (an HTML page) as CREDENTIALS_UNAVAILABLE', async () => {
    agent
      .get(DEFAULT_METADATA_ENDPOINT)
      .intercept({ path: '/latest/api/token', method: 'PUT' })
      .reply(200, '<html> </html>');
    const err = await rejection(ecsRamRoleCredentials({ dispatcher: agent }));
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
  });
});

describe('MetadataTokenCache', () => {
  it('keeps a long token until a minute before its TTL ends', () => {
    const cache = new MetadataTokenCache();
    cache.set('http://a', 'tok', 0, 21_600);
    expect(cache.get('http://a', 21_540_000 - 1)).toBe('tok');
    expect(cache.get('http://a', 21_540_000)).toBeNull();
  });

  it('keeps a short token until the last tenth of its TTL', () => {
    const cache = new MetadataTokenCache();
    cache.set('http://a', 'tok', 1_000, 10);
    expect(cache.get('http://a', 9_999)).toBe('tok');
    expect(cache.get('http://a', 10_000)).toBeNull();
  });

  it('answers only for the endpoint the token came from, and forgets a refused token', () => {
    const cache = new MetadataTokenCache();
    cache.set('http://a', 'tok', 0, 600);
    expect(cache.get('http://b', 1)).toBeNull();
    cache.invalidate('other');
    expect(cache.get('http://a', 1)).toBe('tok');
    cache.invalidate('tok');
    expect(cache.get('http://a', 1)).toBeNull();
  });

  it('shares one fetch between concurrent callers of one endpoint, and starts anew once it settles', async () => {
    const cache = new MetadataTokenCache();
    let fetches = 0;
    const fetch = async () => `t${++fetches}`;
    expect(await Promise.all([cache.shared('http://a', fetch), cache.shared('http://a', fetch)])).toEqual(['t1', 't1']);
    expect(await cache.shared('http://a', fetch)).toBe('t2');
  });
});
