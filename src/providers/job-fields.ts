/**
 * What every provider mapper does the same way: look a raw status up in its table, build the
 * fields every job shares, and refuse a body without a status.
 */
import { JobError } from '../errors.js';
import { toGlobalId } from './job-id.js';
import { isTerminalState, type JobKey, type JobState, type ProviderName } from './types.js';

/** Own-property lookup, so a status such as "constructor" cannot hit Object.prototype. Unknown → UNKNOWN. */
export function stateFrom(table: Readonly<Record<string, JobState>>, status: string | null): JobState {
  return status !== null && Object.hasOwn(table, status) ? (table[status] as JobState) : 'UNKNOWN';
}

/** The normalized fields of the `CloudJob` interface (the mapper adds `provider` and its own fields). */
export function commonJobFields(
  key: JobKey,
  rawStatus: string,
  state: JobState,
  times: { startedAt: Date | null; finishedAt: Date | null },
  requestId: string | null,
) {
  return {
    id: toGlobalId(key),
    account: key.account,
    region: key.region,
    projectId: key.projectId,
    jobId: key.jobId,
    state,
    rawStatus,
    terminal: isTerminalState(state),
    startedAt: times.startedAt,
    finishedAt: times.finishedAt,
    providerRequestId: requestId,
  };
}

/** PROVIDER_BAD_RESPONSE for a body that lacks what every answer must have. */
export function missingField(provider: ProviderName, what: string, requestId: string | null): JobError {
  return new JobError('PROVIDER_BAD_RESPONSE', `${provider} answered without ${what}`, {
    provider,
    ...(requestId ? { requestId } : {}),
  });
}
