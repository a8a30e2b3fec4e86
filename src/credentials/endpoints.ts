/**
 * Where the identity services are: the documented public hosts, or `JOBS_ENDPOINT_STS` /
 * `JOBS_ENDPOINT_IAM` (base URLs, `{region}` substituted with the account's default region) and the
 * metadata overrides, for tests and private networks (VPC endpoints, proxies).
 */
export interface IdentityEndpoints {
  STS?: string | undefined;
  IAM?: string | undefined;
  ALIBABA_METADATA?: string | undefined;
  HUAWEI_METADATA?: string | undefined;
}

/** Regional STS when the account has a region (lower latency, no cross-border hop), else the central one. */
export function stsEndpoint(override: string | undefined, region: string | null): string {
  if (override) return override.replaceAll('{region}', region ?? 'cn-hangzhou');
  return region ? `https://sts.${region}.aliyuncs.com` : 'https://sts.aliyuncs.com';
}

/** Regional IAM when the account has a region, else the global endpoint. */
export function iamEndpoint(override: string | undefined, region: string | null): string {
  if (override) return override.replaceAll('{region}', region ?? 'cn-north-4');
  if (!region) return 'https://iam.myhuaweicloud.com';
  return `https://iam.${region}.${region === 'eu-west-101' ? 'myhuaweicloud.eu' : 'myhuaweicloud.com'}`;
}
