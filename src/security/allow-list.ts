/**
 * Optional allow-list of what refs may ask for: providers, accounts, regions and Huawei projects. An empty
 * list allows everything of that kind. A ref outside the list is FORBIDDEN before any provider call.
 */
import { JobError } from '../errors.js';
import type { JobKey, ProviderName } from '../providers/types.js';

export interface AllowList {
  providers: readonly ProviderName[];
  /** Account names (the cloud's default account by its name too). */
  accounts: readonly string[];
  regions: readonly string[];
  projects: readonly string[];
}

/** @throws JobError FORBIDDEN */
export function checkAllowed(key: JobKey, allow: AllowList, accountName: string): JobKey {
  const deny = (what: string) => {
    throw new JobError('FORBIDDEN', `${what} is not allowed on this server`, { provider: key.provider });
  };
  if (allow.providers.length > 0 && !allow.providers.includes(key.provider)) deny(`provider ${key.provider}`);
  if (allow.accounts.length > 0 && !allow.accounts.includes(accountName)) deny(`account ${accountName}`);
  if (allow.regions.length > 0 && !allow.regions.includes(key.region)) deny(`region ${key.region}`);
  if (key.projectId !== null && allow.projects.length > 0 && !allow.projects.includes(key.projectId))
    deny('this project');
  return key;
}
