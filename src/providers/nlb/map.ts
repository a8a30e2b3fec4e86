/**
 * NLB `GetJobStatus` (2022-04-30) response `{ RequestId, Status }` → {@link NlbJob}. Pure.
 * (docs/providers.md#nlb-getjobstatus)
 */
import { commonJobFields, missingField, stateFrom } from '../job-fields.js';
import type { JobKey, JobState, NlbJob } from '../types.js';
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
    throw missingField('NLB', 'Status', requestId);
  }
  const state = stateFrom(NLB_STATES, status.trim().toLowerCase());
  return {
    provider: 'NLB',
    // The API reports no times.
    ...commonJobFields(
      key,
      status,
      state,
      { startedAt: null, finishedAt: null },
      requestId ?? asString(root.RequestId),
    ),
    status,
  };
}
