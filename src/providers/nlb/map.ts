/**
 * NLB `GetJobStatus` (2022-04-30) response `{ RequestId, Status }` → {@link NlbJob}. Pure.
 * (../../../../shared/providers.md §A.3)
 */
import { JobError } from '../../errors.js';
import { toGlobalId } from '../job-id.js';
import { isTerminalState, type JobKey, type JobState, type NlbJob } from '../types.js';
import { asObject, asString, tryParseJson } from '../wire.js';

/**
 * Lower-cased `Status` → state. The en doc and SDK write `processing`, the zh doc `Processing`
 * (https://www.alibabacloud.com/help/en/slb/network-load-balancer/developer-reference/api-nlb-2022-04-30-getjobstatus),
 * and `Failed` comes from the sibling ListAsynJobs; hence the case-insensitive lookup.
 */
export const NLB_STATES: Readonly<Record<string, JobState>> = {
  processing: 'RUNNING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
};

/**
 * Maps the raw response text of one call.
 * @throws JobError PROVIDER_BAD_RESPONSE when the body is not JSON, not an object, or has no
 *   `Status` string.
 */
export function mapNlbJob(key: JobKey, body: string, requestId: string | null): NlbJob {
  const root = asObject(tryParseJson(body));
  const status = asString(root?.Status);
  if (!root || status === null) {
    throw new JobError('PROVIDER_BAD_RESPONSE', 'NLB answered without Status', {
      provider: 'NLB',
      ...(requestId ? { requestId } : {}),
    });
  }
  // Own-property lookup so that e.g. "constructor" cannot hit Object.prototype.
  const lower = status.trim().toLowerCase();
  const state: JobState = Object.hasOwn(NLB_STATES, lower) ? (NLB_STATES[lower] as JobState) : 'UNKNOWN';
  return {
    provider: 'NLB',
    id: toGlobalId(key),
    region: key.region,
    projectId: key.projectId,
    jobId: key.jobId,
    state,
    rawStatus: status,
    terminal: isTerminalState(state),
    // The API reports no times.
    startedAt: null,
    finishedAt: null,
    providerRequestId: requestId ?? asString(root.RequestId),
    status,
  };
}
