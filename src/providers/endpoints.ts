/**
 * Endpoint hosts per provider and region (docs/providers.md#endpoints), or a configured override
 * (`JOBS_ENDPOINT_<PROVIDER>`, a base URL where `{region}` is substituted).
 */
import type { ProviderName } from './types.js';

/**
 * Workspace App Streaming is served from `appstream.*` in these regions, `workspace.*` elsewhere
 * (SDK region table).
 */
const APPSTREAM_REGIONS = new Set(['cn-north-4', 'cn-east-3', 'cn-south-1', 'cn-north-9', 'cn-southwest-2']);

/** Huawei's EU sovereign region lives under its own domain. */
function huaweiDomain(region: string): string {
  return region === 'eu-west-101' ? 'myhuaweicloud.eu' : 'myhuaweicloud.com';
}

/** The documented default base URL of a provider in a region. */
export function defaultEndpoint(provider: ProviderName, region: string): string {
  switch (provider) {
    case 'DATAWORKS':
      // Not the SDK's fallback rule, which would give the wrong `dataworks-public.*` host.
      return `https://dataworks.${region}.aliyuncs.com`;
    case 'NLB':
      return `https://nlb.${region}.aliyuncs.com`;
    case 'CFW':
      return `https://cfw.${region}.${huaweiDomain(region)}`;
    case 'DLI':
      return `https://dli.${region}.${huaweiDomain(region)}`;
    case 'WORKSPACE':
      return `https://${APPSTREAM_REGIONS.has(region) ? 'appstream' : 'workspace'}.${region}.${huaweiDomain(region)}`;
  }
}

/** Base URL for a call: the override with `{region}` filled in, or the documented default. */
export function resolveEndpoint(provider: ProviderName, region: string, override?: string): URL {
  const base = override ? override.replaceAll('{region}', region) : defaultEndpoint(provider, region);
  return new URL(base.endsWith('/') ? base : `${base}/`);
}
