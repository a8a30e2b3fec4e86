/**
 * Issue 13's error-mapping rows and region checks, end to end: the real server against the fakes,
 * each fake scripted (src/simulator/fake-server.ts `enqueueAnswers`) to give one of the answers
 * the providers' error-code pages document, after its gateway has verified the signed request.
 * For every row: the client's code, how many requests the provider saw (retried or not), and
 * whether the endpoint's circuit breaker counted it. Regions the provider is not offered in fail
 * before any request. docs/providers.md#error-codes and #regions hold the sources.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/providers/types.js';
import { scriptedAlibabaError } from '../../src/simulator/alibaba-fake.js';
import type { FakeFault, FakeReply } from '../../src/simulator/fake-server.js';
import { scriptedHuaweiError } from '../../src/simulator/huawei-fake.js';
import { startTestServer, type GqlResult, type TestServer } from '../helpers/server.js';
import { connect, subscribe } from '../helpers/ws-client.js';

/**
 * Small retries and deadlines. The breaker threshold is high so that the outages one row scripts
 * never fail the next row fast; the breaker's own test below starts a server with threshold 2.
 */
const ENV = {
  JOBS_RETRY_MAX_ATTEMPTS: '3',
  JOBS_RETRY_BASE_MS: '5',
  JOBS_RETRY_MAX_DELAY_MS: '1500',
  JOBS_PROVIDER_DEADLINE_MS: '1000',
  JOBS_CALL_DEADLINE_MS: '5000',
  JOBS_BREAKER_THRESHOLD: '100',
};

const JOB = /* GraphQL */ `
  query ($ref: JobRef!) {
    job(ref: $ref) {
      ... on CloudJob {
        provider
        jobId
        state
        terminal
      }
      ... on DataWorksJob {
        error
      }
    }
  }
`;

interface JobView {
  provider: string;
  jobId: string;
  state: string;
  terminal: boolean;
  error?: string | null;
}

type Result = GqlResult<{ job: JobView | null }>;

const times = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

/**
 * One documented answer and what it must become. `answers` pass the gateway first (scripted
 * provider errors); `faults` come from something in front of it (a proxy answering 405).
 */
interface Row {
  what: string;
  provider: ProviderName;
  answers?: FakeReply[];
  faults?: FakeFault[];
  /** A code, or 'recovered' when a retry got the job. */
  outcome: string;
  attempts: number;
  providerCode?: string;
}

