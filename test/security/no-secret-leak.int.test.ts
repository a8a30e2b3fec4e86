/**
 * No secret, signature or token in logs or errors. The real server runs in LIVE mode against the
 * fake providers with distinctive credentials, logging at `trace` into memory, and is driven
 * through successes, live subscriptions, wrong secrets (signature mismatch), a wrong IAM token, a
 * skewed clock, throttling, 5xx, hangs, resets, bad bodies, a gateway that echoes the signed
 * request back in its error (as the real gateways echo their string to sign), and router-secret
 * rejections over HTTP and graphql-ws. Every log line, every HTTP answer (headers and body), every
 * graphql-ws message and close reason, and everything written to the console is then searched for
 * each secret (plain and base64), each signature the fakes actually received, and each
 * Authorization / token header value that was sent.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createServer, type RunningServer } from '../../src/server.js';
import { createCfwFake } from '../../src/simulator/cfw.js';
import { createDataWorksFake } from '../../src/simulator/dataworks.js';
import { createDliFake } from '../../src/simulator/dli.js';
import { FakeProviderServer, type FakeFault } from '../../src/simulator/fake-server.js';
import { SimulatedJobs } from '../../src/simulator/jobs.js';
import { createNlbFake } from '../../src/simulator/nlb.js';
import { createWorkspaceFake } from '../../src/simulator/workspace.js';
import type { ProviderName } from '../../src/providers/types.js';
import { connect, subscribe } from '../helpers/ws-client.js';

/** A value that cannot occur by accident: a label and 16 random hex characters. */
const distinctive = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;

const SECRET = {
  alibabaSecret: distinctive('aliSecret'),
  alibabaStsToken: distinctive('aliStsToken'),
  huaweiSk: distinctive('hwSk'),
  huaweiSecurityToken: distinctive('hwSecToken'),
  huaweiIamToken: distinctive('hwIamToken'),
  routerSecret: distinctive('routerSecret'),
  wrongAlibabaSecret: distinctive('wrongAliSecret'),
  wrongHuaweiSk: distinctive('wrongHwSk'),
  wrongIamToken: distinctive('wrongIamToken'),
};
const ALIBABA_AK = 'FAKE5tLEAKTESTACCESSKEY';
const HUAWEI_AK = 'HWLEAKTESTAK0000000001';
const PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const PROVIDERS: ProviderName[] = ['DATAWORKS', 'NLB', 'CFW', 'DLI', 'WORKSPACE'];

/** Small retries and deadlines so faults take milliseconds; quick polling so subscriptions finish. */
const FAST = {
  JOBS_RETRY_MAX_ATTEMPTS: '2',
  JOBS_RETRY_BASE_MS: '5',
  JOBS_RETRY_MAX_DELAY_MS: '50',
  JOBS_PROVIDER_DEADLINE_MS: '300',
  JOBS_CALL_DEADLINE_MS: '1500',
  JOBS_BREAKER_THRESHOLD: '1000',
  JOBS_POLL_MIN_INTERVAL_MS: '50',
  JOBS_POLL_MAX_INTERVAL_MS: '100',
};

/** Everything the outside world could see. */
const seen: string[] = [];
const logLines: string[] = [];

type Fakes = Record<ProviderName, FakeProviderServer>;

async function startFakes(jobs: SimulatedJobs): Promise<Fakes> {
  const alibaba = {
    jobs,
    credentials: {
      accessKeyId: ALIBABA_AK,
      accessKeySecret: SECRET.alibabaSecret,
      securityToken: SECRET.alibabaStsToken,
    },
  };
  const huawei = { jobs, auth: { ak: HUAWEI_AK, sk: SECRET.huaweiSk }, token: SECRET.huaweiIamToken };
  const fakes: Fakes = {
    DATAWORKS: createDataWorksFake(alibaba),
    NLB: createNlbFake(alibaba),
    CFW: createCfwFake(huawei),
    DLI: createDliFake(huawei),
    WORKSPACE: createWorkspaceFake(huawei),
  };
  await Promise.all(Object.values(fakes).map((f) => f.start()));
  return fakes;
}

