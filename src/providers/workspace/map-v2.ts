/**
 * Workspace App Streaming `ShowJobDetail` v2 body → WorkspaceJob. Pure.
 * https://support.huaweicloud.com/api-workspace/ShowJobDetail.md ; go-v3
 * `workspaceapp/v1/model/model_show_job_detail_response.go`, `model_job_detail_info.go`.
 * Sub-jobs are read defensively: the SDK model sends `job_resource_info` (one object) and
 * `error_message`, older descriptions `entities` (array) and `fail_reason`; both are accepted.
 */
import { commonJobFields, missingField, stateFrom } from '../job-fields.js';
import { isTerminalState, type JobKey, type JobState, type WorkspaceJob, type WorkspaceSubJob } from '../types.js';
import { asArray, asDate, asInteger, asObject, asString } from '../wire.js';
import { mapWorkspaceEntities } from './entities.js';

/** Job `status` → state (go-v3 `model_job_status.go`: WAITING, RUNNING, SUCCESS, FAILED). */
export const WORKSPACE_V2_STATUS: Readonly<Record<string, JobState>> = {
  WAITING: 'PENDING',
  RUNNING: 'RUNNING',
  SUCCESS: 'SUCCEEDED',
  FAILED: 'FAILED',
};

/**
 * Sub-job `status` → state (go-v3 `model_job_detail_status.go`). ABNORMAL ("异常") is a failure.
 * ROLLBACK ("回滚中", rolling back) and ABORTING ("终止中", aborting) are transitions still in
 * progress, so RUNNING (not terminal) until the sub-job settles.
 */
export const WORKSPACE_V2_SUB_STATUS: Readonly<Record<string, JobState>> = {
  ...WORKSPACE_V2_STATUS,
  ABNORMAL: 'FAILED',
  ROLLBACK: 'RUNNING',
  ABORTING: 'RUNNING',
};

function mapSubJob(value: unknown): WorkspaceSubJob | null {
  const s = asObject(value);
  if (!s) return null;
  const status = asString(s.status);
  return {
    // `id` is the sub-job's own id; the SDK's `job_id` on a sub-job is the parent's.
    jobId: asString(s.id) ?? asString(s.job_id),
    jobTypeCode: null,
    jobType: asString(s.job_type),
    jobStatusCode: null,
    status,
    state: stateFrom(WORKSPACE_V2_SUB_STATUS, status),
    entities: mapWorkspaceEntities(s.entities, s.job_resource_info),
    beginTime: asDate(s.begin_time),
    endTime: asDate(s.end_time),
    expectedEndTime: null,
    executeCode: null,
    executeMessage: null,
    errorCode: asString(s.error_code),
    failReason: asString(s.fail_reason) ?? asString(s.error_message) ?? asString(s.message),
  };
}

/** @throws JobError PROVIDER_BAD_RESPONSE when the body is not an object or has no `status`. */
export function mapWorkspaceV2Job(key: JobKey, body: unknown, requestId: string | null): WorkspaceJob {
  const b = asObject(body);
  const status = asString(b?.status);
  if (!b || status === null || status === '') {
    throw missingField('WORKSPACE', 'a job status', requestId);
  }
  const state = stateFrom(WORKSPACE_V2_STATUS, status);
  const terminal = isTerminalState(state);
  const beginTime = asDate(b.begin_time);
  const endTime = asDate(b.end_time);
  const subJobs = (asArray(b.sub_jobs) ?? []).map(mapSubJob).filter((s): s is WorkspaceSubJob => s !== null);
  return {
    provider: 'WORKSPACE',
    ...commonJobFields(key, status, state, { startedAt: beginTime, finishedAt: terminal ? endTime : null }, requestId),
    apiVersion: 'V2',
    jobTypeCode: null,
    jobType: asString(b.job_type),
    jobStatusCode: null,
    status,
    beginTime,
    endTime,
    expectedEndTime: null,
    executeCode: null,
    executeMessage: null,
    subJobsTotal: asInteger(b.sub_jobs_total),
    subJobs,
  };
}
