/**
 * Fault injection: the real server against the real fake providers, each fake scripted to fail in
 * one of the ways providers fail on a bad day. For every fault: the coded error or the recovered
 * job, the number of requests the provider saw (attempts), and a healthy server afterwards. A
 * subset also runs under a live subscription, which must not report a transition that never
 * happened. Retries, deadlines and breakers are tuned small through the environment so the
 * suite stays fast.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { ProviderName } from '../../src/providers/types.js';
import { createServer, type RunningServer } from '../../src/server.js';
import { SIMULATOR_HUAWEI_PROJECT_ID } from '../../src/simulator/credentials.js';
import type { FakeFault } from '../../src/simulator/fake-server.js';
import { startSimulator } from '../../src/simulator/index.js';
import { startTestServer, type GqlResult, type TestServer } from '../helpers/server.js';
import { connect, subscribe, type Subscription } from '../helpers/ws-client.js';
import { waitUntil } from '../helpers/wait.js';

/** Small retries and deadlines: a fault test takes milliseconds, a hang a few hundred. */
const FAST = {
  JOBS_RETRY_MAX_ATTEMPTS: '3',
  JOBS_RETRY_BASE_MS: '5',
  JOBS_RETRY_MAX_DELAY_MS: '1500',
  JOBS_PROVIDER_DEADLINE_MS: '300',
  JOBS_CALL_DEADLINE_MS: '3000',
  // High, so that the faults of one test never open a breaker for the next; the breaker has its own tests.
  JOBS_BREAKER_THRESHOLD: '100',
};

const JOB = /* GraphQL */ `
  query ($ref: JobRef!) {
    job(ref: $ref) {
      __typename
      ... on CloudJob {
        provider
        jobId
        state
        rawStatus
        terminal
      }
    }
  }
`;

interface JobView {
  provider: string;
  jobId: string;
  state: string;
  rawStatus: string;
  terminal: boolean;
}

type Result = GqlResult<{ job: JobView | null }>;

/** Anything with a GraphQL URL: the shared test server or one built here with other dependencies. */
interface Queryable {
  url: string;
}

async function queryJob(server: Queryable, provider: ProviderName, jobId: string): Promise<Result> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: JOB, variables: { ref: { provider, jobId } } }),
  });
  return { status: res.status, ...((await res.json()) as object) } as Result;
}

const codeOf = (res: Result) => res.errors?.[0]?.extensions?.code;

// Provider answers, in each provider's documented envelope (docs/providers.md#error-codes).
const aliError = (status: number, code: string, headers: Record<string, string> = {}): FakeFault => ({
  status,
  headers,
  body: { RequestId: 'F00D0000-0000-0000-0000-000000000001', HostId: 'fake', Code: code, Message: `scripted ${code}` },
});
const hwError = (status: number, code: string, msg: string, headers: Record<string, string> = {}): FakeFault => ({
  status,
  headers,
  body: { error_code: code, error_msg: msg },
});
const html = (status: number): FakeFault => ({
  status,
  headers: { 'content-type': 'text/html' },
  body: `<!DOCTYPE html><html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1><hr>nginx</body></html>`,
});
const times = (n: number, f: FakeFault): FakeFault[] => Array.from({ length: n }, () => f);

const DLI_500 = hwError(500, 'DLI.0999', 'Internal server error');
const APIGW_0308 = hwError(
  429,
  'APIGW.0308',
  'The throttling threshold has been reached: policy user over ratelimit,limit:200,time:1 second',
);
const THROTTLING_USER = aliError(400, 'Throttling.User', {
  'x-acs-request-id': 'F00D0000-0000-0000-0000-000000000002',
});
const TEN_MB = { status: 200, body: `{"is_success":true,"status":"RUNNING","pad":"${'x'.repeat(10 * 1024 * 1024)}"}` };

