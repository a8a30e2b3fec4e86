/**
 * Fake NLB `GetJobStatus` (2022-04-30): `POST /` with parameters in the query, behind the Alibaba
 * gateway checks (./alibaba-fake.ts), answering from the `NLB` lifecycle of {@link SimulatedJobs}.
 * Error codes are the ones the API page lists: 403 Forbidden.NoPermission, 404 ResourceNotFound.JobId.
 */
import type { FakeProviderServer, FakeReply } from './fake-server.js';
import {
  alibabaErrorReply,
  createAlibabaFake,
  type AlibabaCallContext,
  type AlibabaFakeOptions,
} from './alibaba-fake.js';

export type NlbFakeOptions = AlibabaFakeOptions;

const PRODUCT = 'Nlb';

/** Builds the fake (not started). */
export function createNlbFake(options: NlbFakeOptions): FakeProviderServer {
  const answer = (jobId: string, ctx: AlibabaCallContext): FakeReply => {
    const found = options.jobs.lookup('NLB', jobId, ctx.account);
    if (found.kind === 'not_found') {
      return alibabaErrorReply(
        404,
        'ResourceNotFound.JobId',
        'The specified resource JobId is not found.',
        ctx,
        PRODUCT,
      );
    }
    if (found.kind === 'forbidden') {
      return alibabaErrorReply(
        403,
        'Forbidden.NoPermission',
        'You are not authorized to perform this operation.',
        ctx,
        PRODUCT,
      );
    }
    return {
      status: 200,
      headers: { 'x-acs-request-id': ctx.requestId },
      body: { RequestId: ctx.requestId, Status: found.status },
    };
  };

  return createAlibabaFake(
    { name: 'NLB', product: PRODUCT, method: 'POST', action: 'GetJobStatus', version: '2022-04-30', answer },
    options,
  );
}
