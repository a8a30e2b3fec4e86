/**
 * Fake DataWorks `GetJobStatus` (2024-05-18): `GET /` behind the Alibaba gateway checks
 * (./alibaba-fake.ts), answering from the `DATAWORKS` lifecycle of {@link SimulatedJobs}.
 */
import type { FakeProviderServer, FakeReply } from './fake-server.js';
import {
  alibabaErrorReply,
  createAlibabaFake,
  type AlibabaCallContext,
  type AlibabaFakeOptions,
} from './alibaba-fake.js';

export type DataWorksFakeOptions = AlibabaFakeOptions;

const PRODUCT = 'dataworks-public';

/** Statuses after which DataWorks reports `Completed: "True"`. */
const DONE = new Set(['Success', 'Fail', 'Cancel']);

/** `Error` per final status; the doc only says "the error message returned if the task fails". */
const ERROR_TEXT: Record<string, string> = {
  Fail: 'Job execution failed: the target object could not be created.',
  Cancel: 'Job was cancelled.',
};

/** Builds the fake (not started). */
export function createDataWorksFake(options: DataWorksFakeOptions): FakeProviderServer {
  const now = options.now ?? Date.now;
  // CreateTime must stay fixed for a job across polls: remember when each id was first asked for.
  const created = new Map<string, number>();

  const answer = (jobId: string, ctx: AlibabaCallContext): FakeReply => {
    const found = options.jobs.lookup('DATAWORKS', jobId, ctx.account);
    if (found.kind === 'not_found') {
      // DataWorks publishes no GetJobStatus error table; we use the gateway's resource-not-found
      // convention that NLB documents for the same action (404 ResourceNotFound.JobId).
      return alibabaErrorReply(404, 'ResourceNotFound.JobId', 'The specified JobId does not exist.', ctx, PRODUCT);
    }
    if (found.kind === 'forbidden') {
      return alibabaErrorReply(
        403,
        'Forbidden.RAM',
        "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
        ctx,
        PRODUCT,
      );
    }
    let createTime = created.get(`${ctx.account}:${jobId}`);
    if (createTime === undefined) {
      createTime = now();
      created.set(`${ctx.account}:${jobId}`, createTime);
    }
    return {
      status: 200,
      headers: { 'x-acs-request-id': ctx.requestId },
      body: {
        RequestId: ctx.requestId,
        JobStatus: {
          JobId: jobId,
          JobType: 'Create',
          Completed: DONE.has(found.status) ? 'True' : 'False',
          Status: found.status,
          Error: ERROR_TEXT[found.status] ?? '',
          // Typed string in the docs, but the doc example (and this fake) sends epoch ms as a number.
          CreateTime: createTime,
        },
      },
    };
  };

  return createAlibabaFake(
    { name: 'DATAWORKS', product: PRODUCT, method: 'GET', action: 'GetJobStatus', version: '2024-05-18', answer },
    options,
  );
}
