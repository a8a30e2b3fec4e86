/**
 * One contract for the five provider clients, each run against its fake (signature verification,
 * lifecycles and documented error answers come from src/simulator/): the scenarios every provider
 * shares, parameterized by the adapter table below. What only one provider or API version has
 * stays in test/providers/<provider>/client.test.ts (NLB's ClientToken, Workspace v1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors.js';
import { createCfwClient } from '../../src/providers/cfw/client.js';
import { createDataWorksClient } from '../../src/providers/dataworks/client.js';
import { createDliClient } from '../../src/providers/dli/client.js';
import { createNlbClient } from '../../src/providers/nlb/client.js';
import type { AlibabaCredentials, JobKey, ProviderClient, ProviderName } from '../../src/providers/types.js';
import { createWorkspaceClient } from '../../src/providers/workspace/client.js';
import type { AlibabaFakeOptions } from '../../src/simulator/alibaba-fake.js';
import { createCfwFake } from '../../src/simulator/cfw.js';
import { createDataWorksFake } from '../../src/simulator/dataworks.js';
import { createDliFake } from '../../src/simulator/dli.js';
import type { FakeFault, FakeProviderServer, FakeRequest } from '../../src/simulator/fake-server.js';
import { createNlbFake } from '../../src/simulator/nlb.js';
import { createWorkspaceFake } from '../../src/simulator/workspace.js';
import { rejection, type ProviderHarness } from '../helpers/provider-harness.js';
import * as alibaba from './alibaba/harness.js';
import * as huawei from './huawei/harness.js';

/** Client options as the contract passes them (each vendor harness knows the real type). */
type Options = Record<string, unknown>;
type Harness = ProviderHarness<Options>;
/** Expected mapped fields, as a `toMatchObject` pattern. */
type Fields = Record<string, unknown>;

/** A documented error answer: HTTP status, body, and the code the client must report. */
type ErrorRow = readonly [status: number, body: Record<string, unknown>, code: ErrorCode];

interface Adapter {
  provider: ProviderName;
  vendor: 'alibaba' | 'huawei';
  /** Registers the harness hooks in the calling `describe`; filled in before the first test. */
  useHarness(): Harness;
  key(jobId: string): JobKey;
  /** The shape of this provider's request ids. */
  requestId: RegExp;
  /** The documented request for one job: method, path, query and the headers that are signed. */
  request: {
    jobId: string;
    method: 'GET' | 'POST';
    path: string;
    rawQuery: string | RegExp;
    headers: Record<string, string>;
  };
  /** A job id with reserved characters, and where the fake must see it percent-encoded once. */
  reserved: { jobId: string; path?: string; rawQuery?: string | RegExp };
  /** A successful job fetched once per step, the fake's clock moving 1 s between steps. */
  lifecycle: { jobId: string; steps: Fields[] };
  /** Jobs that end badly, fetched once, then again 10 s later. */
  endings: Record<'fail' | 'cancel', { jobId: string; done: Fields }>;
  /** A raw status the provider does not document (held by `SimulatedJobs.pin`). */
  undocumentedStatus: string;
  /** The fake's own not-found and permission answers (job ids with `notfound` / `forbidden`). */
  notFound: { jobId: string; providerCode: string; httpStatus: number };
  forbidden: { jobId: string; providerCode: string; httpStatus: number };
  /** Client options that sign with the right key id and a wrong secret, or with an unknown key. */
  wrongSecret: { options: Options; providerCode: string; httpStatus: number };
  unknownKey: { options: Options; providerCode: string; httpStatus: number };
  /** The gateway's answer to a signing clock 20 minutes off. */
  clockSkew: { providerCode: string; httpStatus: number };
  /** Documented error bodies; the request id travels as `errorRequestId`. */
  errors: { rows: ErrorRow[]; headers?: Record<string, string>; requestId: string };
  /** A throttling answer that says when to come back. */
  throttled: FakeFault & { retryAfterMs: number };
  /** A 200 JSON body that is not this API's documented shape. */
  wrongShape: { body: Record<string, unknown>; details?: Fields };
  /** Alibaba only: a fake with other credentials, and a valid 200 body for a request id. */
  alibaba?: {
    start(fakeCredentials: AlibabaCredentials): Promise<Harness>;
    okBody(requestId: string): Record<string, unknown>;
  };
}

const START_MS = alibaba.START_MS;
if (huawei.START_MS !== START_MS) throw new Error('the vendor harnesses must start at the same instant');

const ACS3_AUTHORIZATION =
  /^ACS3-HMAC-SHA256 Credential=SIMULATORACCESSKEYID,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=[0-9a-f]{64}$/;
