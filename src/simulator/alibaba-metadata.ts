/**
 * Fake ECS instance metadata service in security hardening mode (IMDSv1 disabled), serving one
 * instance RAM role from the shared {@link SimulatedIdentities}:
 * - `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` (1-21600) → a session token;
 * - `GET /latest/meta-data/ram/security-credentials/` → the role name;
 * - `GET /latest/meta-data/ram/security-credentials/<role>` → `{Code, AccessKeyId, AccessKeySecret,
 *   SecurityToken, Expiration, LastUpdated}`.
 * A GET without a live session token gets 401. Sources: https://www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata
 * and the paths/headers @alicloud/credentials 2.4.7 uses (src/providers/ecs_ram_role.ts).
 *
 * Like the real service it hands out the same credential on every read until it nears expiry;
 * here a new one is issued once less than a third of the previous one's lifetime is left.
 */
import { randomBytes } from 'node:crypto';
import { FakeProviderServer, type FakeReply, type FakeRequest } from './fake-server.js';
import type { AlibabaKeyRecord, SimulatedIdentities } from './identities.js';

export interface AlibabaMetadataFakeOptions {
  identities: SimulatedIdentities;
  /** The RAM role attached to the simulated instance (bound with `identities.addAlibabaEcsRole`). */
  roleName: string;
}

const TOKEN_PATH = '/latest/api/token';
const ROLES_PATH = '/latest/meta-data/ram/security-credentials/';
const MAX_TOKEN_TTL_S = 21_600;

const text = (status: number, body: string): FakeReply => ({
  status,
  headers: { 'content-type': 'text/plain' },
  body,
});

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Builds the fake (not started; the caller calls `.start()`). */
export function createAlibabaMetadataFake(options: AlibabaMetadataFakeOptions): FakeProviderServer {
  const { identities, roleName } = options;
  /** Session token → expiry (epoch ms). */
  const tokens = new Map<string, number>();
  let current: { record: AlibabaKeyRecord; issuedAt: number; lastUpdated: number } | null = null;

  const credentials = (account: string) => {
    const now = identities.now();
    const c = current;
    const expiresAt = c?.record.expiresAt ?? 0;
    if (!c || c.record.account !== account || expiresAt - now < (expiresAt - c.issuedAt) / 3) {
      current = { record: identities.issueAlibabaSts(account), issuedAt: now, lastUpdated: now };
    }
    return current as NonNullable<typeof current>;
  };

  const handle = (req: FakeRequest): FakeReply => {
    const now = identities.now();
    if (req.path === TOKEN_PATH) {
      if (req.method !== 'PUT') return text(405, 'Method Not Allowed');
      // The service refuses token requests that went through a proxy (an SSRF guard).
      if (header(req, 'x-forwarded-for') !== undefined) return text(403, 'Forbidden');
      const raw = header(req, 'x-aliyun-ecs-metadata-token-ttl-seconds') ?? '';
      const ttl = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(ttl >= 1 && ttl <= MAX_TOKEN_TTL_S)) return text(400, 'Bad Request');
      for (const [t, exp] of tokens) if (exp <= now) tokens.delete(t);
      const token = randomBytes(32).toString('base64url');
      tokens.set(token, now + ttl * 1000);
      return text(200, token);
    }

    if (req.method !== 'GET') return text(405, 'Method Not Allowed');
    const token = header(req, 'x-aliyun-ecs-metadata-token');
    const expiry = token === undefined ? undefined : tokens.get(token);
    // Hardening mode: no IMDSv1, so every read needs a live session token.
    if (expiry === undefined || expiry <= now) return text(401, 'Unauthorized');

    const account = identities.alibabaEcsRoles().get(roleName);
    if (req.path === ROLES_PATH) return account === undefined ? text(404, 'Not Found') : text(200, roleName);
    if (req.path.startsWith(ROLES_PATH)) {
      let asked: string;
      try {
        asked = decodeURIComponent(req.path.slice(ROLES_PATH.length));
      } catch {
        return text(404, 'Not Found');
      }
      if (asked !== roleName || account === undefined) return text(404, 'Not Found');
      const c = credentials(account);
      return {
        status: 200,
        body: {
          AccessKeyId: c.record.accessKeyId,
          AccessKeySecret: c.record.accessKeySecret,
          Expiration: isoSeconds(c.record.expiresAt ?? now),
          SecurityToken: c.record.securityToken,
          LastUpdated: isoSeconds(c.lastUpdated),
          Code: 'Success',
        },
      };
    }
    return text(404, 'Not Found');
  };

  return new FakeProviderServer('ECS_METADATA', handle);
}