const ROWS: Row[] = [
  {
    what: 'CFW CFW.00109004 ("retry later") once, then the job',
    provider: 'CFW',
    answers: [scriptedHuaweiError('CFW.00109004')],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    what: 'CFW CFW.00109004 on every attempt',
    provider: 'CFW',
    answers: times(3, scriptedHuaweiError('CFW.00109004')),
    outcome: 'PROVIDER_UNAVAILABLE',
    attempts: 3,
    providerCode: 'CFW.00109004',
  },
  {
    what: 'DLI DLI.0009 (system limit) once, then the job',
    provider: 'DLI',
    answers: [scriptedHuaweiError('DLI.0009')],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    what: 'DLI DLI.0009 on every attempt',
    provider: 'DLI',
    answers: times(3, scriptedHuaweiError('DLI.0009')),
    outcome: 'PROVIDER_THROTTLED',
    attempts: 3,
    providerCode: 'DLI.0009',
  },
  {
    what: 'DLI DLI.0012 (resource unavailable) on every attempt',
    provider: 'DLI',
    answers: times(3, scriptedHuaweiError('DLI.0012')),
    outcome: 'PROVIDER_UNAVAILABLE',
    attempts: 3,
    providerCode: 'DLI.0012',
  },
  {
    what: 'DLI DLI.0019 (task timeout) once, then the job',
    provider: 'DLI',
    answers: [scriptedHuaweiError('DLI.0019')],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    what: 'DLI DLI.0016 (agency/role)',
    provider: 'DLI',
    answers: [scriptedHuaweiError('DLI.0016')],
    outcome: 'PROVIDER_FORBIDDEN',
    attempts: 1,
    providerCode: 'DLI.0016',
  },
  {
    what: 'DataWorks Throttling.User ("too frequent", 429) once, then the job',
    provider: 'DATAWORKS',
    answers: [scriptedAlibabaError('Throttling.User')],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    what: 'DataWorks Throttling.User on every attempt',
    provider: 'DATAWORKS',
    answers: times(3, scriptedAlibabaError('Throttling.User')),
    outcome: 'PROVIDER_THROTTLED',
    attempts: 3,
    providerCode: 'Throttling.User',
  },
  {
    what: "DataWorks' daily limit Throttling.Api.Risk",
    provider: 'DATAWORKS',
    answers: times(3, scriptedAlibabaError('Throttling.Api.Risk')),
    outcome: 'PROVIDER_QUOTA_EXHAUSTED',
    attempts: 1,
    providerCode: 'Throttling.Api.Risk',
  },
  {
    what: 'DataWorks Forbidden.Not.Server (no DataWorks API in this region)',
    provider: 'DATAWORKS',
    answers: times(3, scriptedAlibabaError('Forbidden.Not.Server')),
    outcome: 'PROVIDER_MISCONFIGURED',
    attempts: 1,
    providerCode: 'Forbidden.Not.Server',
  },
  {
    what: 'Huawei APIGW.0101 (no such API at this host)',
    provider: 'WORKSPACE',
    answers: times(3, scriptedHuaweiError('APIGW.0101')),
    outcome: 'PROVIDER_MISCONFIGURED',
    attempts: 1,
    providerCode: 'APIGW.0101',
  },
  {
    what: 'HTTP 405 in front of NLB',
    provider: 'NLB',
    faults: times(3, { status: 405, headers: { 'content-type': 'text/html' }, body: '<html>405 Not Allowed</html>' }),
    outcome: 'PROVIDER_MISCONFIGURED',
    attempts: 1,
  },
  {
    what: 'HTTP 405 in front of CFW',
    provider: 'CFW',
    faults: times(3, { status: 405, headers: { 'content-type': 'text/html' }, body: '<html>405 Not Allowed</html>' }),
    outcome: 'PROVIDER_MISCONFIGURED',
    attempts: 1,
  },
  {
    what: 'Alibaba SignatureNonceUsed once (re-signed with a fresh nonce), then the job',
    provider: 'NLB',
    answers: [
      { status: 400, body: { Code: 'SignatureNonceUsed', Message: 'Specified signature nonce was used already.' } },
    ],
    outcome: 'recovered',
    attempts: 2,
  },
];

describe('error mapping, through Query.job', () => {
  let server: TestServer;
  let n = 0;
  beforeAll(async () => {
    server = await startTestServer({ env: ENV });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    for (const f of Object.values(server.simulator.fakes)) {
      f.clearFaults();
      f.resetRequests();
    }
  });

  const query = (provider: ProviderName, jobId: string, region?: string) =>
    server.query<{ job: JobView | null }>(JOB, { ref: { provider, jobId, ...(region ? { region } : {}) } });

  it.each(ROWS)('$what → $outcome after $attempts request(s)', async (row) => {
    const fake = server.simulator.fakes[row.provider];
    if (row.answers) fake.enqueueAnswers(...row.answers);
    if (row.faults) fake.enqueueFaults(...row.faults);
    const jobId = `mapping-${++n}`;
    const res: Result = await query(row.provider, jobId);

    expect(fake.requests).toHaveLength(row.attempts);
    if (row.outcome === 'recovered') {
      expect(res.errors).toBeUndefined();
      expect(res.data?.job).toMatchObject({ provider: row.provider, jobId });
    } else {
      expect(res.data?.job ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions).toMatchObject({
        code: row.outcome,
        provider: row.provider,
        ...(row.providerCode ? { providerCode: row.providerCode } : {}),
      });
    }
    // Whatever was left queued must not leak into the next query; the provider still answers.
    fake.clearFaults();
    const next = await query(row.provider, `mapping-after-${n}`);
    expect(next.errors).toBeUndefined();
  });

  it('sends the re-signed request after SignatureNonceUsed with a new nonce and signature', async () => {
    const fake = server.simulator.fakes.DATAWORKS;
    fake.enqueueAnswers({ status: 400, body: { Code: 'SignatureNonceUsed', Message: 'used already' } });
    expect((await query('DATAWORKS', `nonce-${++n}`)).errors).toBeUndefined();
    const [first, second] = fake.requests;
    expect(second!.headers['x-acs-signature-nonce']).not.toBe(first!.headers['x-acs-signature-nonce']);
    expect(second!.headers.authorization).not.toBe(first!.headers.authorization);
  });
});

