/**
 * Fake Huawei DLI `ShowSqlJobStatus` (`GET /v1.0/{project_id}/jobs/{job_id}/status`): the full
 * documented body (the page's sample plus tags, user_conf and the SDK's result/execution paths;
 * docs/providers.md#dli-job-status), with a
 * duration that grows while the job runs (https://support.huaweicloud.com/intl/en-us/api-dli/dli_02_0021.html).
 */
import type { FakeProviderServer } from './fake-server.js';
import { createHuaweiFake, huaweiError, JobClock, type HuaweiFakeOptions } from './huawei-fake.js';

export type DliFakeOptions = HuaweiFakeOptions;

const TERMINAL = new Set(['FINISHED', 'FAILED', 'CANCELLED']);

/** The result schema a finished query reports in `detail` (a JSON string on the wire). */
const DETAIL = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'integer', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
  ],
});

/** A DLI fake (not started). */
export function createDliFake(options: DliFakeOptions): FakeProviderServer {
  const clock = new JobClock(options.jobs);
  return createHuaweiFake('DLI', options, [
    {
      pattern: /^\/v1\.0\/([^/]+)\/jobs\/([^/]+)\/status$/,
      handle: ([projectId = '', jobId = '']) => {
        const found = options.jobs.lookup('DLI', jobId, projectId);
        // DLI's error table lists "object does not exist" as 400 DLI.0002 and this API's status
        // table has no 404, so an unknown job id gets DLI.0002 rather than 404 DLI.0023.
        if (found.kind === 'not_found') return huaweiError(400, 'DLI.0002', `The job ${jobId} does not exist.`);
        // Job access is an IAM decision (dli:jobs:get) taken at the gateway.
        if (found.kind === 'forbidden') {
          return huaweiError(403, 'APIGW.0302', 'The IAM user is forbidden in the currently selected region');
        }
        const start = clock.begin('DLI', `${projectId}/${jobId}`);
        const ended = TERMINAL.has(found.status);
        const duration =
          (ended ? clock.stepAt('DLI', `${projectId}/${jobId}`, found.step) : options.jobs.now()) - start;
        const finished = found.status === 'FINISHED';
        return {
          status: 200,
          body: {
            is_success: true,
            message: '',
            job_id: jobId,
            job_type: 'QUERY',
            job_mode: 'async',
            queue_name: 'default',
            owner: 'simulator',
            start_time: start,
            duration,
            status: found.status,
            input_row_count: finished ? 4 : 0,
            bad_row_count: 0,
            input_size: finished ? 22 : 0,
            result_count: finished ? 4 : 0,
            database_name: 'dbtest',
            table_name: 'tbtest',
            detail: DETAIL,
            statement: 'select * from t1',
            tags: [{ key: 'workload', value: 'simulator' }],
            user_conf: JSON.stringify({ 'spark.sql.shuffle.partitions': '200' }),
            result_format: 'CSV',
            result_path: `obs://dli-simulator/results/${jobId}`,
            execution_details_path: `obs://dli-simulator/details/${jobId}`,
          },
        };
      },
    },
  ]);
}