/**
 * A gateway that rejects every request and quotes it back, headers and all, in its error: the
 * real Alibaba and Huawei gateways quote their string to sign / canonical request there.
 */
function echoingGateway(): FakeProviderServer {
  return new FakeProviderServer('ECHO', (req) => {
    const quoted = `${req.method}|${req.path}|${req.rawQuery}|${JSON.stringify(req.headers)}`;
    return req.path === '/'
      ? {
          status: 400,
          headers: { 'x-acs-request-id': 'ECHO-1' },
          body: {
            RequestId: 'ECHO-1',
            Code: 'SignatureDoesNotMatch',
            Message: `Specified signature does not match our calculation. The server string to sign is: ${quoted}`,
          },
        }
      : {
          status: 401,
          body: {
            error_code: 'APIGW.0301',
            error_msg: `Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest:${quoted}`,
            request_id: 'echo',
          },
        };
  });
}

interface Live {
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/** The real server in LIVE mode against `endpoints`, logging at trace into `logLines`. */
async function startLive(
  endpoints: Record<ProviderName, { url: string }>,
  credentials: Record<string, string>,
  options: { skewMs?: number } = {},
): Promise<Live> {
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    JOBS_MODE: 'live',
    LOG_LEVEL: 'trace',
    ROUTER_SECRET: SECRET.routerSecret,
    ALIBABA_CLOUD_REGION_ID: 'cn-hangzhou',
    HUAWEICLOUD_SDK_REGION: 'cn-north-4',
    HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
    ...FAST,
    ...Object.fromEntries(PROVIDERS.map((p) => [`JOBS_ENDPOINT_${p}`, endpoints[p].url])),
    ...credentials,
  };
  const logger = createLogger('trace', { write: (line: string) => void logLines.push(line) });
  const skew = options.skewMs ?? 0;
  const server: RunningServer = await createServer(resolveConfig(env), {
    logger,
    ...(skew ? { now: () => new Date(Date.now() + skew) } : {}),
  });
  return { url: server.url, wsUrl: server.wsUrl, stop: () => server.stop() };
}

const RIGHT_CREDENTIALS = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: ALIBABA_AK,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET.alibabaSecret,
  ALIBABA_CLOUD_SECURITY_TOKEN: SECRET.alibabaStsToken,
  HUAWEICLOUD_SDK_AK: HUAWEI_AK,
  HUAWEICLOUD_SDK_SK: SECRET.huaweiSk,
  HUAWEICLOUD_SDK_SECURITY_TOKEN: SECRET.huaweiSecurityToken,
};

const JOB =
  'query($ref: JobRef!) { job(ref: $ref) { __typename ... on CloudJob { id state rawStatus providerRequestId } } }';

