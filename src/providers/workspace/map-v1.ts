/**
 * Workspace App Streaming `ShowJob` v1 body `{job: JobDetail}` → WorkspaceJob. Pure.
 * https://support.huaweicloud.com/intl/es-us/api-workspace/ShowJob_0.html (deprecated upstream;
 * docs/providers.md#v1-showjob); JobDetail per go-v3 `workspaceapp/v1/model/model_job_detail.go`.
 */
import { commonJobFields, missingField, stateFrom } from '../job-fields.js';
import { isTerminalState, type JobKey, type JobState, type WorkspaceJob, type WorkspaceSubJob } from '../types.js';
import { asArray, asDate, asInteger, asObject, asString } from '../wire.js';
import { mapWorkspaceEntities } from './entities.js';

/** `job_status` → state (doc above: 0 failed, 1 successful, 2 processing, 3 initializing). */
export const WORKSPACE_V1_STATUS: Readonly<Record<number, JobState>> = {
  0: 'FAILED',
  1: 'SUCCEEDED',
  2: 'RUNNING',
  3: 'PENDING',
};

function stateOf(code: number | null): JobState {
  return stateFrom(WORKSPACE_V1_STATUS, code === null ? null : String(code));
}

/** The wire value as text: 2 → "2"; a non-numeric value verbatim; null when absent. */
function rawOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function mapSubJob(value: unknown): WorkspaceSubJob | null {
  const s = asObject(value);
  if (!s) return null;
  const code = asInteger(s.job_status);
  return {
    jobId: asString(s.job_id),
    jobTypeCode: asInteger(s.job_type),
    jobType: null,
    jobStatusCode: code,
    status: null,
    state: rawOf(s.job_status) === null ? 'UNKNOWN' : stateOf(code),
    entities: mapWorkspaceEntities(s.entities),
    beginTime: asDate(s.begin_time),
    endTime: asDate(s.end_time),
    expectedEndTime: asDate(s.expected_end_time),
    executeCode: asString(s.execute_code),
    executeMessage: asString(s.execute_message),
    errorCode: null,
    failReason: null,
  };
}

/** @throws JobError PROVIDER_BAD_RESPONSE when the body has no `job` object or no `job.job_status`. */
export function mapWorkspaceV1Job(key: JobKey, body: unknown, requestId: string | null): WorkspaceJob {
  const job = asObject(asObject(body)?.job);
  const rawStatus = rawOf(job?.job_status);
  if (!job || rawStatus === null) {
    throw missingField('WORKSPACE', 'job.job_status', requestId);
  }
  const code = asInteger(job.job_status);
  const state = stateOf(code);
  const terminal = isTerminalState(state);
  const beginTime = asDate(job.begin_time);
  const endTime = asDate(job.end_time);
  const subJobs = (asArray(job.sub_jobs) ?? []).map(mapSubJob).filter((s): s is WorkspaceSubJob => s !== null);
  return {
    provider: 'WORKSPACE',
    ...commonJobFields(
      key,
      rawStatus,
      state,
      { startedAt: beginTime, finishedAt: terminal ? endTime : null },
      requestId,
    ),
    apiVersion: 'V1',
    jobTypeCode: asInteger(job.job_type),
    jobType: null,
    jobStatusCode: code,
    status: null,
    beginTime,
    endTime,
    expectedEndTime: asDate(job.expected_end_time),
    executeCode: asString(job.execute_code),
    executeMessage: asString(job.execute_message),
    subJobsTotal: null,
    subJobs,
  };
}
