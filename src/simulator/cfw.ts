/**
 * Fake Huawei Cloud Firewall `ListJob` (`GET /v3/{project_id}/jobs/{job_id}`). Success bodies
 * follow the doc example, including its quirk of epoch-ms NUMBERS where the schema says string
 * (https://support.huaweicloud.com/intl/en-us/api-cfw/ListJob.html).
 */
import type { FakeProviderServer } from './fake-server.js';
import { createHuaweiFake, huaweiError, JobClock, type HuaweiFakeOptions } from './huawei-fake.js';

export type CfwFakeOptions = HuaweiFakeOptions;

const TERMINAL = new Set(['Success', 'Failed']);

/** A CFW fake (not started). */
export function createCfwFake(options: CfwFakeOptions): FakeProviderServer {
  const clock = new JobClock(options.jobs);
  return createHuaweiFake('CFW', options, [
    {
      pattern: /^\/v3\/([^/]+)\/jobs\/([^/]+)$/,
      handle: ([projectId = '', jobId = '']) => {
        const found = options.jobs.lookup('CFW', jobId, projectId);
        // CFW answers a missing object with HTTP 400 CFW.00200005 (CFW error-code table).
        if (found.kind === 'not_found') return huaweiError(400, 'CFW.00200005', 'The object does not exist.');
        if (found.kind === 'forbidden') {
          return huaweiError(403, 'APIGW.0302', 'The IAM user is forbidden in the currently selected region');
        }
        const begin = clock.begin('CFW', `${projectId}/${jobId}`);
        const data: Record<string, unknown> = { begin_time: begin, id: jobId, status: found.status };
        // end_time only once the job has ended; a running job has no end.
        if (TERMINAL.has(found.status)) data.end_time = clock.stepAt('CFW', `${projectId}/${jobId}`, found.step);
        return { status: 200, body: { data } };
      },
    },
  ]);
}