/** One row of the fault table. `outcome` is a code, or 'recovered' for a job answered after retries. */
interface FaultRow {
  fault: string;
  provider: ProviderName;
  faults: FakeFault[];
  outcome: string;
  attempts: number;
  message?: RegExp;
  extensions?: Record<string, unknown>;
}

const ROWS: FaultRow[] = [
  {
    fault: 'HTTP 500 on every attempt (DLI.0999)',
    provider: 'DLI',
    faults: times(3, DLI_500),
    outcome: 'PROVIDER_UNAVAILABLE',
    attempts: 3,
    message: /\(after 3 attempts\)$/,
  },
  {
    fault: 'HTTP 500 InternalError on every attempt',
    provider: 'DATAWORKS',
    faults: times(3, aliError(500, 'InternalError')),
    outcome: 'PROVIDER_UNAVAILABLE',
    attempts: 3,
  },
  {
    fault: '502, then 503, then 200',
    provider: 'CFW',
    faults: [hwError(502, 'APIGW.0705', 'Backend unavailable'), hwError(503, 'APIGW.0801', 'Service unavailable')],
    outcome: 'recovered',
    attempts: 3,
  },
  {
    fault: 'Alibaba Throttling.User as HTTP 400, then 200',
    provider: 'DATAWORKS',
    faults: [THROTTLING_USER],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    fault: 'Alibaba Throttling.User as HTTP 400 on every attempt',
    provider: 'NLB',
    faults: times(3, THROTTLING_USER),
    outcome: 'PROVIDER_THROTTLED',
    attempts: 3,
    extensions: { providerCode: 'Throttling.User', providerHttpStatus: 400 },
  },
  {
    fault: 'Huawei APIGW.0308 (429), then 200',
    provider: 'WORKSPACE',
    faults: [APIGW_0308],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    fault: 'Huawei APIGW.0308 (429) on every attempt',
    provider: 'CFW',
    faults: times(3, APIGW_0308),
    outcome: 'PROVIDER_THROTTLED',
    attempts: 3,
    extensions: { providerCode: 'APIGW.0308' },
  },
  {
    fault: '429 with a Retry-After longer than the retry cap (60 s)',
    provider: 'DLI',
    faults: [hwError(429, 'APIGW.0308', 'The throttling threshold has been reached', { 'retry-after': '60' })],
    outcome: 'PROVIDER_THROTTLED',
    attempts: 1,
    extensions: { retryAfterMs: 60_000 },
  },
  {
    fault: 'connection reset before any response, then 200',
    provider: 'NLB',
    faults: [{ kind: 'reset' }],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    fault: 'connection reset mid-body, then 200',
    provider: 'DLI',
    faults: [{ kind: 'reset-mid-body', partialBody: '{"is_success":true,"status":"RUN' }],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    fault: 'connection reset mid-body on every attempt',
    provider: 'NLB',
    faults: times(3, { kind: 'reset-mid-body', partialBody: '{"RequestId":"R","Sta' }),
    outcome: 'PROVIDER_UNAVAILABLE',
    attempts: 3,
  },
  {
    fault: 'truncated JSON once, then 200',
    provider: 'DLI',
    faults: [{ status: 200, body: '{"is_success":true,"status":"RUNN' }],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    fault: 'truncated JSON twice',
    provider: 'NLB',
    faults: times(2, { status: 200, body: '{"RequestId":"R","Status":"proc' }),
    outcome: 'PROVIDER_BAD_RESPONSE',
    attempts: 2,
  },
  {
    fault: 'an HTML error page (502) on every attempt',
    provider: 'DATAWORKS',
    faults: times(3, html(502)),
    outcome: 'PROVIDER_UNAVAILABLE',
    attempts: 3,
  },
  {
    fault: 'an HTML page with HTTP 200, twice',
    provider: 'CFW',
    faults: times(2, html(200)),
    outcome: 'PROVIDER_BAD_RESPONSE',
    attempts: 2,
  },
  {
    fault: 'a 10 MB body, twice',
    provider: 'DLI',
    faults: times(2, TEN_MB),
    outcome: 'PROVIDER_BAD_RESPONSE',
    attempts: 2,
    message: /exceeds 1048576 bytes/,
  },
  {
    fault: 'DLI status as a number, twice',
    provider: 'DLI',
    faults: times(2, { status: 200, body: { is_success: true, job_id: 'x', status: 2, duration: 'long' } }),
    outcome: 'PROVIDER_BAD_RESPONSE',
    attempts: 2,
  },
  {
    fault: 'NLB Status as an object, twice',
    provider: 'NLB',
    faults: times(2, { status: 200, body: { RequestId: 'R', Status: { value: 'Succeeded' } } }),
    outcome: 'PROVIDER_BAD_RESPONSE',
    attempts: 2,
  },
  {
    fault: 'a hang past the attempt deadline, then 200',
    provider: 'CFW',
    faults: [{ kind: 'hang' }],
    outcome: 'recovered',
    attempts: 2,
  },
  {
    fault: 'a hang on every attempt',
    provider: 'WORKSPACE',
    faults: times(3, { kind: 'hang' }),
    outcome: 'PROVIDER_TIMEOUT',
    attempts: 3,
  },
  {
    fault: 'Huawei APIGW.0303 signature expired',
    provider: 'DLI',
    faults: [
      hwError(
        401,
        'APIGW.0303',
        'Incorrect app authentication information: signature expired, signature time:20260101T000000Z, server time:20260101T002000Z',
      ),
    ],
    outcome: 'PROVIDER_AUTH_FAILED',
    attempts: 1,
    message: /expired/,
  },
  {
    fault: 'Alibaba InvalidTimeStamp.Expired',
    provider: 'NLB',
    faults: [aliError(400, 'InvalidTimeStamp.Expired')],
    outcome: 'PROVIDER_AUTH_FAILED',
    attempts: 1,
  },
  {
    fault: 'Huawei APIGW.0301 invalid AK/SK',
    provider: 'CFW',
    faults: [
      hwError(
        401,
        'APIGW.0301',
        'Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest:GET|/v1/|...',
      ),
    ],
    outcome: 'PROVIDER_AUTH_FAILED',
    attempts: 1,
  },
  {
    fault: 'Alibaba InvalidAccessKeyId.NotFound',
    provider: 'DATAWORKS',
    faults: [aliError(404, 'InvalidAccessKeyId.NotFound')],
    outcome: 'PROVIDER_AUTH_FAILED',
    attempts: 1,
  },
  {
    fault: 'Alibaba Forbidden.RAM',
    provider: 'NLB',
    faults: [aliError(403, 'Forbidden.RAM')],
    outcome: 'PROVIDER_FORBIDDEN',
    attempts: 1,
  },
];

