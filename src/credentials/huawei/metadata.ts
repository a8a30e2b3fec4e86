/**
 * The temporary AK/SK an ECS instance gets for the agency bound to it, from the metadata service:
 * `GET http://169.254.169.254/openstack/latest/securitykey` →
 * `{"credential":{"access","secret","securitytoken","expires_at"}}` (huaweicloud-sdk-go-v3
 * core/auth/internal/metadata_accessor.go and iam_model.go; ECS "Obtaining Metadata" (Security Key),
 * https://support.huaweicloud.com/intl/en-us/usermanual-ecs/en-us_topic_0042400609.html). No agency bound is a
 * refusal an operator must fix; an unreachable or failing service is transient.
 *
 * Not done: the SDK first asks for a session token (`PUT /meta-data/latest/api/token`, sent back as
 * `X-Metadata-Token`) for instances with metadata hardening; HttpTransport only sends GET and POST.
 */
import type { HttpTransport } from '../../providers/http.js';
import { asObject, asString, tryParseJson } from '../../providers/wire.js';
import type { Expiring } from '../types.js';
import { malformedAnswer, parseHuaweiTime, sendChecked, type HuaweiTemporaryKey, type SourceContext } from './iam.js';

export const ECS_METADATA_ENDPOINT = 'http://169.254.169.254';

export interface EcsSecurityKeyOptions {
  /** Metadata service base URL. @default 'http://169.254.169.254' */
  endpoint?: string | undefined;
  transport: Pick<HttpTransport, 'send'>;
  /** Clock for Retry-After dates. @default () => new Date() */
  now?: (() => Date) | undefined;
}

const CONTEXT: SourceContext = {
  provider: 'ECS_METADATA',
  label: 'The ECS metadata service',
  action: 'security key request',
  hint: 'bind an agency to the ECS instance (and, with metadata hardening, note that session tokens are not supported)',
};

/**
 * The instance agency's current temporary AK/SK.
 * @throws JobError CREDENTIALS_UNAVAILABLE (unreachable, 5xx, unreadable) |
 *   PROVIDER_AUTH_FAILED (no agency bound, 401/403/404)
 */
export async function ecsSecurityKey(
  options: EcsSecurityKeyOptions,
  signal?: AbortSignal,
): Promise<Expiring<HuaweiTemporaryKey>> {
  const url = metadataUrl(options.endpoint ?? ECS_METADATA_ENDPOINT);
  const res = await sendChecked(CONTEXT, options, { method: 'GET', url, headers: {} }, signal);
  const credential = asObject(asObject(tryParseJson(res.body))?.credential);
  const ak = asString(credential?.access);
  const sk = asString(credential?.secret);
  const securityToken = asString(credential?.securitytoken);
  if (!ak || !sk || !securityToken) throw malformedAnswer(CONTEXT, res, 'no credential access/secret/securitytoken');
  const expiresAt = parseHuaweiTime(credential?.expires_at);
  if (expiresAt === null) throw malformedAnswer(CONTEXT, res, 'no readable credential.expires_at');
  return { value: { ak, sk, securityToken }, expiresAt };
}

function metadataUrl(endpoint: string): URL {
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw new TypeError('the metadata endpoint is not a URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError('the metadata endpoint must be an http or https URL');
  }
  const url = new URL(base.origin);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}/openstack/latest/securitykey`;
  return url;
}