/** POST a query; records the whole answer (status, headers, body) and returns the parsed body. */
async function query(
  server: Live,
  body: unknown,
  headers: Record<string, string> = { 'x-router-secret': SECRET.routerSecret },
) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  seen.push(`HTTP ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return {
    status: res.status,
    ...(JSON.parse(text) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] }),
  };
}

const job = (server: Live, provider: ProviderName, jobId: string) =>
  query(server, { query: JOB, variables: { ref: { provider, jobId } } });
const codesOf = (res: { errors?: { extensions?: { code?: string } }[] }) =>
  (res.errors ?? []).map((e) => e.extensions?.code);
const times = (n: number, f: FakeFault): FakeFault[] => Array.from({ length: n }, () => f);

/** Every graphql-ws result, error and close the client saw. */
async function watch(
  wsUrl: string,
  connectionParams: Record<string, unknown> | undefined,
  refs: { provider: ProviderName; jobId: string }[],
) {
  const client = connect(wsUrl, connectionParams ? { connectionParams } : {});
  const sub = subscribe(
    client,
    'subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { sequence state rawStatus terminal job { ... on CloudJob { id providerRequestId } } } }',
    { refs },
  );
  const outcome = await Promise.race([
    sub.completed.then(
      () => 'complete',
      (err: unknown) =>
        `error ${err instanceof Error ? err.message : JSON.stringify(err)} ${JSON.stringify((err as { reason?: unknown })?.reason ?? null)}`,
    ),
    new Promise<string>((r) => setTimeout(() => r('still open'), 8_000)),
  ]);
  seen.push(`WS ${outcome} ${JSON.stringify(sub.results)} close=${client.closeCodes.join(',')}`);
  await client.dispose();
  return { outcome, results: sub.results, closeCodes: client.closeCodes };
}

describe('no secret, signature or token leaves the process', () => {
  const stops: (() => Promise<void>)[] = [];
  const consoleLines: string[] = [];
  const allFakes: FakeProviderServer[] = [];
  let fakes: Fakes;
  let right: Live;

  beforeAll(async () => {
    // Anything a library prints to the console counts as output too.
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation(
        (...args: unknown[]) =>
          void consoleLines.push(
            args
              .map((a) =>
                a instanceof Error ? `${a.stack} ${JSON.stringify(a)}` : typeof a === 'string' ? a : JSON.stringify(a),
              )
              .join(' '),
          ),
      );
    }
    fakes = await startFakes(new SimulatedJobs({ stepMs: 100 }));
    allFakes.push(...Object.values(fakes));
    stops.push(() => Promise.all(Object.values(fakes).map((f) => f.stop())).then(() => undefined));
    right = await startLive(fakes, RIGHT_CREDENTIALS);
    stops.push(right.stop);
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    vi.restoreAllMocks();
  });

  it('serves every provider with the right credentials (signed with the secret, carrying the STS tokens)', async () => {
    for (const p of PROVIDERS) {
      const res = await job(right, p, `leak-ok-${p.toLowerCase()}`);
      expect(res.errors, p).toBeUndefined();
      expect(res.data?.job).toMatchObject({ id: expect.stringContaining(p) });
    }
    const many = await query(right, {
      query: `{ jobs(refs: [${PROVIDERS.map((p) => `{provider: ${p}, jobId: "leak-many-1"}, {provider: ${p}, jobId: "leak-notfound"}`).join(', ')}]) { __typename } }`,
    });
    expect(codesOf(many)).toEqual(Array(5).fill('JOB_NOT_FOUND'));
    expect(fakes.NLB.requests.at(-1)?.headers['x-acs-security-token']).toBe(SECRET.alibabaStsToken);
    expect(fakes.DLI.requests.at(-1)?.headers['x-security-token']).toBe(SECRET.huaweiSecurityToken);
  });

  it('delivers a live subscription to its terminal events over graphql-ws with the router secret', async () => {
    const refs = PROVIDERS.map((provider) => ({ provider, jobId: 'leak-watch-1' }));
    const watched = await watch(right.wsUrl, { routerSecret: SECRET.routerSecret }, refs);
    expect(watched.outcome).toBe('complete');
    expect(watched.results.length).toBeGreaterThan(refs.length);
  });

  it('answers provider faults with coded errors: throttling, 5xx, hangs, resets, bad bodies', async () => {
    fakes.NLB.enqueueFaults(
      ...times(2, {
        status: 400,
        body: { RequestId: 'R1', Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
      }),
    );
    fakes.DLI.enqueueFaults(
      ...times(2, {
        status: 429,
        body: { error_code: 'APIGW.0308', error_msg: 'The throttling threshold has been reached' },
      }),
    );
    fakes.DATAWORKS.enqueueFaults(
      ...times(2, {
        status: 503,
        body: {
          RequestId: 'R2',
          Code: 'ServiceUnavailable',
          Message: 'The request has failed due to a temporary failure of the server.',
        },
      }),
    );
    fakes.CFW.enqueueFaults(...times(2, { kind: 'hang' }));
    fakes.WORKSPACE.enqueueFaults(...times(2, { kind: 'reset-mid-body', partialBody: '{"job_id":"x","sta' }));
    const codes = await Promise.all(
      PROVIDERS.map(async (p) => [p, codesOf(await job(right, p, `leak-fault-${p.toLowerCase()}`))]),
    );
    expect(Object.fromEntries(codes)).toEqual({
      DATAWORKS: ['PROVIDER_UNAVAILABLE'],
      NLB: ['PROVIDER_THROTTLED'],
      CFW: ['PROVIDER_TIMEOUT'],
      DLI: ['PROVIDER_THROTTLED'],
      WORKSPACE: ['PROVIDER_UNAVAILABLE'],
    });
    fakes.DLI.enqueueFaults(
      ...times(2, {
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<html><body>502 Bad Gateway</body></html>',
      }),
    );
    fakes.NLB.enqueueFaults(...times(2, { status: 200, body: '{"RequestId":"R3","Status":"proc' }));
    fakes.CFW.enqueueFaults(
      ...times(2, { status: 200, body: { data: { status: { nested: true }, begin_time: 'yesterday' } } }),
    );
    expect(codesOf(await job(right, 'DLI', 'leak-html'))).toEqual(['PROVIDER_BAD_RESPONSE']);
    expect(codesOf(await job(right, 'NLB', 'leak-truncated'))).toEqual(['PROVIDER_BAD_RESPONSE']);
    expect(codesOf(await job(right, 'CFW', 'leak-wrong-types'))).toEqual(['PROVIDER_BAD_RESPONSE']);
  });

  it('refuses requests without the router secret over HTTP (401, 403) and graphql-ws (4403)', async () => {
    const ref = { provider: 'NLB', jobId: 'leak-router' };
    expect((await query(right, { query: JOB, variables: { ref } }, {})).status).toBe(401);
    expect(
      (
        await query(
          right,
          { query: JOB, variables: { ref } },
          { 'x-router-secret': `${SECRET.routerSecret.slice(0, -1)}x` },
        )
      ).status,
    ).toBe(403);
    const anonymous = await watch(right.wsUrl, undefined, [{ provider: 'NLB', jobId: 'leak-router' }]);
    expect(anonymous.closeCodes).toContain(4403);
    const wrong = await watch(right.wsUrl, { routerSecret: 'not-the-router-secret' }, [
      { provider: 'NLB', jobId: 'leak-router' },
    ]);
    expect(wrong.closeCodes).toContain(4403);
  });

  it('reports wrong secrets, a wrong IAM token and a skewed clock as PROVIDER_AUTH_FAILED', async () => {
    const wrongSecrets = await startLive(fakes, {
      ...RIGHT_CREDENTIALS,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET.wrongAlibabaSecret,
      HUAWEICLOUD_SDK_SK: SECRET.wrongHuaweiSk,
    });
    stops.push(wrongSecrets.stop);
    for (const p of PROVIDERS)
      expect(codesOf(await job(wrongSecrets, p, `leak-wrong-${p.toLowerCase()}`)), p).toEqual(['PROVIDER_AUTH_FAILED']);
    const watched = await watch(wrongSecrets.wsUrl, { routerSecret: SECRET.routerSecret }, [
      { provider: 'DLI', jobId: 'leak-wrong-watch' },
    ]);
    expect(JSON.stringify(watched.results)).toContain('PROVIDER_AUTH_FAILED');

    const rightToken = await startLive(fakes, { HUAWEICLOUD_AUTH_TOKEN: SECRET.huaweiIamToken });
    stops.push(rightToken.stop);
    expect((await job(rightToken, 'DLI', 'leak-token-ok')).errors).toBeUndefined();
    expect(fakes.DLI.requests.at(-1)?.headers['x-auth-token']).toBe(SECRET.huaweiIamToken);
    const wrongToken = await startLive(fakes, { HUAWEICLOUD_AUTH_TOKEN: SECRET.wrongIamToken });
    stops.push(wrongToken.stop);
    expect(codesOf(await job(wrongToken, 'CFW', 'leak-token-wrong'))).toEqual(['PROVIDER_AUTH_FAILED']);

    const skewed = await startLive(fakes, RIGHT_CREDENTIALS, { skewMs: -20 * 60_000 });
    stops.push(skewed.stop);
    expect(codesOf(await job(skewed, 'NLB', 'leak-skew'))).toEqual(['PROVIDER_AUTH_FAILED']);
    expect(codesOf(await job(skewed, 'WORKSPACE', 'leak-skew'))).toEqual(['PROVIDER_AUTH_FAILED']);
  });

  it('does not pass on a gateway error that quotes the signed request back', async () => {
    const echo = echoingGateway();
    await echo.start();
    allFakes.push(echo);
    stops.push(() => echo.stop());
    const server = await startLive(
      Object.fromEntries(PROVIDERS.map((p) => [p, echo])) as Record<ProviderName, FakeProviderServer>,
      RIGHT_CREDENTIALS,
    );
    stops.push(server.stop);
    for (const p of PROVIDERS)
      expect(codesOf(await job(server, p, `leak-echo-${p.toLowerCase()}`)), p).toEqual(['PROVIDER_AUTH_FAILED']);
    const watched = await watch(server.wsUrl, { routerSecret: SECRET.routerSecret }, [
      { provider: 'CFW', jobId: 'leak-echo-watch' },
    ]);
    expect(JSON.stringify(watched.results)).toContain('PROVIDER_AUTH_FAILED');
    expect(echo.requests.length).toBeGreaterThanOrEqual(PROVIDERS.length);
  });

  it('leaves no secret, signature, Authorization value or token in any log line, answer, graphql-ws message or console output', () => {
    // What was actually sent: every Authorization header, its signature, and the token headers.
    const sent = allFakes.flatMap((f) => f.requests);
    const authorizations = [
      ...new Set(sent.map((r) => r.headers.authorization).filter((v): v is string => typeof v === 'string')),
    ];
    const signatures = [
      ...new Set(
        authorizations.map((a) => /Signature=([0-9A-Za-z+/=]+)/.exec(a)?.[1]).filter((s): s is string => Boolean(s)),
      ),
    ];
    const tokenHeaders = [
      ...new Set(
        sent
          .flatMap((r) => [r.headers['x-auth-token'], r.headers['x-security-token'], r.headers['x-acs-security-token']])
          .filter((v): v is string => typeof v === 'string'),
      ),
    ];
    // Sanity: the scenarios above really sent signed requests and tokens (otherwise this proves nothing).
    expect(signatures.length).toBeGreaterThan(30);
    expect(signatures.every((s) => /^[0-9a-f]{64}$/.test(s))).toBe(true);
    expect(tokenHeaders).toEqual(
      expect.arrayContaining([
        SECRET.alibabaStsToken,
        SECRET.huaweiSecurityToken,
        SECRET.huaweiIamToken,
        SECRET.wrongIamToken,
      ]),
    );

    const needles = new Map<string, string>();
    for (const [name, value] of Object.entries(SECRET)) {
      needles.set(value, `secret ${name}`);
      needles.set(value.slice(value.lastIndexOf('-') + 1), `secret ${name} (its random part)`);
      needles.set(Buffer.from(value).toString('base64'), `secret ${name} (base64)`);
    }
    for (const s of signatures) {
      needles.set(s, 'a signature sent to a provider');
      needles.set(s.slice(0, 16), 'the first 16 characters of a signature');
    }
    for (const a of authorizations) needles.set(a, 'an Authorization header value');
    for (const t of tokenHeaders) needles.set(t, 'a token header value');

    // The logs are real: trace/debug lines of provider calls and GraphQL operations, and warnings for failures.
    const logs = logLines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(logs.some((l) => l.msg === 'provider call')).toBe(true);
    expect(logs.some((l) => l.msg === 'provider call failed')).toBe(true);
    expect(logs.some((l) => l.msg === 'graphql operation')).toBe(true);
    expect(seen.join('\n')).toMatch(
      /PROVIDER_AUTH_FAILED[\s\S]*PROVIDER_THROTTLED|PROVIDER_THROTTLED[\s\S]*PROVIDER_AUTH_FAILED/,
    );

    const haystacks: [string, string][] = [
      ...logLines.map((l, i): [string, string] => [`log line ${i}`, l]),
      ...seen.map((s, i): [string, string] => [`answer ${i}`, s]),
      ...consoleLines.map((c, i): [string, string] => [`console ${i}`, c]),
    ];
    const leaks: string[] = [];
    for (const [where, text] of haystacks) {
      for (const [needle, what] of needles) {
        const at = text.indexOf(needle);
        if (at !== -1)
          leaks.push(`${what} in ${where}: …${text.slice(Math.max(0, at - 150), at + needle.length + 50)}…`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