describe('provider faults through Query.job', () => {
  let server: TestServer;
  let n = 0;
  beforeAll(async () => {
    server = await startTestServer({ env: FAST });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    for (const f of Object.values(server.simulator.fakes)) {
      f.clearFaults();
      f.resetRequests();
      f.latencyMs = 0;
    }
  });

  /** The next query for a fresh job of `provider` succeeds with exactly one request, and the process is live. */
  async function expectHealthy(provider: ProviderName): Promise<void> {
    const fake = server.simulator.fakes[provider];
    const before = fake.requests.length;
    const res = await queryJob(server, provider, `healthy-${++n}`);
    expect(res.errors).toBeUndefined();
    expect(res.data?.job?.provider).toBe(provider);
    expect(fake.requests.length - before).toBe(1);
    expect((await fetch(server.url.replace('/graphql', '/healthz'))).status).toBe(200);
  }

  it.each(ROWS)('$fault from $provider → $outcome after $attempts attempt(s)', async (row) => {
    const fake = server.simulator.fakes[row.provider];
    fake.enqueueFaults(...row.faults);
    const jobId = `fault-${++n}`;
    const res = await queryJob(server, row.provider, jobId);

    expect(fake.requests).toHaveLength(row.attempts);
    if (row.outcome === 'recovered') {
      expect(res.errors).toBeUndefined();
      expect(res.data?.job).toMatchObject({ provider: row.provider, jobId });
      expect(res.data?.job?.state).not.toBe('UNKNOWN');
    } else {
      expect(res.data?.job ?? null).toBeNull();
      expect(res.errors).toHaveLength(1);
      const error = res.errors![0]!;
      expect(error.extensions).toMatchObject({ code: row.outcome, provider: row.provider, ...row.extensions });
      if (row.message) expect(error.message).toMatch(row.message);
      // Whatever the body said, none of it (HTML, echoed canonical requests, padding) reaches the client.
      expect(error.message).not.toMatch(/<html|canonicalRequest|xxxxxxxx/i);
    }
    fake.clearFaults();
    await expectHealthy(row.provider);
  });

  it('waits the Retry-After a Huawei 429 asks for (1 s) before the second attempt, then recovers', async () => {
    const fake = server.simulator.fakes.CFW;
    fake.enqueueFaults(hwError(429, 'APIGW.0308', 'The throttling threshold has been reached', { 'retry-after': '1' }));
    const res = await queryJob(server, 'CFW', `retry-after-${++n}`);
    expect(res.errors).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.receivedAt - fake.requests[0]!.receivedAt).toBeGreaterThanOrEqual(990);
    await expectHealthy('CFW');
  });

  it('waits the x-acs-retry-after an Alibaba throttling answer asks for (ms), then recovers', async () => {
    const fake = server.simulator.fakes.DATAWORKS;
    fake.enqueueFaults(aliError(400, 'Throttling.Api', { 'x-acs-retry-after': '250' }));
    const res = await queryJob(server, 'DATAWORKS', `acs-retry-after-${++n}`);
    expect(res.errors).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.receivedAt - fake.requests[0]!.receivedAt).toBeGreaterThanOrEqual(245);
    await expectHealthy('DATAWORKS');
  });

  it('signs every Alibaba attempt afresh: a new x-acs-signature-nonce and signature each time, all accepted', async () => {
    const fake = server.simulator.fakes.NLB;
    fake.enqueueFaults(aliError(503, 'ServiceUnavailable'), aliError(503, 'ServiceUnavailable'));
    const res = await queryJob(server, 'NLB', `nonce-${++n}`);
    expect(res.errors).toBeUndefined();
    expect(fake.requests).toHaveLength(3);
    const nonces = fake.requests.map((r) => r.headers['x-acs-signature-nonce']);
    const signatures = fake.requests.map((r) => r.headers.authorization);
    expect(new Set(nonces).size).toBe(3);
    expect(new Set(signatures).size).toBe(3);
    for (const r of fake.requests) expect(r.headers['x-acs-date']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('re-sends a failed Huawei call as a complete signed request (X-Sdk-Date, Authorization) that the gateway verifies and accepts', async () => {
    const fake = server.simulator.fakes.DLI;
    fake.enqueueFaults(DLI_500);
    const res = await queryJob(server, 'DLI', `resign-${++n}`);
    expect(res.errors).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    for (const r of fake.requests) {
      expect(r.headers['x-sdk-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(r.headers.authorization).toMatch(/^SDK-HMAC-SHA256 Access=/);
    }
  });

  it('reports an unknown status string as state UNKNOWN with the raw status, in one attempt', async () => {
    server.simulator.jobs.pin('DLI', 'odd-dli', 'TELEPORTING');
    server.simulator.jobs.pin('NLB', 'odd-nlb', 'Hibernating');
    const dli = await queryJob(server, 'DLI', 'odd-dli');
    const nlb = await queryJob(server, 'NLB', 'odd-nlb');
    expect(dli.errors).toBeUndefined();
    expect(dli.data?.job).toMatchObject({ state: 'UNKNOWN', rawStatus: 'TELEPORTING', terminal: false });
    expect(nlb.data?.job).toMatchObject({ state: 'UNKNOWN', rawStatus: 'Hibernating', terminal: false });
    expect(server.simulator.fakes.DLI.requests).toHaveLength(1);
    expect(server.simulator.fakes.NLB.requests).toHaveLength(1);
    server.simulator.jobs.unpin('DLI', 'odd-dli');
    server.simulator.jobs.unpin('NLB', 'odd-nlb');
    await expectHealthy('DLI');
  });
});

describe('one deadline per call across attempts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      env: { ...FAST, JOBS_PROVIDER_DEADLINE_MS: '300', JOBS_CALL_DEADLINE_MS: '450' },
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('ends a call whose provider hangs at the call deadline with PROVIDER_TIMEOUT, then serves the next query', async () => {
    const fake = server.simulator.fakes.CFW;
    fake.enqueueFaults(...times(3, { kind: 'hang' }));
    const started = performance.now();
    const res = await queryJob(server, 'CFW', 'hang-deadline');
    const elapsed = performance.now() - started;
    expect(res.errors?.[0]).toMatchObject({
      message: 'CFW call did not finish within its 450 ms deadline (2 attempts)',
      extensions: { code: 'PROVIDER_TIMEOUT', provider: 'CFW' },
    });
    // The first attempt used up its own 300 ms; the second was cut off by the call's 450 ms.
    expect(fake.requests).toHaveLength(2);
    expect(elapsed).toBeLessThan(1_500);
    fake.clearFaults();
    const next = await queryJob(server, 'CFW', 'after-hang');
    expect(next.errors).toBeUndefined();
  });
});

/** A server with other credentials, a skewed signing clock or live mode, against a simulator started here. */
async function startCustom(env: Record<string, string>, options: { skewMs?: number; live?: boolean } = {}) {
  const simulator = await startSimulator();
  const liveEnv: Record<string, string> = options.live
    ? {
        JOBS_MODE: 'live',
        ...Object.fromEntries(Object.entries(simulator.endpoints).map(([p, url]) => [`JOBS_ENDPOINT_${p}`, url])),
        ALIBABA_CLOUD_REGION_ID: 'cn-hangzhou',
        HUAWEICLOUD_SDK_REGION: 'cn-north-4',
        HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_HUAWEI_PROJECT_ID,
      }
    : {};
  const config = resolveConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...FAST, ...liveEnv, ...env });
  const skew = options.skewMs ?? 0;
  const server: RunningServer = await createServer(config, {
    logger: createLogger('silent'),
    ...(options.live ? {} : { simulator }),
    ...(skew ? { now: () => new Date(Date.now() + skew) } : {}),
  });
  return {
    url: server.url,
    simulator,
    stop: async () => {
      await server.stop();
      await simulator.stop();
    },
  };
}