const HUAWEI_AUTHORIZATION = new RegExp(
  `^SDK-HMAC-SHA256 Access=${huawei.AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$`,
);
const ALIBABA_RESERVED = "a b*c!'()~+/=&é";
const ALIBABA_RESERVED_QUERY = 'JobId=a%20b%2Ac%21%27%28%29~%2B%2F%3D%26%C3%A9';
const HUAWEI_RESERVED = 'urn:dli job';
const HUAWEI_RESERVED_SEGMENT = 'urn%3Adli%20job';
const POP_REQUEST_ID = '7C1B2E3A-0000-4000-8000-000000000001';
const WRONG_SECRET = 'wrong-secret';

function alibabaAdapter(
  provider: 'DATAWORKS' | 'NLB',
  createFake: (o: AlibabaFakeOptions) => FakeProviderServer,
  createClient: (o: never) => ProviderClient,
  specific: Pick<
    Adapter,
    'request' | 'reserved' | 'lifecycle' | 'endings' | 'undocumentedStatus' | 'notFound' | 'forbidden' | 'wrongShape'
  > & {
    errors: ErrorRow[];
    okBody(requestId: string): Record<string, unknown>;
  },
): Adapter {
  const make = createClient as (o: unknown) => ProviderClient;
  return {
    provider,
    vendor: 'alibaba',
    useHarness: () => alibaba.useHarness(createFake, make) as unknown as Harness,
    key: (jobId) => ({ provider, account: null, region: 'cn-hangzhou', projectId: null, jobId }),
    requestId: /^[0-9A-F-]{36}$/,
    ...specific,
    wrongSecret: {
      options: { credentials: { accessKeyId: 'SIMULATORACCESSKEYID', accessKeySecret: WRONG_SECRET } },
      providerCode: 'SignatureDoesNotMatch',
      httpStatus: 400,
    },
    unknownKey: {
      options: { credentials: { accessKeyId: 'NOSUCHKEY', accessKeySecret: 'x' } },
      providerCode: 'InvalidAccessKeyId.NotFound',
      httpStatus: 404,
    },
    clockSkew: { providerCode: 'InvalidTimeStamp.Expired', httpStatus: 400 },
    errors: { rows: specific.errors, requestId: POP_REQUEST_ID },
    throttled: {
      status: 400,
      headers: { 'x-acs-retry-after': '2500' },
      body: alibaba.popError('Throttling', 'Request was denied due to flow control.'),
      retryAfterMs: 2_500,
    },
    alibaba: {
      start: (credentials) => alibaba.startHarness(createFake, make, credentials) as unknown as Promise<Harness>,
      okBody: specific.okBody,
    },
  };
}

