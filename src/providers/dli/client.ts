/**
 * DLI `ShowSqlJobStatus` client: `GET /v1.0/{project_id}/jobs/{job_id}/status` on
 * `dli.{region}.myhuaweicloud.com` (SDK `DliClient.showSqlJobStatus`; docs/providers.md#dli-job-status).
 * One HTTP call per fetch, no retries.
 */
import { JobError } from '../../errors.js';
import { toHuaweiError } from '../huawei/errors.js';
import { callHuaweiGet, requireProjectId, type HuaweiClientOptions } from '../huawei/request.js';
import type { JobKey, ProviderClient, ProviderJob } from '../types.js';
import { asObject, asString } from '../wire.js';
import { mapDliJob } from './map.js';

export type DliClientOptions = HuaweiClientOptions;

/** A client that fetches one DLI SQL job's status per call. */
export function createDliClient(options: DliClientOptions): ProviderClient {
  return {
    provider: 'DLI',
    async fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob> {
      if (key.provider !== 'DLI')
        throw new JobError('INTERNAL_SERVER_ERROR', `DLI client asked for a ${key.provider} job`);
      const projectId = requireProjectId(key);
      const { json, requestId, response } = await callHuaweiGet(
        options,
        { provider: 'DLI', region: key.region, projectId, segments: ['v1.0', projectId, 'jobs', key.jobId, 'status'] },
        signal,
      );
      const root = asObject(json);
      // DLI's success envelope can itself report failure: {is_success:false, message} (and
      // sometimes error_code/error_msg) with HTTP 200.
      if (root && (root.is_success === false || (asString(root.error_code) && root.status === undefined))) {
        throw toHuaweiError('DLI', response.status, response.headers, root);
      }
      return mapDliJob(key, json, requestId);
    },
  };
}