describe('authentication failures are never retried', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  it('a signing clock 20 minutes slow: Huawei APIGW.0303 and Alibaba InvalidTimeStamp.Expired, one request each', async () => {
    const s = await startCustom({}, { skewMs: -20 * 60_000 });
    stops.push(s.stop);
    const dli = await queryJob(s, 'DLI', 'skewed-dli');
    const nlb = await queryJob(s, 'NLB', 'skewed-nlb');
    expect(dli.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_AUTH_FAILED', providerCode: 'APIGW.0303' });
    expect(dli.errors?.[0]?.message).toMatch(/clock/);
    expect(nlb.errors?.[0]?.extensions).toMatchObject({
      code: 'PROVIDER_AUTH_FAILED',
      providerCode: 'InvalidTimeStamp.Expired',
    });
    expect(s.simulator.fakes.DLI.requests).toHaveLength(1);
    expect(s.simulator.fakes.NLB.requests).toHaveLength(1);
  });

  it('an invalid AK: exactly one request per query, however often it is asked (Huawei would lock the AK after 5)', async () => {
    const s = await startCustom(
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'FAKEWRONGWRONGWRONG',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret-0001',
        HUAWEICLOUD_SDK_AK: 'WRONGHUAWEIAK0000000',
        HUAWEICLOUD_SDK_SK: 'not-the-secret-0002',
      },
      { live: true },
    );
    stops.push(s.stop);
    for (let i = 1; i <= 3; i++) {
      const cfw = await queryJob(s, 'CFW', `bad-ak-${i}`);
      const nlb = await queryJob(s, 'NLB', `bad-ak-${i}`);
      expect(cfw.errors?.[0]?.extensions).toMatchObject({
        code: 'PROVIDER_AUTH_FAILED',
        providerCode: 'APIGW.0301',
        provider: 'CFW',
      });
      expect(nlb.errors?.[0]?.extensions).toMatchObject({
        code: 'PROVIDER_AUTH_FAILED',
        providerCode: 'InvalidAccessKeyId.NotFound',
        provider: 'NLB',
      });
      for (const e of [...(cfw.errors ?? []), ...(nlb.errors ?? [])])
        expect(e.message).not.toMatch(/not-the-secret|canonicalRequest/);
      expect(s.simulator.fakes.CFW.requests).toHaveLength(i);
      expect(s.simulator.fakes.NLB.requests).toHaveLength(i);
    }
  });
});

