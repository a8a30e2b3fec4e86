/**
 * The global job id: `<PROVIDER>:<region>:<projectId or ->:<jobId>` for the cloud's default
 * account (the format ids had before accounts existed, so they stay valid), and
 * `<PROVIDER>@<account>:<region>:<projectId or ->:<jobId>` for any other account. Account names,
 * regions and project ids never contain ':' or '@' (validated on input), so everything after the
 * third ':' is the provider's job id, verbatim, even when it contains ':' itself.
 */
import { JobError } from '../errors.js';
import { PROVIDERS, type JobKey, type ProviderName } from './types.js';

export function toGlobalId(key: JobKey): string {
  const head = key.account === null ? key.provider : `${key.provider}@${key.account}`;
  return `${head}:${key.region}:${key.projectId ?? '-'}:${key.jobId}`;
}

/** @throws JobError BAD_USER_INPUT when the id is not one this service issued. */
export function fromGlobalId(id: string): JobKey {
  const parts = id.split(':');
  const [head = '', region, project] = parts;
  const jobId = parts.slice(3).join(':');
  const at = head.indexOf('@');
  const provider = at < 0 ? head : head.slice(0, at);
  const account = at < 0 ? null : head.slice(at + 1);
  if (
    parts.length < 4 ||
    !PROVIDERS.includes(provider as ProviderName) ||
    account === '' ||
    !region ||
    !project ||
    !jobId
  ) {
    throw new JobError(
      'BAD_USER_INPUT',
      `"${truncate(id)}" is not a job id of this service (expected PROVIDER[@account]:region:project:jobId)`,
    );
  }
  return {
    provider: provider as ProviderName,
    account,
    region,
    projectId: project === '-' ? null : project,
    jobId,
  };
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
