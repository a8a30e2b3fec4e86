/**
 * Workspace Application Streaming job client. v2 (default) `GET /v2/{project_id}/job/{job_id}`
 * (`ShowJobDetail`); v1 `GET /v1/{project_id}/job/{job_id}` (`ShowJob`, deprecated upstream).
 * Host `appstream.{region}…` in the mainland regions, `workspace.{region}…` elsewhere
 * (endpoints.ts; docs/providers.md#workspace-jobs). One HTTP call per fetch, no retries.
 */
import { DEFAULTS } from '../../config.js';
import { JobError } from '../../errors.js';
import { toHuaweiError } from '../huawei/errors.js';
import { callHuaweiGet, requireProjectId, type HuaweiClientOptions } from '../huawei/request.js';
import type { JobKey, ProviderClient, ProviderJob } from '../types.js';
import { asObject, asString } from '../wire.js';
import { mapWorkspaceV1Job } from './map-v1.js';
import { mapWorkspaceV2Job } from './map-v2.js';

export interface WorkspaceClientOptions extends HuaweiClientOptions {
  /** Which job API to call. @default 'v2' */
  apiVersion?: 'v1' | 'v2' | undefined;
}

/** A client that fetches one Workspace App Streaming job per call. */
export function createWorkspaceClient(options: WorkspaceClientOptions): ProviderClient {
  const version = options.apiVersion ?? DEFAULTS.workspaceApi;
  return {
    provider: 'WORKSPACE',
    async fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob> {
      if (key.provider !== 'WORKSPACE') {
        throw new JobError('INTERNAL_SERVER_ERROR', `WORKSPACE client asked for a ${key.provider} job`);
      }
      const projectId = requireProjectId(key);
      const { json, requestId, response } = await callHuaweiGet(
        options,
        { provider: 'WORKSPACE', region: key.region, projectId, segments: [version, projectId, 'job', key.jobId] },
        signal,
      );
      const root = asObject(json);
      // A 200 that carries only an error envelope is a failure, not a job.
      if (root && asString(root.error_code) && root.job === undefined && root.status === undefined) {
        throw toHuaweiError('WORKSPACE', response.status, response.headers, root);
      }
      return version === 'v1' ? mapWorkspaceV1Job(key, json, requestId) : mapWorkspaceV2Job(key, json, requestId);
    },
  };
}