describe('circuit breaker per provider and region', () => {
  let server: TestServer;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    );
    server = await startTestServer({
      env: { ...FAST, JOBS_BREAKER_THRESHOLD: '3', JOBS_BREAKER_COOLDOWN_MS: '300', JOBS_RETRY_MAX_ATTEMPTS: '3' },
      logger,
    });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    logs.length = 0;
    for (const f of Object.values(server.simulator.fakes)) {
      f.clearFaults();
      f.resetRequests();
      f.latencyMs = 0;
    }
  });
  const breakerLog = () =>
    logs.filter((l) => l.msg === 'provider circuit breaker').map((l) => `${l.provider}/${l.region}:${l.state}`);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('opens after 3 failed attempts: the provider gets no more requests and the error says the breaker is open; other providers carry on', async () => {
    const cfw = server.simulator.fakes.CFW;
    cfw.enqueueFaults(...times(20, hwError(503, 'APIGW.0801', 'Service unavailable')));
    const first = await queryJob(server, 'CFW', 'breaker-1');
    expect(first.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(cfw.requests).toHaveLength(3);

    const second = await queryJob(server, 'CFW', 'breaker-2');
    expect(cfw.requests).toHaveLength(3);
    expect(second.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^CFW circuit breaker is open for region cn-north-4 after 3 consecutive failures/),
      extensions: { code: 'PROVIDER_UNAVAILABLE', provider: 'CFW', retryAfterMs: expect.any(Number) },
    });
    expect(breakerLog()).toEqual(['CFW/cn-north-4:open']);

    const dli = await queryJob(server, 'DLI', 'breaker-neighbour');
    expect(dli.errors).toBeUndefined();

    // Close it again for the next test.
    cfw.clearFaults();
    await sleep(400);
    expect((await queryJob(server, 'CFW', 'breaker-reset')).errors).toBeUndefined();
  });

  it('after the cool-down lets one probe through and closes on its success', async () => {
    const cfw = server.simulator.fakes.CFW;
    cfw.enqueueFaults(...times(3, hwError(502, 'APIGW.0705', 'Backend unavailable')));
    await queryJob(server, 'CFW', 'cool-1');
    expect(codeOf(await queryJob(server, 'CFW', 'cool-2'))).toBe('PROVIDER_UNAVAILABLE');
    expect(cfw.requests).toHaveLength(3);

    await sleep(400);
    const probe = await queryJob(server, 'CFW', 'cool-3');
    expect(probe.errors).toBeUndefined();
    expect(cfw.requests).toHaveLength(4);
    const after = await queryJob(server, 'CFW', 'cool-4');
    expect(after.errors).toBeUndefined();
    expect(cfw.requests).toHaveLength(5);
    expect(breakerLog()).toEqual(['CFW/cn-north-4:open', 'CFW/cn-north-4:half-open', 'CFW/cn-north-4:closed']);
  });

  it('re-opens when the probe fails, and still closes once the provider is back', async () => {
    const nlb = server.simulator.fakes.NLB;
    nlb.enqueueFaults(...times(4, aliError(503, 'ServiceUnavailable')));
    await queryJob(server, 'NLB', 'reopen-1');
    expect(nlb.requests).toHaveLength(3);
    await sleep(400);
    const probe = await queryJob(server, 'NLB', 'reopen-2');
    expect(probe.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(nlb.requests).toHaveLength(4);
    expect(codeOf(await queryJob(server, 'NLB', 'reopen-3'))).toBe('PROVIDER_UNAVAILABLE');
    expect(nlb.requests).toHaveLength(4);
    await sleep(400);
    expect((await queryJob(server, 'NLB', 'reopen-4')).errors).toBeUndefined();
    expect(breakerLog()).toEqual([
      'NLB/cn-hangzhou:open',
      'NLB/cn-hangzhou:half-open',
      'NLB/cn-hangzhou:open',
      'NLB/cn-hangzhou:half-open',
      'NLB/cn-hangzhou:closed',
    ]);
  });

  it('a probe whose client went away does not close the breaker: of 5 concurrent queries only one reaches the still-failing provider', async () => {
    const dataworks = server.simulator.fakes.DATAWORKS;
    dataworks.enqueueFaults(...times(3, aliError(503, 'ServiceUnavailable')));
    expect(codeOf(await queryJob(server, 'DATAWORKS', 'gone-1'))).toBe('PROVIDER_UNAVAILABLE');
    expect(dataworks.requests).toHaveLength(3);
    await sleep(400);

    // The probe reaches the provider, which does not answer; then its client hangs up.
    dataworks.enqueueFaults({ kind: 'hang' });
    const client = new AbortController();
    const abandoned = fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: JOB, variables: { ref: { provider: 'DATAWORKS', jobId: 'gone-probe' } } }),
      signal: client.signal,
    }).catch(() => undefined);
    await waitUntil(() => dataworks.requests.length === 4);
    client.abort();
    await abandoned;
    await waitUntil(() => logs.some((l) => l.msg === 'provider call failed' && l.jobId === 'gone-probe'));
    expect(logs.find((l) => l.msg === 'provider call failed' && l.jobId === 'gone-probe')).toMatchObject({
      outcome: 'PROVIDER_TIMEOUT',
    });

    dataworks.enqueueFaults(...times(20, aliError(503, 'ServiceUnavailable')));
    // Slow answers, so that all five are under way before the first failure comes back.
    dataworks.latencyMs = 100;
    const after = await Promise.all(
      Array.from({ length: 5 }, (_, i) => queryJob(server, 'DATAWORKS', `gone-${i + 2}`)),
    );
    expect(dataworks.requests.length - 4).toBe(1);
    expect(after.map(codeOf)).toEqual(Array(5).fill('PROVIDER_UNAVAILABLE'));
    expect(breakerLog()).not.toContain('DATAWORKS/cn-hangzhou:closed');

    // A real answer from the provider still closes it.
    dataworks.clearFaults();
    dataworks.latencyMs = 0;
    await sleep(400);
    expect((await queryJob(server, 'DATAWORKS', 'gone-back')).errors).toBeUndefined();
    expect(breakerLog().at(-1)).toBe('DATAWORKS/cn-hangzhou:closed');
  });

  it('does not open for answers that prove the provider is up (not found, auth failure)', async () => {
    for (let i = 0; i < 4; i++) expect(codeOf(await queryJob(server, 'DLI', `notfound-${i}`))).toBe('JOB_NOT_FOUND');
    server.simulator.fakes.DLI.enqueueFaults(
      ...times(4, hwError(401, 'APIGW.0301', 'Incorrect IAM authentication information')),
    );
    for (let i = 0; i < 4; i++) expect(codeOf(await queryJob(server, 'DLI', `auth-${i}`))).toBe('PROVIDER_AUTH_FAILED');
    expect((await queryJob(server, 'DLI', 'still-closed')).errors).toBeUndefined();
    expect(server.simulator.fakes.DLI.requests).toHaveLength(9);
    expect(breakerLog()).toEqual([]);
  });
});