function huaweiAdapter(
  provider: 'CFW' | 'DLI' | 'WORKSPACE',
  createFake: Parameters<typeof huawei.useHarness>[0],
  createClient: (o: never) => ProviderClient,
  specific: Pick<
    Adapter,
    'request' | 'lifecycle' | 'endings' | 'undocumentedStatus' | 'notFound' | 'forbidden' | 'wrongShape'
  > & {
    reservedPath: string;
    errors: ErrorRow[];
  },
): Adapter {
  const requestId = `${provider.toLowerCase()}-fault`;
  const { reservedPath, errors, ...rest } = specific;
  return {
    provider,
    vendor: 'huawei',
    useHarness: () =>
      huawei.useHarness(createFake, createClient as (o: unknown) => ProviderClient) as unknown as Harness,
    key: (jobId) => ({ provider, account: null, region: huawei.REGION, projectId: huawei.PROJECT, jobId }),
    requestId: /^[0-9a-f]{32}$/,
    ...rest,
    reserved: { jobId: HUAWEI_RESERVED, path: reservedPath },
    wrongSecret: {
      options: { auth: { kind: 'aksk', ak: huawei.AK, sk: WRONG_SECRET } },
      providerCode: 'APIGW.0301',
      httpStatus: 401,
    },
    unknownKey: {
      options: { auth: { kind: 'aksk', ak: 'NOSUCHAKNOSUCHAK0000', sk: 'x' } },
      providerCode: 'APIGW.0301',
      httpStatus: 401,
    },
    clockSkew: { providerCode: 'APIGW.0303', httpStatus: 401 },
    errors: { rows: errors, headers: { 'X-Request-Id': requestId }, requestId },
    throttled: {
      status: 429,
      body: { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' },
      headers: { 'Retry-After': '3' },
      retryAfterMs: 3_000,
    },
  };
}

const { PROJECT } = huawei;

const ADAPTERS: Adapter[] = [
  alibabaAdapter('DATAWORKS', createDataWorksFake, createDataWorksClient, {
    request: {
      jobId: '70ecdaec-bf21-4c11-8ecb-4f77453ceea8',
      method: 'GET',
      path: '/',
      rawQuery: 'JobId=70ecdaec-bf21-4c11-8ecb-4f77453ceea8',
      headers: {
        'x-acs-action': 'GetJobStatus',
        'x-acs-version': '2024-05-18',
        'x-acs-date': '2025-01-02T03:04:05Z',
        'x-acs-content-sha256': alibaba.EMPTY_SHA256,
      },
    },
    reserved: { jobId: ALIBABA_RESERVED, rawQuery: ALIBABA_RESERVED_QUERY },
    lifecycle: {
      jobId: 'lifecycle-ok',
      steps: [
        {
          state: 'RUNNING',
          terminal: false,
          completed: false,
          status: 'Running',
          jobType: 'Create',
          // The fake sends `Error: ""` while the job runs: no error reported.
          error: null,
          createTime: new Date(START_MS),
        },
        {
          state: 'SUCCEEDED',
          terminal: true,
          completed: true,
          rawStatus: 'Success',
          startedAt: new Date(START_MS),
          id: 'DATAWORKS:cn-hangzhou:-:lifecycle-ok',
        },
      ],
    },
    endings: {
      // DataWorks says why in `Error`.
      fail: {
        jobId: 'job-fail-1',
        done: {
          state: 'FAILED',
          rawStatus: 'Fail',
          terminal: true,
          completed: true,
          error: expect.stringMatching(/./),
        },
      },
      cancel: {
        jobId: 'job-cancel-1',
        done: {
          state: 'CANCELLED',
          rawStatus: 'Cancel',
          terminal: true,
          completed: true,
          error: expect.stringMatching(/./),
        },
      },
    },
    undocumentedStatus: 'Queued',
    notFound: { jobId: 'job-notfound-1', providerCode: 'ResourceNotFound.JobId', httpStatus: 404 },
    forbidden: { jobId: 'job-forbidden-1', providerCode: 'Forbidden.RAM', httpStatus: 403 },
    errors: [
      [400, alibaba.popError('Throttling.User', 'Request was denied due to user flow control.'), 'PROVIDER_THROTTLED'],
      [400, alibaba.popError('Throttling.Api', 'Request was denied due to api flow control.'), 'PROVIDER_THROTTLED'],
      [
        503,
        alibaba.popError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'),
        'PROVIDER_UNAVAILABLE',
      ],
      [
        500,
        alibaba.popError('InternalError', 'The request processing has failed due to some unknown error.'),
        'PROVIDER_UNAVAILABLE',
      ],
      // SignatureNonceUsed is re-sent once with a fresh nonce: test/providers/alibaba/request.int.test.ts.
      [
        403,
        alibaba.popError('Forbidden.RAM', 'User not authorized to operate on the specified resource.'),
        'PROVIDER_FORBIDDEN',
      ],
      // DataWorks' public error codes (docs/providers.md#dataworks-getjobstatus).
      [
        429,
        alibaba.popError('Throttling.User', 'Your request is too frequent. Try again later.'),
        'PROVIDER_THROTTLED',
      ],
      [
        429,
        alibaba.popError(
          'Throttling.Api.Risk',
          'The request for this resource has exceeded your daily available limit.',
        ),
        'PROVIDER_QUOTA_EXHAUSTED',
      ],
      [
        500,
        alibaba.popError('Forbidden.Not.Server', 'The dataworksAPI service is not available in this area.'),
        'PROVIDER_MISCONFIGURED',
      ],
    ],
    wrongShape: { body: { RequestId: 'R-1', JobStatus: { Status: 42 } }, details: { requestId: 'R-1' } },
    okBody: (requestId) => ({
      RequestId: requestId,
      JobStatus: { Status: 'Running', Completed: 'False', CreateTime: '1729063449802' },
    }),
  }),
  alibabaAdapter('NLB', createNlbFake, createNlbClient, {
    request: {
      jobId: '72dcd26b-f12d-4c27-b3af-18f6aed5****',
      method: 'POST',
      path: '/',
      rawQuery: /^ClientToken=[0-9a-f-]{36}&JobId=72dcd26b-f12d-4c27-b3af-18f6aed5%2A%2A%2A%2A$/,
      headers: {
        'x-acs-action': 'GetJobStatus',
        'x-acs-version': '2022-04-30',
        'x-acs-date': '2025-01-02T03:04:05Z',
        'x-acs-content-sha256': alibaba.EMPTY_SHA256,
      },
    },
    reserved: {
      jobId: ALIBABA_RESERVED,
      rawQuery: new RegExp(`^ClientToken=[0-9a-f-]{36}&${ALIBABA_RESERVED_QUERY.replace(/[*()]/g, '\\$&')}$`),
    },
    lifecycle: {
      jobId: 'lifecycle-ok',
      steps: [
        { state: 'RUNNING', terminal: false, status: 'processing', rawStatus: 'processing' },
        { id: 'NLB:cn-hangzhou:-:lifecycle-ok', state: 'SUCCEEDED', terminal: true, status: 'Succeeded' },
      ],
    },
    endings: {
      fail: { jobId: 'job-fail-1', done: { state: 'FAILED', terminal: true, rawStatus: 'Failed' } },
      // NLB has no cancelled status.
      cancel: { jobId: 'job-cancel-1', done: { state: 'FAILED', terminal: true, rawStatus: 'Failed' } },
    },
    undocumentedStatus: 'Rollback',
    notFound: { jobId: 'job-notfound-1', providerCode: 'ResourceNotFound.JobId', httpStatus: 404 },
    forbidden: { jobId: 'job-forbidden-1', providerCode: 'Forbidden.NoPermission', httpStatus: 403 },
    errors: [
      [400, alibaba.popError('SystemBusy', 'System is busy, please try again later.'), 'PROVIDER_UNAVAILABLE'],
      [
        403,
        alibaba.popError('Forbidden.NoPermission', 'You are not authorized to perform this operation.'),
        'PROVIDER_FORBIDDEN',
      ],
      [404, alibaba.popError('ResourceNotFound.JobId', 'The specified resource JobId is not found.'), 'JOB_NOT_FOUND'],
      [400, alibaba.popError('Throttling.User', 'Request was denied due to user flow control.'), 'PROVIDER_THROTTLED'],
      [
        503,
        alibaba.popError('ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'),
        'PROVIDER_UNAVAILABLE',
      ],
      [
        400,
        alibaba.popError('InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.'),
        'PROVIDER_AUTH_FAILED',
      ],
    ],
    wrongShape: { body: { RequestId: 'R-1' }, details: { requestId: 'R-1' } },
    okBody: (requestId) => ({ RequestId: requestId, Status: 'processing' }),
  }),
  huaweiAdapter('CFW', createCfwFake, createCfwClient, {
    request: {
      jobId: 'f588ce71-e26c-400d-8981-f854355f6849',
      method: 'GET',
      path: `/v3/${PROJECT}/jobs/f588ce71-e26c-400d-8981-f854355f6849`,
      rawQuery: '',
      headers: { 'content-type': 'application/json', 'x-project-id': PROJECT, 'x-sdk-date': '20250102T030405Z' },
    },
    reservedPath: `/v3/${PROJECT}/jobs/${HUAWEI_RESERVED_SEGMENT}`,
    lifecycle: {
      jobId: 'cfw-ok',
      steps: [
        {
          state: 'RUNNING',
          terminal: false,
          status: 'Running',
          endTime: null,
          finishedAt: null,
          beginTime: new Date(START_MS),
        },
        {
          state: 'SUCCEEDED',
          terminal: true,
          rawStatus: 'Success',
          endTime: new Date(START_MS + 1_000),
          finishedAt: new Date(START_MS + 1_000),
        },
      ],
    },
    endings: {
      fail: { jobId: 'cfw-fail', done: { state: 'FAILED', terminal: true, rawStatus: 'Failed' } },
      // CFW has no cancelled status.
      cancel: { jobId: 'cfw-cancel', done: { state: 'FAILED', terminal: true, rawStatus: 'Failed' } },
    },
    undocumentedStatus: 'Paused',
    notFound: { jobId: 'cfw-notfound', providerCode: 'CFW.00200005', httpStatus: 400 },
    forbidden: { jobId: 'cfw-forbidden', providerCode: 'APIGW.0302', httpStatus: 403 },
    errors: [
      [400, { error_code: 'CFW.00200005', error_msg: 'The object does not exist.' }, 'JOB_NOT_FOUND'],
      [400, { error_code: 'CFW.00300001', error_msg: 'Database query failed.' }, 'PROVIDER_UNAVAILABLE'],
      [400, { error_code: 'CFW.00109004', error_msg: 'HTTP request error.' }, 'PROVIDER_UNAVAILABLE'],
      [
        404,
        { error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published in the environment' },
        'PROVIDER_MISCONFIGURED',
      ],
      [500, { error_code: 'APIGW.0705', error_msg: 'Backend unavailable' }, 'PROVIDER_UNAVAILABLE'],
      [200, { error_code: 'CFW.00200005', error_msg: 'The object does not exist.' }, 'JOB_NOT_FOUND'],
    ],
    wrongShape: { body: { data: { id: 'cfw-ok', status: 7 } } },
  }),
  huaweiAdapter('DLI', createDliFake, createDliClient, {
    request: {
      jobId: '6d2146a0-c2d5-41bd-8ca0-ca9694ada992',
      method: 'GET',
      path: `/v1.0/${PROJECT}/jobs/6d2146a0-c2d5-41bd-8ca0-ca9694ada992/status`,
      rawQuery: '',
      headers: { 'content-type': 'application/json', 'x-project-id': PROJECT, 'x-sdk-date': '20250102T030405Z' },
    },
    reservedPath: `/v1.0/${PROJECT}/jobs/${HUAWEI_RESERVED_SEGMENT}/status`,
    lifecycle: {
      // LAUNCHING → RUNNING → SCALING → RUNNING → FINISHED, the duration growing while it runs.
      jobId: 'dli-ok',
      steps: [
        { rawStatus: 'LAUNCHING', state: 'PENDING', durationMs: 0 },
        { rawStatus: 'RUNNING', state: 'RUNNING', durationMs: 1_000 },
        { rawStatus: 'SCALING', state: 'RUNNING', durationMs: 2_000 },
        { rawStatus: 'RUNNING', state: 'RUNNING', durationMs: 3_000 },
        {
          rawStatus: 'FINISHED',
          state: 'SUCCEEDED',
          durationMs: 4_000,
          terminal: true,
          isSuccess: true,
          jobType: 'QUERY',
          resultCount: 4,
          tags: [{ key: 'workload', value: 'simulator' }],
          startedAt: new Date(START_MS),
          finishedAt: new Date(START_MS + 4_000),
          columns: [{ name: 'id' }, { name: 'name' }],
        },
      ],
    },
    endings: {
      fail: { jobId: 'dli-fail', done: { state: 'FAILED', terminal: true, rawStatus: 'FAILED' } },
      cancel: { jobId: 'dli-cancel', done: { state: 'CANCELLED', terminal: true, rawStatus: 'CANCELLED' } },
    },
    undocumentedStatus: 'SUSPENDED',
    notFound: { jobId: 'dli-notfound', providerCode: 'DLI.0002', httpStatus: 400 },
    forbidden: { jobId: 'dli-forbidden', providerCode: 'APIGW.0302', httpStatus: 403 },
    errors: [
      [400, { error_code: 'DLI.0001', error_msg: 'Parameter check errors occur.' }, 'BAD_USER_INPUT'],
      [400, { error_code: 'DLI.0002', error_msg: 'The object does not exist.' }, 'JOB_NOT_FOUND'],
      [400, { error_code: 'DLI.0003', error_msg: 'SQL permission verification fails.' }, 'PROVIDER_FORBIDDEN'],
      [401, { error_code: 'DLI.0013', error_msg: 'User authentication errors occur.' }, 'PROVIDER_AUTH_FAILED'],
      [401, { error_code: 'DLI.0014', error_msg: 'Service authentication errors occur.' }, 'PROVIDER_AUTH_FAILED'],
      [404, { error_code: 'DLI.0023', error_msg: 'The resource does not exist.' }, 'JOB_NOT_FOUND'],
      [400, { error_code: 'DLI.0999', error_msg: 'Server-side errors occur.' }, 'PROVIDER_UNAVAILABLE'],
      [400, { error_code: 'DLI.0009', error_msg: 'System limit.' }, 'PROVIDER_THROTTLED'],
      [400, { error_code: 'DLI.0012', error_msg: 'The resource object is unavailable.' }, 'PROVIDER_UNAVAILABLE'],
      [400, { error_code: 'DLI.0016', error_msg: 'Identity role error.' }, 'PROVIDER_FORBIDDEN'],
      [400, { error_code: 'DLI.0019', error_msg: 'Task timeout.' }, 'PROVIDER_UNAVAILABLE'],
      [429, { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' }, 'PROVIDER_THROTTLED'],
      // DLI's own envelope: HTTP 200 with is_success false.
      [
        200,
        { is_success: false, message: 'The job does not belong to this project', error_code: 'DLI.0002' },
        'JOB_NOT_FOUND',
      ],
      [200, { is_success: false, message: 'Queue is busy' }, 'BAD_USER_INPUT'],
    ],
    wrongShape: { body: { is_success: true, status: 3 } },
  }),
  huaweiAdapter('WORKSPACE', createWorkspaceFake, createWorkspaceClient, {
    // The default API is v2 (ShowJobDetail); v1 is in workspace/client.test.ts.
    request: {
      jobId: '575768277444198400',
      method: 'GET',
      path: `/v2/${PROJECT}/job/575768277444198400`,
      rawQuery: '',
      headers: { 'content-type': 'application/json', 'x-project-id': PROJECT, 'x-sdk-date': '20250102T030405Z' },
    },
    reservedPath: `/v2/${PROJECT}/job/${HUAWEI_RESERVED_SEGMENT}`,
    lifecycle: {
      jobId: '575768277444198400',
      steps: [
        { apiVersion: 'V2', status: 'WAITING', state: 'PENDING', jobType: 'CREATE_SERVER', subJobsTotal: 1 },
        { apiVersion: 'V2', status: 'RUNNING', state: 'RUNNING' },
        {
          apiVersion: 'V2',
          status: 'SUCCESS',
          state: 'SUCCEEDED',
          terminal: true,
          startedAt: new Date(START_MS),
          finishedAt: new Date(START_MS + 2_000),
        },
      ],
    },
    endings: {
      fail: {
        jobId: 'ws-fail',
        done: {
          state: 'FAILED',
          terminal: true,
          rawStatus: 'FAILED',
          subJobs: [
            {
              state: 'FAILED',
              errorCode: 'WKS.00010500',
              failReason: 'create app server failed',
              entities: [expect.anything()],
            },
          ],
        },
      },
      // Workspace has no cancelled status.
      cancel: { jobId: 'ws-cancel', done: { state: 'FAILED', terminal: true, rawStatus: 'FAILED' } },
    },
    undocumentedStatus: 'PAUSED',
    notFound: { jobId: 'ws-notfound', providerCode: 'WKS.00010404', httpStatus: 404 },
    forbidden: { jobId: 'ws-forbidden', providerCode: 'APIGW.0302', httpStatus: 403 },
    errors: [
      [400, { error_code: 'WKS.00149901', error_msg: 'The request message is invalid.' }, 'BAD_USER_INPUT'],
      [401, { error_code: 'WKS.00000401', error_msg: 'Authentication failed.' }, 'PROVIDER_AUTH_FAILED'],
      [403, { error_code: 'WKS.00000403', error_msg: 'Permissions required.' }, 'PROVIDER_FORBIDDEN'],
      [404, { error_code: 'WKS.00010404', error_msg: 'Resources not found.' }, 'JOB_NOT_FOUND'],
      [405, { error_code: 'WKS.00000405', error_msg: 'Method not allowed.' }, 'PROVIDER_MISCONFIGURED'],
      [500, { error_code: 'WKS.00000500', error_msg: 'An internal service error occurred.' }, 'PROVIDER_UNAVAILABLE'],
      [503, { error_code: 'WKS.00000503', error_msg: 'Service unavailable.' }, 'PROVIDER_UNAVAILABLE'],
      [200, { error_code: 'WKS.00010404', error_msg: 'Resources not found.' }, 'BAD_USER_INPUT'],
    ],
    // A v1 answer to a v2 call.
    wrongShape: { body: { job: { job_status: 1 } } },
  }),
];

/** The provider error code a documented error body carries, if any. */
function codeIn(body: Record<string, unknown>): string | undefined {
  const code = body.error_code ?? body.Code;
  return typeof code === 'string' ? code : undefined;
}

describe.each(ADAPTERS)('$provider client against its fake', (a) => {
  const h = a.useHarness();
  const key = a.key;
  const fetchJob = (jobId: string, options: Options = {}) => h.client(options).fetchJob(key(jobId));
  const idOf = (jobId: string) => `${a.provider}:${key(jobId).region}:${key(jobId).projectId ?? '-'}:${jobId}`;

  it('sends the documented request, signed as the fake verifies it', async () => {
    await fetchJob(a.request.jobId);
    expect(h.fake.requests).toHaveLength(1);
    const req = h.fake.requests[0]!;
    expect(req.method).toBe(a.request.method);
    expect(req.path).toBe(a.request.path);
    if (typeof a.request.rawQuery === 'string') expect(req.rawQuery).toBe(a.request.rawQuery);
    else expect(req.rawQuery).toMatch(a.request.rawQuery);
    expect(req.body).toBe('');
    expect(req.headers).toMatchObject({ host: new URL(h.fake.url).host, ...a.request.headers });
    if (a.vendor === 'alibaba') {
      expect(req.headers.authorization).toMatch(ACS3_AUTHORIZATION);
      expect(req.headers['x-acs-signature-nonce']).toMatch(/^[0-9a-f]{32}$/);
      expect(req.headers['x-acs-security-token']).toBeUndefined();
    } else {
      expect(req.headers.authorization).toMatch(HUAWEI_AUTHORIZATION);
      expect(req.headers['x-auth-token']).toBeUndefined();
    }
  });

  it('percent-encodes reserved characters in the job id once, and the signature still verifies', async () => {
    const job = await fetchJob(a.reserved.jobId);
    expect(job.jobId).toBe(a.reserved.jobId);
    const req: FakeRequest = h.fake.requests[0]!;
    if (a.reserved.path !== undefined) expect(req.path).toBe(a.reserved.path);
    if (typeof a.reserved.rawQuery === 'string') expect(req.rawQuery).toBe(a.reserved.rawQuery);
    else if (a.reserved.rawQuery) expect(req.rawQuery).toMatch(a.reserved.rawQuery);
  });

  it('follows a job to success with the documented fields mapped at every step', async () => {
    const { jobId, steps } = a.lifecycle;
    const client = h.client();
    for (const [i, expected] of steps.entries()) {
      const job = await client.fetchJob(key(jobId));
      expect(job, `step ${i}`).toMatchObject({ id: idOf(jobId), jobId, terminal: i === steps.length - 1, ...expected });
      expect(job.providerRequestId, `step ${i}`).toMatch(a.requestId);
      h.clock.ms += 1_000;
    }
  });

  it.each(['fail', 'cancel'] as const)('ends a job whose id says %s as the provider reports it', async (outcome) => {
    const { jobId, done } = a.endings[outcome];
    const client = h.client();
    expect(await client.fetchJob(key(jobId))).toMatchObject({ terminal: false });
    h.clock.ms += 10_000;
    expect(await client.fetchJob(key(jobId))).toMatchObject(done);
  });

  it('keeps an undocumented status as UNKNOWN, not terminal, with the raw value', async () => {
    h.jobs.pin(a.provider, 'pinned-1', a.undocumentedStatus);
    expect(await fetchJob('pinned-1')).toMatchObject({
      state: 'UNKNOWN',
      terminal: false,
      rawStatus: a.undocumentedStatus,
    });
  });

  it("maps the fake's not-found answer to JOB_NOT_FOUND with the provider's code and request id", async () => {
    const err = await rejection(fetchJob(a.notFound.jobId));
    expect(err.code).toBe('JOB_NOT_FOUND');
    expect(err.details).toMatchObject({
      provider: a.provider,
      providerCode: a.notFound.providerCode,
      httpStatus: a.notFound.httpStatus,
    });
    expect(err.details.requestId).toMatch(a.requestId);
  });

  it("maps the fake's permission answer to PROVIDER_FORBIDDEN", async () => {
    const err = await rejection(fetchJob(a.forbidden.jobId));
    expect(err).toMatchObject({
      code: 'PROVIDER_FORBIDDEN',
      details: { provider: a.provider, providerCode: a.forbidden.providerCode, httpStatus: a.forbidden.httpStatus },
    });
    expect(err.details.requestId).toMatch(a.requestId);
  });

  it('is rejected (PROVIDER_AUTH_FAILED) when signing with a wrong secret, and the message leaks nothing', async () => {
    const err = await rejection(fetchJob(a.request.jobId, a.wrongSecret.options));
    expect(err).toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      details: { providerCode: a.wrongSecret.providerCode, httpStatus: a.wrongSecret.httpStatus },
    });
    expect(err.message).not.toMatch(new RegExp(`${WRONG_SECRET}|string to sign|canonical|Signature=`, 'i'));
  });

  it('is rejected (PROVIDER_AUTH_FAILED) for an unknown access key', async () => {
    const err = await rejection(fetchJob(a.request.jobId, a.unknownKey.options));
    expect(err).toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      details: { providerCode: a.unknownKey.providerCode, httpStatus: a.unknownKey.httpStatus },
    });
  });

  it.each([
    ['behind', -20],
    ['ahead', 20],
  ])('is rejected (PROVIDER_AUTH_FAILED) when its signing clock is 20 minutes %s', async (_, minutes) => {
    const err = await rejection(fetchJob(a.request.jobId, { now: () => new Date(START_MS + minutes * 60_000) }));
    expect(err).toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      details: { providerCode: a.clockSkew.providerCode, httpStatus: a.clockSkew.httpStatus },
    });
  });

  it.each(a.errors.rows)('maps a documented HTTP %i body %j to %s', async (status, body, code) => {
    h.fake.enqueueFaults({ status, body, ...(a.errors.headers ? { headers: a.errors.headers } : {}) });
    const err = await rejection(fetchJob(a.request.jobId));
    expect(err.code).toBe(code);
    const providerCode = codeIn(body);
    expect(err.details).toMatchObject({
      provider: a.provider,
      requestId: a.errors.requestId,
      httpStatus: status,
      ...(providerCode ? { providerCode } : {}),
    });
  });

  it('passes the throttling answer on as PROVIDER_THROTTLED with the time to wait', async () => {
    const { retryAfterMs, ...fault } = a.throttled;
    h.fake.enqueueFaults(fault);
    const err = await rejection(fetchJob(a.request.jobId));
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', details: { provider: a.provider, retryAfterMs } });
  });

  it('reports a 5xx without a documented body (a proxy page) as PROVIDER_UNAVAILABLE', async () => {
    h.fake.enqueueFaults({ status: 502, body: '<html><body>502 Bad Gateway</body></html>' });
    const err = await rejection(fetchJob(a.request.jobId));
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { provider: a.provider, httpStatus: 502 } });
  });

  it('reports a connection reset before any answer as PROVIDER_UNAVAILABLE', async () => {
    h.fake.enqueueFaults({ kind: 'reset' });
    expect(await rejection(fetchJob(a.request.jobId))).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      details: { provider: a.provider },
    });
  });

  it.each([
    ['that is not JSON', '<html>maintenance</html>'],
    ['that is truncated JSON', '{"is_success":true,"status":'],
  ])('reports a 200 body %s as PROVIDER_BAD_RESPONSE', async (_, body) => {
    h.fake.enqueueFaults({ status: 200, body });
    expect(await rejection(fetchJob(a.request.jobId))).toMatchObject({
      code: 'PROVIDER_BAD_RESPONSE',
      details: { provider: a.provider },
    });
  });

  it('reports a 200 JSON body of the wrong shape as PROVIDER_BAD_RESPONSE', async () => {
    h.fake.enqueueFaults({ status: 200, body: a.wrongShape.body });
    const err = await rejection(fetchJob(a.request.jobId));
    expect(err).toMatchObject({
      code: 'PROVIDER_BAD_RESPONSE',
      details: { provider: a.provider, ...a.wrongShape.details },
    });
  });
});

