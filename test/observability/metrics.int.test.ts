/**
 * What /metrics says about throttling, scraped from the real server against the fake providers:
 * every throttling answer a provider sent is counted once, whether or not a retry got past it,
 * and calls our own rate limit refused (no request sent) are counted apart from them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeFault } from '../../src/simulator/fake-server.js';
import type { ProviderName } from '../../src/providers/types.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
});

/** Fast retries; a breaker that no test here comes near. */
const FAST = {
  JOBS_RETRY_MAX_ATTEMPTS: '3',
  JOBS_RETRY_BASE_MS: '5',
  JOBS_RETRY_MAX_DELAY_MS: '100',
  JOBS_BREAKER_THRESHOLD: '100',
};

async function start(env: Record<string, string>) {
  const server = await startTestServer({ env: { ...FAST, ...env } });
  servers.push(server);
  return server;
}

const JOB = 'query($ref: JobRef!) { job(ref: $ref) { ... on CloudJob { jobId state } } }';
const queryJob = (server: TestServer, provider: ProviderName, jobId: string) =>
  server.query<{ job: { jobId: string } | null }>(JOB, { ref: { provider, jobId } });

async function scrape(server: TestServer): Promise<string> {
  return (await fetch(server.url.replace(/\/graphql$/, '/metrics'))).text();
}

/** The value of one counter series in a scrape, or undefined when the series is absent. */
function sample(text: string, name: string, provider: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{provider="${provider}"} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const APIGW_0308: FakeFault = {
  status: 429,
  body: {
    error_code: 'APIGW.0308',
    error_msg: 'The throttling threshold has been reached: policy user over ratelimit,limit:200,time:1 second',
  },
};
const THROTTLING_USER: FakeFault = {
  status: 400,
  body: {
    RequestId: 'F00D0000-0000-0000-0000-000000000003',
    HostId: 'fake',
    Code: 'Throttling.User',
    Message: 'Request was denied due to user flow control.',
  },
};

describe('jobs_provider_throttled_total', () => {
  it('counts each throttling answer of a provider once, also when a retry then succeeds', async () => {
    const server = await start({});
    const { WORKSPACE, DATAWORKS, CFW } = server.simulator.fakes;
    WORKSPACE.enqueueFaults(APIGW_0308);
    DATAWORKS.enqueueFaults(THROTTLING_USER);
    CFW.enqueueFaults(APIGW_0308, APIGW_0308, APIGW_0308);

    expect((await queryJob(server, 'WORKSPACE', 'throttled-once')).errors).toBeUndefined();
    expect((await queryJob(server, 'DATAWORKS', 'throttled-once')).errors).toBeUndefined();
    expect((await queryJob(server, 'CFW', 'throttled-always')).errors?.[0]?.extensions?.code).toBe(
      'PROVIDER_THROTTLED',
    );
    expect([WORKSPACE.requests.length, DATAWORKS.requests.length, CFW.requests.length]).toEqual([2, 2, 3]);

    const text = await scrape(server);
    expect(sample(text, 'jobs_provider_throttled_total', 'WORKSPACE')).toBe(1);
    expect(sample(text, 'jobs_provider_throttled_total', 'DATAWORKS')).toBe(1);
    expect(sample(text, 'jobs_provider_throttled_total', 'CFW')).toBe(3);
    expect(sample(text, 'jobs_provider_rate_limit_rejections_total', 'CFW')).toBeUndefined();
  });

  it('does not count calls our own rate limit refused; those have their own counter, one per refusal', async () => {
    // Two calls a second (one per 1 s window) and a call deadline of 100 ms: of 6 queries at once
    // one gets the current window, at most one more the next (when the first came in its last
    // 100 ms), and the rest are refused at once without a request.
    const server = await start({
      JOBS_RATE_LIMIT_DLI_PER_SEC: '2',
      JOBS_RATE_LIMIT_DLI_BURST: '1',
      JOBS_CALL_DEADLINE_MS: '100',
      JOBS_PROVIDER_DEADLINE_MS: '100',
    });
    const dli = server.simulator.fakes.DLI;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => queryJob(server, 'DLI', `local-${i}`)));
    const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'PROVIDER_THROTTLED');
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(refused[0]!.errors![0]!.message).toMatch(/rate limit of 2\/s for account \S+ in cn-north-4 is reached/);
    expect(dli.requests).toHaveLength(6 - refused.length);

    const text = await scrape(server);
    expect(sample(text, 'jobs_provider_throttled_total', 'DLI')).toBeUndefined();
    expect(sample(text, 'jobs_provider_rate_limit_rejections_total', 'DLI')).toBe(refused.length);
    expect(text).toMatch(/# HELP jobs_provider_throttled_total .*provider/i);
  });
});
