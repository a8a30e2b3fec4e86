/**
 * DataWorks `GetJobStatus` (2024-05-18) response → {@link DataWorksJob}. Pure.
 * Response: `{ RequestId, JobStatus: { JobId, JobType, Completed, Status, Error, CreateTime } }`
 * (docs/providers.md#dataworks-getjobstatus).
 */
import { commonJobFields, missingField, stateFrom } from '../job-fields.js';
import type { DataWorksJob, JobKey, JobState } from '../types.js';
import { asBoolean, asDate, asObject, asString, tryParseJson } from '../wire.js';

/**
 * `JobStatus.Status` → state. Values from
 * https://www.alibabacloud.com/help/en/dataworks/developer-reference/api-dataworks-public-2024-05-18-getjobstatus
 * (Success, Fail, Cancel, Running); matched exactly, anything else is UNKNOWN.
 */
export const DATAWORKS_STATES: Readonly<Record<string, JobState>> = {
  Running: 'RUNNING',
  Success: 'SUCCEEDED',
  Fail: 'FAILED',
  Cancel: 'CANCELLED',
};

/**
 * Maps the raw response text of one call.
 * @throws JobError PROVIDER_BAD_RESPONSE when the body is not JSON, not an object, or has no
 *   `JobStatus.Status` string.
 */
export function mapDataWorksJob(key: JobKey, body: string, requestId: string | null): DataWorksJob {
  const root = asObject(tryParseJson(body));
  const jobStatus = asObject(root?.JobStatus);
  const status = asString(jobStatus?.Status);
  if (!root || !jobStatus || status === null) {
    throw missingField('DATAWORKS', 'JobStatus.Status', requestId);
  }
  const state = stateFrom(DATAWORKS_STATES, status);
  const completed = asBoolean(jobStatus.Completed);
  // The doc example pairs Completed "False" with Status "Success": Status decides the state, and
  // `terminal` always agrees with the state, so a screen never sees a final event that says RUNNING.
  // `completed` is still exposed as sent; a Completed "True" while Status says Running keeps polling
  // until Status catches up.
  // CreateTime is typed string but sent as epoch ms (number); asDate takes ms, numeric string or ISO.
  const createTime = asDate(jobStatus.CreateTime);
  // `Error` is documented only as "the error message returned if the task fails" (whether a clean
  // answer sends it empty or leaves it out is not documented). Blank becomes null, so a non-null
  // `error` always means the provider reported one: next to Status "Success" (the page's sample)
  // that is a success that is not clean, and subscribers tell the two apart by `error`
  // (docs/providers.md#dataworks-getjobstatus).
  const errorText = asString(jobStatus.Error);
  return {
    provider: 'DATAWORKS',
    ...commonJobFields(
      key,
      status,
      state,
      { startedAt: createTime, finishedAt: null },
      requestId ?? asString(root.RequestId),
    ),
    jobType: asString(jobStatus.JobType),
    completed,
    status,
    error: errorText !== null && errorText.trim() !== '' ? errorText : null,
    createTime,
  };
}
