/**
 * The global job id: `<PROVIDER>:<region>:<projectId or ->:<jobId>`. Region and project id never
 * contain ':' (validated on input), so everything after the third ':' is the provider's job id,
 * verbatim, even when it contains ':' itself.
 */
import { JobError } from '../errors.js';
import { PROVIDERS, type JobKey, type ProviderName } from './types.js';

export function toGlobalId(key: JobKey): string {
  return `${key.provider}:${key.region}:${key.projectId ?? '-'}:${key.jobId}`;
}

/** @throws JobError BAD_USER_INPUT when the id is not one this service issued. */
export function fromGlobalId(id: string): JobKey {
  const parts = id.split(':');
  const [provider, region, project] = parts;
  const jobId = parts.slice(3).join(':');
  if (parts.length < 4 || !PROVIDERS.includes(provider as ProviderName) || !region || !project || !jobId) {
    throw new JobError(
      'BAD_USER_INPUT',
      `"${truncate(id)}" is not a job id of this service (expected PROVIDER:region:project:jobId)`,
    );
  }
  return { provider: provider as ProviderName, region, projectId: project === '-' ? null : project, jobId };
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