describe('the circuit breaker does not count configuration errors or a used-up quota', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { ...ENV, JOBS_BREAKER_THRESHOLD: '2', JOBS_BREAKER_COOLDOWN_MS: '60000' },
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  const query = (provider: ProviderName, jobId: string) =>
    server.query<{ job: JobView | null }>(JOB, { ref: { provider, jobId } });

  it('three of each against a breaker of threshold 2: every query reaches the provider', async () => {
    const nlb = server.simulator.fakes.NLB;
    nlb.enqueueFaults(...times(3, { status: 405, body: 'Method Not Allowed' }));
    const workspace = server.simulator.fakes.WORKSPACE;
    workspace.enqueueAnswers(...times(3, scriptedHuaweiError('APIGW.0101')));
    const dataworks = server.simulator.fakes.DATAWORKS;
    dataworks.enqueueAnswers(...times(3, scriptedAlibabaError('Throttling.Api.Risk')));
    for (let i = 0; i < 3; i++) {
      expect((await query('NLB', `breaker-405-${i}`)).errors?.[0]?.extensions?.code).toBe('PROVIDER_MISCONFIGURED');
      expect((await query('WORKSPACE', `breaker-0101-${i}`)).errors?.[0]?.extensions?.code).toBe(
        'PROVIDER_MISCONFIGURED',
      );
      expect((await query('DATAWORKS', `breaker-quota-${i}`)).errors?.[0]?.extensions?.code).toBe(
        'PROVIDER_QUOTA_EXHAUSTED',
      );
    }
    // Every query reached its provider: no breaker opened to fail one fast.
    expect(nlb.requests).toHaveLength(3);
    expect(workspace.requests).toHaveLength(3);
    expect(dataworks.requests).toHaveLength(3);
    for (const p of ['NLB', 'WORKSPACE', 'DATAWORKS'] as const) {
      expect((await query(p, `breaker-after-${p}`)).errors).toBeUndefined();
    }
  });

  it('while an outage answer (CFW.00109004) does count: the breaker opens after 2 and fails the third attempt fast', async () => {
    const cfw = server.simulator.fakes.CFW;
    cfw.enqueueAnswers(...times(3, scriptedHuaweiError('CFW.00109004')));
    const res = await query('CFW', 'breaker-outage');
    expect(res.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(cfw.requests).toHaveLength(2);
    expect(res.errors?.[0]?.message).toMatch(/circuit breaker is open/);
  });
});