describe('faults under a live subscription', () => {
  const WATCH = /* GraphQL */ `
    subscription ($refs: [JobRef!]!) {
      jobStatusChanged(refs: $refs) {
        previousRawStatus
        rawStatus
        state
        job {
          __typename
          ... on CloudJob {
            jobId
          }
        }
      }
    }
  `;
  let server: TestServer;
  let clock: ManualClock;
  let client: ReturnType<typeof connect>;
  beforeAll(async () => {
    clock = new ManualClock();
    server = await startTestServer({ env: FAST, clock });
    client = connect(server.wsUrl);
  });
  afterAll(async () => {
    await client.dispose();
    await server.stop();
  });

  const transitions = (sub: Subscription) =>
    sub.results
      .map((r) => r.data?.jobStatusChanged as { previousRawStatus: string | null; rawStatus: string } | undefined)
      .map((c) => `${c?.previousRawStatus ?? '∅'}→${c?.rawStatus}`);
  /** Moves the shared manual clock, letting provider calls (and their real-time retries) finish between steps. */
  const run = async (ms: number, step = 1_000) => {
    for (let t = 0; t < ms; t += step) {
      await clock.advance(step, () => server.settled());
      await new Promise((r) => setTimeout(r, 1));
    }
  };

  const SUBSET: [string, FakeFault[]][] = [
    ['HTTP 500 on every attempt', times(3, DLI_500)],
    ['429 APIGW.0308 on every attempt', times(3, APIGW_0308)],
    ['truncated JSON', times(2, { status: 200, body: '{"is_success":true,"status":"FINI' })],
    ['an HTML page with HTTP 200', times(2, html(200))],
    ['DLI status as a number', times(2, { status: 200, body: { is_success: true, status: 3 } })],
    ['a 10 MB body', times(2, TEN_MB)],
    [
      'a connection reset mid-body',
      times(3, { kind: 'reset-mid-body', partialBody: '{"is_success":true,"status":"FAIL' }),
    ],
    ['a hang on every attempt', times(3, { kind: 'hang' })],
  ];

  it.each(SUBSET)('%s: no event reaches the subscriber, and the real transition still does', async (_name, faults) => {
    const jobId = `live-${Math.random().toString(36).slice(2, 10)}`;
    const dli = server.simulator.fakes.DLI;
    server.simulator.jobs.pin('DLI', jobId, 'RUNNING');
    const sub = subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId }] });
    // Wait (in real time) for the subscription to reach the engine, then let the first poll run.
    await waitUntil(async () => (await server.pollersActive()) > 0, 2500);
    await run(1_000);
    await sub.next();
    expect(transitions(sub)).toEqual(['∅→RUNNING']);

    const before = dli.requests.length;
    dli.enqueueFaults(...faults);
    await run(10_000);
    expect(dli.requests.length - before).toBeGreaterThanOrEqual(faults.length);
    expect(transitions(sub)).toEqual(['∅→RUNNING']);
    expect(sub.results.every((r) => !r.errors)).toBe(true);

    dli.clearFaults();
    server.simulator.jobs.pin('DLI', jobId, 'FINISHED');
    await run(40_000);
    await sub.completed;
    expect(transitions(sub)).toEqual(['∅→RUNNING', 'RUNNING→FINISHED']);
    server.simulator.jobs.unpin('DLI', jobId);
  });
});