const ALIBABA = ADAPTERS.filter((a) => a.vendor === 'alibaba');
const HUAWEI = ADAPTERS.filter((a) => a.vendor === 'huawei');

describe.each(ALIBABA)('$provider client: the Alibaba POP gateway', (a) => {
  const h = a.useHarness();
  const { okBody, start } = a.alibaba!;

  it('signs every call with a fresh nonce', async () => {
    const client = h.client();
    await client.fetchJob(a.key('job-a'));
    await client.fetchJob(a.key('job-a'));
    const [first, second] = h.fake.requests;
    expect(first!.headers['x-acs-signature-nonce']).not.toBe(second!.headers['x-acs-signature-nonce']);
  });

  it('takes the request id from the x-acs-request-id header over the body', async () => {
    h.fake.enqueueFaults({
      status: 200,
      headers: { 'x-acs-request-id': 'HEADER-REQ-ID' },
      body: okBody('BODY-REQ-ID'),
    });
    expect((await h.client().fetchJob(a.key('job-1'))).providerRequestId).toBe('HEADER-REQ-ID');
  });

  it('maps an XML error body', async () => {
    h.fake.enqueueFaults({
      status: 400,
      headers: { 'content-type': 'text/xml' },
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>X-1</RequestId><Code>Throttling</Code><Message>flow control</Message></Error>',
    });
    const err = await rejection(h.client().fetchJob(a.key('job-1')));
    expect(err).toMatchObject({
      code: 'PROVIDER_THROTTLED',
      details: { providerCode: 'Throttling', requestId: 'X-1' },
    });
  });

  describe('with STS credentials', () => {
    const sts = {
      accessKeyId: 'SIMULATORACCESSKEYID',
      accessKeySecret: 'simulator-access-key-secret',
      securityToken: 'sts-token-1',
    };
    let s: Harness;
    beforeAll(async () => {
      s = await start(sts);
    });
    afterAll(async () => {
      await s.close();
    });

    it('sends and signs x-acs-security-token', async () => {
      const job = await s.client({ credentials: sts }).fetchJob(a.key('job-1'));
      expect(job.state).toBe('RUNNING');
      expect(s.fake.requests.at(-1)!.headers['x-acs-security-token']).toBe('sts-token-1');
      expect(s.fake.requests.at(-1)!.headers.authorization).toContain('x-acs-security-token;');
    });

    it('is rejected (PROVIDER_AUTH_FAILED) without the token the key requires', async () => {
      const err = await rejection(s.client().fetchJob(a.key('job-1')));
      expect(err).toMatchObject({
        code: 'PROVIDER_AUTH_FAILED',
        details: { providerCode: 'InvalidSecurityToken.MismatchWithAccessKey' },
      });
    });
  });
});

describe.each(HUAWEI)('$provider client: the Huawei API gateway', (a) => {
  const h = a.useHarness();

  it('authenticates with an IAM token instead of a signature, and a stale token is refused', async () => {
    const job = await h.client({ auth: { kind: 'token', token: huawei.TOKEN } }).fetchJob(a.key('token-1'));
    expect(job.state).toBe(a.lifecycle.steps[0]!.state); // a fresh job, as in the lifecycle
    expect(h.fake.requests[0]!.headers).toMatchObject({
      'x-auth-token': huawei.TOKEN,
      'content-type': 'application/json',
    });
    expect(h.fake.requests[0]!.headers.authorization).toBeUndefined();
    const err = await rejection(h.client({ auth: { kind: 'token', token: 'stale' } }).fetchJob(a.key('token-1')));
    expect(err).toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      details: { providerCode: 'APIGW.0301', httpStatus: 401 },
    });
  });

  it('needs a project id, and sends nothing without one', async () => {
    const err = await rejection(h.client().fetchJob({ ...a.key('x'), projectId: null }));
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(h.fake.requests).toHaveLength(0);
  });
});