describe('regions a provider is not offered in: BAD_USER_INPUT before any call', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: ENV });
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Requests every fake and identity service saw. */
  const calls = () =>
    [...Object.values(server.simulator.fakes), ...Object.values(server.simulator.identityFakes)].reduce(
      (sum, f) => sum + f.requests.length,
      0,
    );

  it.each([
    ['an unknown region', 'DLI', 'xx-nowhere-1', /^DLI is not offered in region xx-nowhere-1; DLI regions: /],
    ['a typo', 'CFW', 'cn-nrth-4', /^CFW is not offered in region cn-nrth-4 \(did you mean cn-north-4\?\)/],
    ['a region of the other cloud', 'NLB', 'cn-north-4', /^cn-north-4 is a region of Huawei Cloud, but NLB runs on/],
    ['Workspace in eu-west-101', 'WORKSPACE', 'eu-west-101', /^WORKSPACE is not offered in region eu-west-101/],
  ] as const)('refuses %s (%s in %s) with no request to any fake', async (_what, provider, region, message) => {
    const before = calls();
    const res = await server.query<{ job: JobView | null }>(JOB, { ref: { provider, jobId: 'j-1', region } });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', provider });
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(calls()).toBe(before);
  });

  it('refuses such a ref in a subscription with one coded error and no request', async () => {
    const client = connect(server.wsUrl);
    try {
      const before = calls();
      const sub = subscribe(
        client,
        /* GraphQL */ `
          subscription ($refs: [JobRef!]!) {
            jobStatusChanged(refs: $refs) {
              state
            }
          }
        `,
        { refs: [{ provider: 'NLB', jobId: 'j-2', region: 'cn-north-4' }] },
      );
      const first = await sub.next();
      expect(first.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', provider: 'NLB' });
      expect(calls()).toBe(before);
    } finally {
      await client.dispose();
    }
  });

  it('serves a DataWorks region of the central endpoint (cn-qingdao) through the endpoint override', async () => {
    const res = await server.query<{ job: JobView | null }>(JOB, {
      ref: { provider: 'DATAWORKS', jobId: 'central-1', region: 'cn-qingdao' },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data?.job).toMatchObject({ provider: 'DATAWORKS', jobId: 'central-1' });
  });
});

describe('DataWorks Status "Success" with an Error, as a subscriber sees it', () => {
  const WATCH = /* GraphQL */ `
    subscription ($refs: [JobRef!]!) {
      jobStatusChanged(refs: $refs) {
        state
        terminal
        rawStatus
        job {
          ... on DataWorksJob {
            jobId
            status
            error
          }
        }
      }
    }
  `;
  let server: TestServer;
  let client: ReturnType<typeof connect>;
  beforeAll(async () => {
    server = await startTestServer({ env: ENV });
    client = connect(server.wsUrl);
  });
  afterAll(async () => {
    await client.dispose();
    await server.stop();
  });

  it('tells the page\'s sample (Success, Error "Not Found") apart from a clean success by `error`', async () => {
    const fake = server.simulator.fakes.DATAWORKS;
    // The seed's sample answer, for this job.
    fake.enqueueAnswers({
      status: 200,
      body: {
        RequestId: '5E2BFE96-C0E0-5A98-85C8-633EC803198D',
        JobStatus: {
          JobId: 'sample-1',
          JobType: 'Create',
          Completed: 'False',
          Status: 'Success',
          Error: 'Not Found',
          CreateTime: 1729063449802,
        },
      },
    });
    const flagged = subscribe(client, WATCH, { refs: [{ provider: 'DATAWORKS', jobId: 'sample-1' }] });
    const event = await flagged.next();
    await flagged.completed;
    expect(event.errors).toBeUndefined();
    expect(event.data?.jobStatusChanged).toEqual({
      state: 'SUCCEEDED',
      terminal: true,
      rawStatus: 'Success',
      job: { jobId: 'sample-1', status: 'Success', error: 'Not Found' },
    });

    server.simulator.jobs.pin('DATAWORKS', 'clean-1', 'Success');
    const clean = subscribe(client, WATCH, { refs: [{ provider: 'DATAWORKS', jobId: 'clean-1' }] });
    const cleanEvent = await clean.next();
    await clean.completed;
    expect(cleanEvent.data?.jobStatusChanged).toEqual({
      state: 'SUCCEEDED',
      terminal: true,
      rawStatus: 'Success',
      job: { jobId: 'clean-1', status: 'Success', error: null },
    });
    server.simulator.jobs.unpin('DATAWORKS', 'clean-1');
  });
});
