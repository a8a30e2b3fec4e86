import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { createHuaweiMetadataFake } from '../../src/simulator/huawei-metadata.js';
import { SimulatedIdentities } from '../../src/simulator/identities.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);
const TTL = 3_000_000;
const clock = { ms: START };
let identities: SimulatedIdentities;
let fake: FakeProviderServer;

beforeAll(async () => {
  identities = new SimulatedIdentities({ now: () => clock.ms, credentialTtlMs: TTL });
  fake = createHuaweiMetadataFake({ identities });
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  clock.ms = START;
  identities.huaweiMetadataDomain = 'd-instance';
});

async function get(path = '/openstack/latest/securitykey', method = 'GET') {
  const res = await fetch(new URL(path, fake.url), { method });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as any };
}

describe('Huawei ECS metadata fake', () => {
  it("hands out a temporary key of the bound agency's account, in the SDK's shape", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    const { credential } = res.json();
    expect(Object.keys(credential).sort()).toEqual(['access', 'expires_at', 'secret', 'securitytoken']);
    expect(identities.huaweiKey(credential.access)).toEqual({
      domainId: 'd-instance',
      ak: credential.access,
      sk: credential.secret,
      securityToken: credential.securitytoken,
      expiresAt: START + TTL,
    });
    expect(credential.expires_at).toBe(new Date(START + TTL).toISOString().replace('Z', '000Z'));
  });

  it('answers 404 while no agency is bound to the instance', async () => {
    identities.huaweiMetadataDomain = null;
    const res = await get();
    expect(res.status).toBe(404);
    expect(res.text).toContain('Cloud Service Agency');
  });

  it('keeps handing out the same key until a third of its lifetime is left, then a new one', async () => {
    const first = (await get()).json().credential.access;
    clock.ms = START + (TTL * 2) / 3 - 1;
    expect((await get()).json().credential.access).toBe(first);
    clock.ms = START + (TTL * 2) / 3 + 1;
    const second = (await get()).json().credential.access;
    expect(second).not.toBe(first);
    expect(identities.huaweiKey(second)?.expiresAt).toBe(clock.ms + TTL);
    clock.ms += 1_000;
    expect((await get()).json().credential.access).toBe(second);
  });

  it('issues a new key when the instance is bound to another account', async () => {
    const first = (await get()).json().credential.access;
    identities.huaweiMetadataDomain = 'd-other';
    const other = (await get()).json().credential.access;
    expect(other).not.toBe(first);
    expect(identities.huaweiKey(other)?.domainId).toBe('d-other');
  });

  it('answers other paths with 404 and other methods with 405', async () => {
    expect((await get('/openstack/latest/meta_data.json')).status).toBe(404);
    expect((await get('/openstack/latest/securitykey', 'POST')).status).toBe(405);
  });
});
