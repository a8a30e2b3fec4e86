/**
 * CFW `ListJob` client: `GET /v3/{project_id}/jobs/{job_id}` on `cfw.{region}.myhuaweicloud.com`
 * (SDK `CfwClient.listJob`; docs/providers.md#cfw-jobs). One HTTP call per fetch, no retries.
 */
import { JobError } from '../../errors.js';
import { toHuaweiError } from '../huawei/errors.js';
import { callHuaweiGet, requireProjectId, type HuaweiClientOptions } from '../huawei/request.js';
import type { JobKey, ProviderClient, ProviderJob } from '../types.js';
import { asObject, asString } from '../wire.js';
import { mapCfwJob } from './map.js';

export type CfwClientOptions = HuaweiClientOptions;

/** A client that fetches one Cloud Firewall job per call. */
export function createCfwClient(options: CfwClientOptions): ProviderClient {
  return {
    provider: 'CFW',
    async fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob> {
      if (key.provider !== 'CFW')
        throw new JobError('INTERNAL_SERVER_ERROR', `CFW client asked for a ${key.provider} job`);
      const projectId = requireProjectId(key);
      const { json, requestId, response } = await callHuaweiGet(
        options,
        { provider: 'CFW', region: key.region, projectId, segments: ['v3', projectId, 'jobs', key.jobId] },
        signal,
      );
      const root = asObject(json);
      // Some regions answer 200 with only {error_code, error_msg}: that is a failure, not a job.
      if (root && asString(root.error_code) && !asObject(root.data)) {
        throw toHuaweiError('CFW', response.status, response.headers, root);
      }
      // trace_id is the body's own correlation id; use it when the gateway sent no X-Request-Id.
      return mapCfwJob(key, json, requestId ?? asString(root?.trace_id));
    },
  };
}
