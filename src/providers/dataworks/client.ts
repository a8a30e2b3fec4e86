/**
 * DataWorks `GetJobStatus` client: `GET /` on `dataworks.{region}.aliyuncs.com`, RPC action
 * `GetJobStatus`, version `2024-05-18`, query `JobId` (SDK `dataworks-public-20240518`
 * getJobStatusWithOptions; docs/providers.md#dataworks-getjobstatus).
 */
import { JobError } from '../../errors.js';
import { callAlibabaRpc, type AlibabaClientOptions } from '../alibaba/request.js';
import type { JobKey, ProviderClient, ProviderJob } from '../types.js';
import { mapDataWorksJob } from './map.js';

export type DataWorksClientOptions = AlibabaClientOptions;

export const DATAWORKS_ACTION = 'GetJobStatus';
export const DATAWORKS_VERSION = '2024-05-18';

/** A client that fetches one DataWorks job per call (one signed HTTP request, no retries). */
export function createDataWorksClient(options: DataWorksClientOptions): ProviderClient {
  return {
    provider: 'DATAWORKS',
    async fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob> {
      if (key.provider !== 'DATAWORKS') {
        throw new JobError('INTERNAL_SERVER_ERROR', `DATAWORKS client asked for a ${key.provider} job`);
      }
      const res = await callAlibabaRpc(
        options,
        {
          provider: 'DATAWORKS',
          region: key.region,
          method: 'GET',
          action: DATAWORKS_ACTION,
          version: DATAWORKS_VERSION,
          query: { JobId: key.jobId },
        },
        signal,
      );
      return mapDataWorksJob(key, res.body, res.requestId);
    },
  };
}
