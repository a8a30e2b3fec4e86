/**
 * Turns a client's `JobRef` into a validated {@link JobKey}: picks the account, fills the region
 * and (Huawei) project from the account's configuration or a read-only IAM lookup, and rejects
 * malformed values, and regions the provider is not offered in, before any provider call is made.
 */
import { JobError } from './errors.js';
import { jobIdPattern, jobIdRule } from './job-id-syntax.js';
import type { AccountDirectory } from './accounts/directory.js';
import { requireRegion } from './providers/regions.js';
import { cloudOf, HUAWEI_PROVIDERS, PROVIDERS, type JobKey, type ProviderName } from './providers/types.js';
import { checkAllowed, type AllowList } from './security/allow-list.js';

/** What a client sends (the GraphQL `JobRef` input). */
export interface JobRefInput {
  provider: ProviderName;
  jobId: string;
  account?: string | null;
  region?: string | null;
  projectId?: string | null;
}

/** Finds a Huawei project id for an account and region that configuration does not map. */
export interface ProjectLookup {
  /**
   * @param account the key's account (null: the cloud's default)
   * @returns the project id, or null when the account has no project in that region
   * @throws JobError when the lookup itself fails (credentials, IAM unreachable)
   */
  projectFor(account: string | null, region: string): Promise<string | null>;
}

export interface RefDefaults {
  accounts: AccountDirectory;
  /** Huawei project discovery; without it an unmapped region is BAD_USER_INPUT. */
  projects?: ProjectLookup;
  /** When set, refs outside it are FORBIDDEN. */
  allow?: AllowList;
}

/**
 * Region ids of both clouds look like `cn-hangzhou`, `ap-southeast-1`, `eu-west-101`. The one
 * definition: config.ts validates the configured default regions and allow-list with it too.
 */
export const REGION_PATTERN = /^[a-z]{2,}(-[a-z0-9]+){1,4}$/;
/** Huawei project ids are 32 lowercase hex characters (refs, and the configured default and allow-list). */
export const HUAWEI_PROJECT_PATTERN = /^[0-9a-f]{32}$/;
/** Job id syntax per provider (src/job-id-syntax.ts, which the README and GraphiQL state). */
const JOB_ID = Object.fromEntries(PROVIDERS.map((p) => [p, jobIdPattern(p)])) as Record<ProviderName, RegExp>;

/**
 * @throws (rejects with) JobError BAD_USER_INPUT naming the field at fault, FORBIDDEN outside the
 *   allow-list, or the project lookup's own error.
 */
export async function resolveJobRef(ref: JobRefInput, defaults: RefDefaults): Promise<JobKey> {
  const key = await toJobKey(ref, defaults);
  if (!defaults.allow) return key;
  return checkAllowed(key, defaults.allow, defaults.accounts.nameOf(cloudOf(key.provider), key.account));
}

async function toJobKey(ref: JobRefInput, defaults: RefDefaults): Promise<JobKey> {
  const huawei = HUAWEI_PROVIDERS.includes(ref.provider);
  if (!JOB_ID[ref.provider].test(ref.jobId)) {
    throw new JobError('BAD_USER_INPUT', `${ref.provider} jobId must be ${jobIdRule(ref.provider)}`, {
      provider: ref.provider,
    });
  }
  const account = defaults.accounts.keyAccount(ref.provider, ref.account);
  const info = defaults.accounts.get(cloudOf(ref.provider), account);
  const region = ref.region ?? info?.defaultRegion ?? null;
  if (!region) {
    throw new JobError(
      'BAD_USER_INPUT',
      `region is required for ${ref.provider}: pass ref.region or configure the account's default region (${huawei ? 'HUAWEICLOUD_SDK_REGION' : 'ALIBABA_CLOUD_REGION_ID'}, or defaultRegion in the accounts file)`,
      { provider: ref.provider },
    );
  }
  if (!REGION_PATTERN.test(region)) {
    throw new JobError('BAD_USER_INPUT', 'region must look like cn-hangzhou or cn-north-4', { provider: ref.provider });
  }
  // Checked before any call (the project lookup included): a region the service is not offered in
  // would only fail later as a host that does not resolve (docs/providers.md#regions).
  requireRegion(ref.provider, region);
  if (!huawei) return { provider: ref.provider, account, region, projectId: null, jobId: ref.jobId };

  if (ref.projectId !== null && ref.projectId !== undefined && !HUAWEI_PROJECT_PATTERN.test(ref.projectId)) {
    throw new JobError('BAD_USER_INPUT', 'projectId must be 32 lowercase hex characters', { provider: ref.provider });
  }
  // The account's map, then a read-only IAM lookup: a project id belongs to one region only.
  const projectId =
    ref.projectId ??
    (info && Object.hasOwn(info.projects, region) ? info.projects[region] : undefined) ??
    (info && defaults.projects ? await defaults.projects.projectFor(account, region) : null);
  if (!projectId) {
    throw new JobError(
      'BAD_USER_INPUT',
      `no project of account "${defaults.accounts.nameOf('huawei', account)}" in region ${region}: pass ref.projectId, or map the region under the account's projects`,
      { provider: ref.provider },
    );
  }
  return { provider: ref.provider, account, region, projectId, jobId: ref.jobId };
}

/** Re-validates a key decoded from a global id (federation representations come from outside). */
export async function validateJobKey(key: JobKey, defaults: RefDefaults): Promise<JobKey> {
  if (!HUAWEI_PROVIDERS.includes(key.provider) && key.projectId !== null) {
    throw new JobError('BAD_USER_INPUT', `${key.provider} ids carry no project (use '-')`, { provider: key.provider });
  }
  if (HUAWEI_PROVIDERS.includes(key.provider) && key.projectId === null) {
    throw new JobError('BAD_USER_INPUT', `${key.provider} ids carry a project id`, { provider: key.provider });
  }
  return resolveJobRef(key, defaults);
}
