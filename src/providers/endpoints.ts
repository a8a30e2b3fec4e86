/**
 * Endpoint hosts per provider and region (docs/providers.md#endpoints, the tables in ./regions.ts),
 * or a configured override (`JOBS_ENDPOINT_<PROVIDER>`, a base URL where `{region}` is substituted).
 */
import { hostFor, requireRegion } from './regions.js';
import type { ProviderName } from './types.js';

/**
 * The documented default base URL of a provider in a region: the SDK table's host, which for some
 * DataWorks regions is the central `dataworks.aliyuncs.com`, and for Workspace `appstream.*` or
 * `workspace.*` depending on the region.
 * @throws JobError BAD_USER_INPUT when the provider is not offered in the region (refs are checked
 *   before any call; this guards callers that build keys themselves).
 */
export function defaultEndpoint(provider: ProviderName, region: string): string {
  requireRegion(provider, region);
  return `https://${hostFor(provider, region)!}`;
}

/**
 * Base URL for a call: the override with `{region}` filled in, or the documented default. An
 * override is taken as given (a VPC endpoint, a proxy, the simulator); the region was checked
 * against the provider's table when the ref was resolved.
 */
export function resolveEndpoint(provider: ProviderName, region: string, override?: string): URL {
  const base = override ? override.replaceAll('{region}', region) : defaultEndpoint(provider, region);
  return new URL(base.endsWith('/') ? base : `${base}/`);
}
