/**
 * Fake Huawei Workspace Application Streaming job APIs, both versions on one server:
 * v1 `ShowJob` (`GET /v1/{project_id}/job/{job_id}`, integer statuses, docs/providers.md#v1-showjob) and v2
 * `ShowJobDetail` (`GET /v2/{project_id}/job/{job_id}`, string statuses; sub-jobs in the go-v3
 * SDK's `JobDetailInfo` shape). Each carries one sub-job that processes one resource.
 */
import type { FakeProviderServer, FakeReply } from './fake-server.js';
import { createHuaweiFake, huaweiError, JobClock, type HuaweiFakeOptions } from './huawei-fake.js';
import type { JobLookup } from './jobs.js';

export type WorkspaceFakeOptions = HuaweiFakeOptions;

/** Workspace's error table has no job-not-found entry; this follows its 404 `WKS.000…` pattern. */
export const WORKSPACE_NOT_FOUND_CODE = 'WKS.00010404';

/** Seconds-precision UTC, as the doc example writes times ("2023-06-06T02:30:06Z"). */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The resource the sub-job creates: a JobResourceInfo with the fields a server creation sets. */
function entity(jobId: string, processedAt: number): Record<string, unknown> {
  return {
    resource_id: `appserver-${jobId}`,
    resource_name: 'simulator-app-server-01',
    cloud_service_type: 'hws.service.type.workspace',
    resource_type: 'hws.resource.type.workspace.appstream',
    resource_spec_code: 'workspace.appstream.general.xlarge.2',
    spec_type: { shareable: false },
    spec_size: 80,
    measure: 17,
    processed_time: iso(processedAt),
    is_main_resource: 1,
    main_resources: [{ resource_id: `appserver-${jobId}`, resource_type: 'hws.resource.type.workspace.appstream' }],
    extend_params: '',
  };
}

/** execute_code/execute_message once a v1 job has ended ("0"/"success" as in the doc's field notes). */
const V1_RESULT: Readonly<Record<string, { execute_code: string; execute_message: string }>> = {
  '1': { execute_code: '0', execute_message: 'success' },
  '0': { execute_code: '1', execute_message: 'create app server failed' },
};

function lookupError(found: JobLookup): FakeReply | null {
  if (found.kind === 'not_found') return huaweiError(404, WORKSPACE_NOT_FOUND_CODE, 'The job does not exist.');
  if (found.kind === 'forbidden')
    return huaweiError(403, 'APIGW.0302', 'The IAM user is forbidden in the currently selected region');
  return null;
}

/** A Workspace fake serving v1 and v2 (not started). */
export function createWorkspaceFake(options: WorkspaceFakeOptions): FakeProviderServer {
  const clock = new JobClock(options.jobs);
  return createHuaweiFake('WORKSPACE', options, [
    {
      pattern: /^\/v1\/([^/]+)\/job\/([^/]+)$/,
      handle: ([projectId = '', jobId = '']) => {
        const found = options.jobs.lookup('WORKSPACE_V1', jobId, projectId);
        if (found.kind !== 'found') return lookupError(found) as FakeReply;
        const begin = clock.begin('WORKSPACE_V1', `${projectId}/${jobId}`);
        const ended = found.status === '0' || found.status === '1';
        const end = clock.stepAt('WORKSPACE_V1', `${projectId}/${jobId}`, found.step);
        const code = Number(found.status);
        const result = V1_RESULT[found.status] ?? { execute_code: '', execute_message: '' };
        const times = { begin_time: iso(begin), ...(ended ? { end_time: iso(end) } : {}) };
        return {
          status: 200,
          body: {
            job: {
              job_id: jobId,
              job_type: 1,
              job_status: code,
              sub_jobs: [
                {
                  job_id: `${jobId}-1`,
                  job_type: 2,
                  job_status: code,
                  entities: [entity(jobId, begin)],
                  ...times,
                  ...result,
                },
              ],
              ...times,
              expected_end_time: iso(begin + 15 * 60_000),
              ...result,
            },
          },
        };
      },
    },
    {
      pattern: /^\/v2\/([^/]+)\/job\/([^/]+)$/,
      handle: ([projectId = '', jobId = '']) => {
        const found = options.jobs.lookup('WORKSPACE', jobId, projectId);
        if (found.kind !== 'found') return lookupError(found) as FakeReply;
        const begin = clock.begin('WORKSPACE', `${projectId}/${jobId}`);
        const ended = found.status === 'SUCCESS' || found.status === 'FAILED';
        const times = {
          begin_time: iso(begin),
          ...(ended ? { end_time: iso(clock.stepAt('WORKSPACE', `${projectId}/${jobId}`, found.step)) } : {}),
        };
        const failed = found.status === 'FAILED';
        return {
          status: 200,
          body: {
            id: jobId,
            job_type: 'CREATE_SERVER',
            ...times,
            status: found.status,
            sub_jobs_total: 1,
            sub_jobs: [
              {
                id: `${jobId}-1`,
                job_type: 'CREATE_SERVER',
                job_resource_info: entity(jobId, begin),
                ...times,
                status: found.status,
                error_code: failed ? 'WKS.00010500' : '',
                error_message: failed ? 'create app server failed' : '',
                project_id: projectId,
                job_id: jobId,
              },
            ],
          },
        };
      },
    },
  ]);
}
