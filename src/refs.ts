/**
 * Turns a client's `JobRef` into a validated {@link JobKey}: fills the region and (Huawei) project
 * from configuration, and rejects malformed values before any provider call is made.
 */
import { JobError } from './errors.js';
import { jobIdPattern, jobIdRule } from './job-id-syntax.js';
import { HUAWEI_PROVIDERS, PROVIDERS, type JobKey, type ProviderName } from './providers/types.js';
import { checkAllowed, type AllowList } from './security/allow-list.js';

/** What a client sends (the GraphQL `JobRef` input). */
export interface JobRefInput {
  provider: ProviderName;
  jobId: string;
  region?: string | null;
  projectId?: string | null;
}

export interface RefDefaults {
  alibabaRegion: string | null;
  huaweiRegion: string | null;
  huaweiProjectId: string | null;
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

/** @throws JobError BAD_USER_INPUT naming the field at fault, FORBIDDEN outside the allow-list. */
export function resolveJobRef(ref: JobRefInput, defaults: RefDefaults): JobKey {
  const key = toJobKey(ref, defaults);
  return defaults.allow ? checkAllowed(key, defaults.allow) : key;
}

function toJobKey(ref: JobRefInput, defaults: RefDefaults): JobKey {
  const huawei = HUAWEI_PROVIDERS.includes(ref.provider);
  if (!JOB_ID[ref.provider].test(ref.jobId)) {
    throw new JobError('BAD_USER_INPUT', `${ref.provider} jobId must be ${jobIdRule(ref.provider)}`, {
      provider: ref.provider,
    });
  }
  const region = ref.region ?? (huawei ? defaults.huaweiRegion : defaults.alibabaRegion);
  if (!region) {
    throw new JobError(
      'BAD_USER_INPUT',
      `region is required for ${ref.provider}: pass ref.region or configure ${huawei ? 'HUAWEICLOUD_SDK_REGION' : 'ALIBABA_CLOUD_REGION_ID'}`,
      {
        provider: ref.provider,
      },
    );
  }
  if (!REGION_PATTERN.test(region)) {
    throw new JobError('BAD_USER_INPUT', 'region must look like cn-hangzhou or cn-north-4', { provider: ref.provider });
  }
  if (!huawei) return { provider: ref.provider, region, projectId: null, jobId: ref.jobId };

  const projectId = ref.projectId ?? defaults.huaweiProjectId;
  if (!projectId) {
    throw new JobError(
      'BAD_USER_INPUT',
      `projectId is required for ${ref.provider}: pass ref.projectId or configure HUAWEICLOUD_SDK_PROJECT_ID`,
      {
        provider: ref.provider,
      },
    );
  }
  if (!HUAWEI_PROJECT_PATTERN.test(projectId)) {
    throw new JobError('BAD_USER_INPUT', 'projectId must be 32 lowercase hex characters', { provider: ref.provider });
  }
  return { provider: ref.provider, region, projectId, jobId: ref.jobId };
}

/** Re-validates a key decoded from a global id (federation representations come from outside). */
export function validateJobKey(key: JobKey, defaults: RefDefaults): JobKey {
  const resolved = resolveJobRef(key, defaults);
  if (!HUAWEI_PROVIDERS.includes(key.provider) && key.projectId !== null) {
    throw new JobError('BAD_USER_INPUT', `${key.provider} ids carry no project (use '-')`, { provider: key.provider });
  }
  return resolved;
}
