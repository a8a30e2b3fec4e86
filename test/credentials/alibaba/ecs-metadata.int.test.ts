/**
 * The ECS metadata client against the metadata fake over loopback: IMDSv2 token, role discovery,
 * credentials the fake issued, token reuse, and failures mapped without leaking tokens.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MetadataTokenCache,
  ecsRamRoleCredentials,
  ecsRamRoleSource,
  type EcsMetadataOptions,
} from '../../../src/credentials/alibaba/ecs-metadata.js';
import { createAlibabaMetadataFake } from '../../../src/simulator/alibaba-metadata.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import { SimulatedIdentities } from '../../../src/simulator/identities.js';
import { rejection } from '../../helpers/provider-harness.js';

const START = Date.parse('2025-01-02T03:04:05Z');
const clock = { ms: START };
const identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: 3_600_000 });
const ACCOUNT = '6000000000000006';
const ROLE = 'EcsJobsReader';
identities.addAlibabaEcsRole(ROLE, ACCOUNT);

let fake: FakeProviderServer;

beforeAll(async () => {
  fake = createAlibabaMetadataFake({ identities, roleName: ROLE });
  await fake.start(0);
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
  fake.resetRequests();
  fake.clearFaults();
});

const options = (over: Partial<EcsMetadataOptions> = {}): EcsMetadataOptions => ({
  endpoint: fake.url,
  now: () => new Date(clock.ms),
  ...over,
});
const calls = () => fake.requests.map((r) => `${r.method} ${r.path}`);
const PUT_TOKEN = 'PUT /latest/api/token';
const LIST = 'GET /latest/meta-data/ram/security-credentials/';
const READ = `GET /latest/meta-data/ram/security-credentials/${ROLE}`;

describe('ecsRamRoleCredentials', () => {
  it('discovers the role and returns the credential the service issued, with its expiry', async () => {
    const result = await ecsRamRoleCredentials(options());
    const record = identities.alibabaKey(result.value.accessKeyId);
    expect(record?.account).toBe(ACCOUNT);
    expect(result.value).toEqual({
      accessKeyId: record!.accessKeyId,
      accessKeySecret: record!.accessKeySecret,
      securityToken: record!.securityToken,
    });
    expect(result.expiresAt).toBe(START + 3_600_000);
    expect(calls()).toEqual([PUT_TOKEN, LIST, READ]);
    expect(fake.requests[0]?.headers['x-aliyun-ecs-metadata-token-ttl-seconds']).toBe('21600');
    const token = fake.requests[1]?.headers['x-aliyun-ecs-metadata-token'];
    expect(token).toBeTruthy();
    expect(fake.requests[2]?.headers['x-aliyun-ecs-metadata-token']).toBe(token);
  });

  it('skips the listing when the role name is configured', async () => {
    await ecsRamRoleCredentials(options({ roleName: ROLE }));
    expect(calls()).toEqual([PUT_TOKEN, READ]);
  });

  it('reuses a cached session token until shortly before its TTL ends', async () => {
    const tokenCache = new MetadataTokenCache();
    const o = options({ roleName: ROLE, tokenCache, tokenTtlSeconds: 600 });
    await ecsRamRoleCredentials(o);
    clock.ms = START + 500_000;
    await ecsRamRoleCredentials(o);
    expect(calls()).toEqual([PUT_TOKEN, READ, READ]);
    // Within the last tenth of the TTL the token is renewed before it can lapse mid-call.
    clock.ms = START + 545_000;
    await ecsRamRoleCredentials(o);
    expect(calls()).toEqual([PUT_TOKEN, READ, READ, PUT_TOKEN, READ]);
  });

  it('shares one cache across calls of a source and one token fetch across concurrent calls', async () => {
    const obtain = ecsRamRoleSource(options({ roleName: ROLE }));
    await Promise.all([obtain(), obtain(), obtain()]);
    await obtain();
    expect(calls().filter((c) => c === PUT_TOKEN)).toHaveLength(1);
    expect(calls().filter((c) => c === READ)).toHaveLength(4);
  });

  it('replaces a cached token the service no longer accepts', async () => {
    const tokenCache = new MetadataTokenCache();
    // The client's clock stands still while the service's moves past the token's TTL.
    const o = options({ roleName: ROLE, tokenCache, tokenTtlSeconds: 60, now: () => new Date(START) });
    await ecsRamRoleCredentials(o);
    clock.ms = START + 61_000;
    const result = await ecsRamRoleCredentials(o);
    expect(identities.alibabaKey(result.value.accessKeyId)?.account).toBe(ACCOUNT);
    expect(calls()).toEqual([PUT_TOKEN, READ, READ, PUT_TOKEN, READ]);
    expect(fake.requests[2]?.headers['x-aliyun-ecs-metadata-token']).not.toBe(
      fake.requests[4]?.headers['x-aliyun-ecs-metadata-token'],
    );
  });
});

describe('ecsRamRoleCredentials failures', () => {
  it('reports a role that is not attached as PROVIDER_AUTH_FAILED', async () => {
    const err = await rejection(ecsRamRoleCredentials(options({ roleName: 'NotMine' })));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details).toEqual({ provider: 'ECS_METADATA', httpStatus: 404 });
  });

  it('reports a refused token request (a proxied call) as PROVIDER_AUTH_FAILED', async () => {
    fake.enqueueFaults({ status: 403, body: 'Forbidden' });
    const err = await rejection(ecsRamRoleCredentials(options()));
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(err.details.httpStatus).toBe(403);
  });

  it('maps a 5xx for the token, the listing or the credentials to CREDENTIALS_UNAVAILABLE', async () => {
    fake.enqueueFaults({ status: 500, body: 'oops' });
    const tokenFailed = await rejection(ecsRamRoleCredentials(options()));
    expect(tokenFailed.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(tokenFailed.details).toEqual({ provider: 'ECS_METADATA', httpStatus: 500 });

    // With a warm token cache the first request is the listing, then the credentials read.
    const tokenCache = new MetadataTokenCache();
    await ecsRamRoleCredentials(options({ tokenCache }));
    fake.enqueueFaults({ status: 502, body: 'bad gateway' });
    const listFailed = await rejection(ecsRamRoleCredentials(options({ tokenCache })));
    expect(listFailed.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(listFailed.details.httpStatus).toBe(502);

    fake.resetRequests();
    fake.enqueueFaults({ status: 200, body: ROLE }, { status: 503, body: 'busy' });
    const readFailed = await rejection(ecsRamRoleCredentials(options({ tokenCache })));
    expect(readFailed.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(readFailed.details.httpStatus).toBe(503);
    expect(calls()).toEqual([LIST, READ]);
  });

  it('maps a reset connection and a closed port to CREDENTIALS_UNAVAILABLE', async () => {
    fake.enqueueFaults({ kind: 'reset' });
    const reset = await rejection(ecsRamRoleCredentials(options()));
    expect(reset.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(reset.cause).toBeDefined();

    const gone = createAlibabaMetadataFake({ identities, roleName: ROLE });
    const url = await gone.start(0);
    await gone.stop();
    const closed = await rejection(ecsRamRoleCredentials(options({ endpoint: url })));
    expect(closed.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(closed.message).toContain('ECONNREFUSED');
  });

  it('maps a service that stops answering to CREDENTIALS_UNAVAILABLE within its timeouts', async () => {
    fake.enqueueFaults({ kind: 'hang' });
    const started = Date.now();
    const err = await rejection(ecsRamRoleCredentials(options()));
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.message).toBe('ECS metadata service did not answer in time');
    expect(Date.now() - started).toBeLessThan(4_500);
  });

  it('maps a cancelled call to CREDENTIALS_UNAVAILABLE', async () => {
    fake.enqueueFaults({ kind: 'hang' });
    const controller = new AbortController();
    const promise = ecsRamRoleCredentials(options(), controller.signal);
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(promise);
    expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(err.message).toBe('ECS metadata call was cancelled');
  });

  it('maps a credential answer that is not Success, or not the documented JSON, without echoing it', async () => {
    const tokenCache = new MetadataTokenCache();
    await ecsRamRoleCredentials(options({ roleName: ROLE, tokenCache }));
    const leaked = { AccessKeyId: 'STS.leak', AccessKeySecret: 'leaked-secret', SecurityToken: 'CAISleaked-token' };
    const answers = [
      { ...leaked, Code: 'Failed', Expiration: '2025-01-02T04:04:05Z' },
      { ...leaked, Code: 'Success', Expiration: 'later' },
      { ...leaked, Code: 'Success', SecurityToken: '', Expiration: '2025-01-02T04:04:05Z' },
      `{"Code":"Success","AccessKeySecret":"leaked-secret"`,
    ];
    for (const body of answers) {
      fake.enqueueFaults({ status: 200, body });
      const err = await rejection(ecsRamRoleCredentials(options({ roleName: ROLE, tokenCache })));
      expect(err.code).toBe('CREDENTIALS_UNAVAILABLE');
      for (const secret of ['leaked-secret', 'CAISleaked-token', 'STS.leak']) expect(err.message).not.toContain(secret);
    }
  });

  it('never puts the session token in an error message', async () => {
    const tokenCache = new MetadataTokenCache();
    await ecsRamRoleCredentials(options({ roleName: ROLE, tokenCache }));
    const token = fake.requests[1]?.headers['x-aliyun-ecs-metadata-token'] as string;
    fake.enqueueFaults({ status: 404, body: `no role for ${token}` });
    const err = await rejection(ecsRamRoleCredentials(options({ roleName: ROLE, tokenCache })));
    expect(err.message).not.toContain(token);
  });
});
