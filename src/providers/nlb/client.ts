/**
 * NLB `GetJobStatus` client: `POST /` on `nlb.{region}.aliyuncs.com`, RPC action `GetJobStatus`,
 * version `2022-04-30`, `JobId` and `ClientToken` in the query string, empty body (SDK
 * `nlb-20220430` getJobStatusWithOptions; docs/providers.md#nlb-getjobstatus).
 */
import { randomUUID } from 'node:crypto';
import { JobError } from '../../errors.js';
import { callAlibabaRpc, type AlibabaClientOptions } from '../alibaba/request.js';
import type { JobKey, ProviderClient, ProviderJob } from '../types.js';
import { mapNlbJob } from './map.js';

export type NlbClientOptions = AlibabaClientOptions & {
  /** ClientToken source (idempotency token, ASCII, unique per request). @default crypto.randomUUID */
  clientToken?: () => string;
};

export const NLB_ACTION = 'GetJobStatus';
export const NLB_VERSION = '2022-04-30';

/** A client that fetches one NLB job per call (one signed HTTP request, no retries). */
export function createNlbClient(options: NlbClientOptions): ProviderClient {
  const clientToken = options.clientToken ?? randomUUID;
  return {
    provider: 'NLB',
    async fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob> {
      if (key.provider !== 'NLB')
        throw new JobError('INTERNAL_SERVER_ERROR', `NLB client asked for a ${key.provider} job`);
      const res = await callAlibabaRpc(
        options,
        {
          provider: 'NLB',
          region: key.region,
          method: 'POST',
          action: NLB_ACTION,
          version: NLB_VERSION,
          query: { JobId: key.jobId, ClientToken: clientToken() },
        },
        signal,
      );
      return mapNlbJob(key, res.body, res.requestId);
    },
  };
}
