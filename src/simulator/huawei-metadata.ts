/**
 * Fake Huawei ECS metadata service: `GET /openstack/latest/securitykey` →
 * `{"credential":{"access","secret","securitytoken","expires_at"}}` for the agency bound to the
 * simulated instance (`identities.huaweiMetadataDomain`; none bound → 404). Shape and path as
 * huaweicloud-sdk-go-v3 reads them (core/auth/internal/metadata_accessor.go, iam_model.go) and the ECS
 * "Obtaining Metadata" page lists them (usermanual-ecs/en-us_topic_0042400609.html).
 *
 * Like the real service it hands out the same key on every read until it nears expiry: a new one is
 * issued once less than a third of the current one's lifetime is left (or the bound domain changes).
 * The token step of metadata hardening (`PUT /meta-data/latest/api/token`) is not simulated.
 */
import { FakeProviderServer, type FakeReply } from './fake-server.js';
import { iamTime } from './huawei-iam.js';
import type { HuaweiKeyRecord, SimulatedIdentities } from './identities.js';

export interface HuaweiMetadataFakeOptions {
  identities: SimulatedIdentities;
}

const SECURITY_KEY_PATH = '/openstack/latest/securitykey';

const text = (status: number, body: string): FakeReply => ({
  status,
  headers: { 'content-type': 'text/plain' },
  body,
});

/** A fake metadata service (not started; call `.start()`). */
export function createHuaweiMetadataFake(options: HuaweiMetadataFakeOptions): FakeProviderServer {
  const { identities } = options;
  let current: { record: HuaweiKeyRecord; issuedAt: number } | null = null;

  const keyFor = (domainId: string): HuaweiKeyRecord => {
    const now = identities.now();
    const c = current;
    const expiresAt = c?.record.expiresAt ?? 0;
    if (!c || c.record.domainId !== domainId || expiresAt - now < (expiresAt - c.issuedAt) / 3) {
      current = { record: identities.issueHuaweiTemporaryKey(domainId), issuedAt: now };
      return current.record;
    }
    return c.record;
  };

  return new FakeProviderServer('ECS_METADATA', (req) => {
    if (req.path !== SECURITY_KEY_PATH) return text(404, 'Not Found');
    if (req.method !== 'GET') return text(405, 'Method Not Allowed');
    const domainId = identities.huaweiMetadataDomain;
    if (domainId === null) return text(404, 'Please configure Cloud Service Agency first');
    const key = keyFor(domainId);
    return {
      status: 200,
      body: {
        credential: {
          access: key.ak,
          secret: key.sk,
          securitytoken: key.securityToken,
          expires_at: iamTime(key.expiresAt ?? identities.now()),
        },
      },
    };
  });
}
