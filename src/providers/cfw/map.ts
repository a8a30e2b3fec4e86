/**
 * CFW `ListJob` body → CfwJob. Pure. Body `{data: {id, status, begin_time, end_time}}`, optionally
 * with top-level `error_code`/`error_msg`/`trace_id` (older regional doc variants).
 * Times are documented as strings ("yyyy-mm-ddThh:mm:ssZ" or a `+0800` offset) but the example
 * sends epoch-ms numbers; both are read (docs/providers.md#cfw-jobs).
 */
import { commonJobFields, missingField, stateFrom } from '../job-fields.js';
import { isTerminalState, type CfwJob, type JobKey, type JobState } from '../types.js';
import { asDate, asObject, asString } from '../wire.js';

/**
 * `data.status` → state. https://support.huaweicloud.com/intl/en-us/api-cfw/ListJob.html
 * (SDK enum Running/Success/Failed, `model_get_create_firewall_job_response_data.go`).
 */
export const CFW_STATUS: Readonly<Record<string, JobState>> = {
  Running: 'RUNNING',
  Success: 'SUCCEEDED',
  Failed: 'FAILED',
};

/** @throws JobError PROVIDER_BAD_RESPONSE when the body is not an object or lacks `data.status`. */
export function mapCfwJob(key: JobKey, body: unknown, requestId: string | null): CfwJob {
  const root = asObject(body);
  const data = asObject(root?.data);
  const status = asString(data?.status);
  if (!root || !data || status === null || status === '') {
    throw missingField('CFW', 'data.status', requestId);
  }
  const state = stateFrom(CFW_STATUS, status);
  const terminal = isTerminalState(state);
  const beginTime = asDate(data.begin_time);
  const endTime = asDate(data.end_time);
  return {
    provider: 'CFW',
    // A running job's end_time (if any) is not a finish time.
    ...commonJobFields(key, status, state, { startedAt: beginTime, finishedAt: terminal ? endTime : null }, requestId),
    status,
    beginTime,
    endTime,
    errorCode: asString(root.error_code),
    errorMsg: asString(root.error_msg),
  };
}
