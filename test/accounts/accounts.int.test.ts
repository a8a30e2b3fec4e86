/**
 * Many accounts per cloud, end to end: the real server against the simulator's providers and its
 * STS, IAM and metadata fakes, which check who signed each request and reject expired credentials.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeRequest } from '../../src/simulator/fake-server.js';
import { projectWrites } from '../../src/simulator/huawei-iam.js';
import {
  SIMULATOR_ALIBABA,
  SIMULATOR_ALIBABA_STAGING,
  SIMULATOR_HUAWEI,
  SIMULATOR_HUAWEI_PROJECTS,
  SIMULATOR_IDS,
} from '../../src/simulator/credentials.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { redisSkipReason, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitUntil } from '../helpers/wait.js';
import { connect, subscribe, type Subscription } from '../helpers/ws-client.js';

const JOB = `query($ref: JobRef!) { job(ref: $ref) { ... on CloudJob { id account jobId rawStatus projectId } } }`;
const JOBS = `query($refs: [JobRef!]!) { jobs(refs: $refs) { ... on CloudJob { id account projectId rawStatus } } }`;
const WATCH = `subscription($refs: [JobRef!]!) {
  jobStatusChanged(refs: $refs) { rawStatus previousRawStatus job { ... on CloudJob { id account } } }
}`;
const FAST_POLL = { JOBS_POLL_MIN_INTERVAL_MS: '100', JOBS_POLL_MAX_INTERVAL_MS: '200' };

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function simulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const sim = await startSimulator({ stepMs: 1_000, ...options });
  cleanup.push(() => sim.stop());
  return sim;
}

async function server(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(options);
  cleanup.push(() => s.stop());
  return s;
}

/** Writes an accounts file (JSON is YAML) into a fresh directory; returns its path and the directory. */
function accountsFile(accounts: unknown[]): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-accounts-'));
  const path = join(dir, 'accounts.yaml');
  writeFileSync(path, JSON.stringify({ accounts }));
  return { path, dir };
}

/** Replaces a file the way Kubernetes updates a mounted Secret: a new file renamed over the old. */
function rotate(path: string, content: string): void {
  writeFileSync(`${path}.next`, content);
  renameSync(`${path}.next`, path);
}

/** The AccessKey id in an ACS3 or Huawei SDK-HMAC Authorization header. */
function signer(req: FakeRequest): string {
  const auth = String(req.headers.authorization ?? '');
  return /Credential=([^,]+)/.exec(auth)?.[1] ?? /Access=([^,]+)/.exec(auth)?.[1] ?? '';
}

const transitions = (s: Subscription) =>
  s.results.map((r) => {
    const c = r.data?.jobStatusChanged as { rawStatus: string; previousRawStatus: string | null } | undefined;
    return c ? `${c.previousRawStatus ?? '∅'}→${c.rawStatus}` : `error:${JSON.stringify(r.errors)}`;
  });

const readyz = async (s: TestServer) => {
  const res = await fetch(s.url.replace('/graphql', '/readyz'));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const metrics = async (s: TestServer) => (await fetch(s.url.replace('/graphql', '/metrics'))).text();

const MAIN_STATIC = {
  name: 'main',
  cloud: 'alibaba',
  default: true,
  defaultRegion: 'cn-hangzhou',
  credentials: {
    source: 'static',
    accessKeyId: SIMULATOR_ALIBABA.accessKeyId,
    accessKeySecret: SIMULATOR_ALIBABA.accessKeySecret,
  },
};
const HW_STATIC = {
  name: 'hw-main',
  cloud: 'huawei',
  default: true,
  defaultRegion: 'cn-north-4',
  projects: { 'cn-north-4': SIMULATOR_HUAWEI_PROJECTS.main['cn-north-4'] },
  credentials: { source: 'static', ak: SIMULATOR_HUAWEI.ak, sk: SIMULATOR_HUAWEI.sk },
};

describe('two accounts of one cloud', () => {
  it("keeps the same job id in two Alibaba accounts apart: two ids, each read with its own account's key and watched by its own poller", async () => {
    const sim = await simulator({ stepMs: 400 });
    sim.jobs.script('DATAWORKS', 'shared-1', ['Running', 'Running', 'Success'], SIMULATOR_IDS.alibabaMain);
    sim.jobs.script('DATAWORKS', 'shared-1', ['Running', 'Fail'], SIMULATOR_IDS.alibabaStaging);
    const s = await server({ simulator: sim, env: FAST_POLL });

    const main = await s.query(JOB, { ref: { provider: 'DATAWORKS', jobId: 'shared-1' } });
    const named = await s.query(JOB, { ref: { provider: 'DATAWORKS', jobId: 'shared-1', account: 'default' } });
    const staging = await s.query(JOB, { ref: { provider: 'DATAWORKS', jobId: 'shared-1', account: 'ali-staging' } });
    expect(main.data?.job).toMatchObject({ id: 'DATAWORKS:cn-hangzhou:-:shared-1', account: 'default' });
    // Naming the default account is the same job, with today's id.
    expect(named.data?.job).toEqual(main.data?.job);
    expect(staging.data?.job).toMatchObject({
      id: 'DATAWORKS@ali-staging:cn-hangzhou:-:shared-1',
      account: 'ali-staging',
    });

    const signers = sim.fakes.DATAWORKS.requests.map(signer);
    expect(new Set(signers)).toEqual(new Set([SIMULATOR_ALIBABA.accessKeyId, SIMULATOR_ALIBABA_STAGING.accessKeyId]));

    const client = connect(s.wsUrl);
    cleanup.push(() => client.dispose());
    const a = subscribe(client, WATCH, { refs: [{ provider: 'DATAWORKS', jobId: 'shared-1' }] });
    const b = subscribe(client, WATCH, {
      refs: [{ provider: 'DATAWORKS', jobId: 'shared-1', account: 'ali-staging' }],
    });
    await a.next(5_000);
    await b.next(5_000);
    expect(await s.pollersActive()).toBe(2);
    await Promise.all([a.completed, b.completed]);
    expect(transitions(a)).toEqual(['∅→Running', 'Running→Success']);
    expect(transitions(b).at(-1)).toBe('Running→Fail');
    // The entity id names the account too, so the router resolves each to its own job.
    const entities = await s.query(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on DataWorksJob { id account rawStatus } } }',
      { r: [{ __typename: 'DataWorksJob', id: 'DATAWORKS@ali-staging:cn-hangzhou:-:shared-1' }] },
    );
    expect(entities.data?._entities).toEqual([
      { id: 'DATAWORKS@ali-staging:cn-hangzhou:-:shared-1', account: 'ali-staging', rawStatus: 'Fail' },
    ]);
  });

  it('is BAD_USER_INPUT for an unknown account or one of the other cloud, before any call', async () => {
    const s = await server({});
    const calls = s.providerCalls();
    const unknown = await s.query(JOB, { ref: { provider: 'NLB', jobId: 'x-1', account: 'nope' } });
    const other = await s.query(JOB, { ref: { provider: 'NLB', jobId: 'x-1', account: 'hw-staging' } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0]?.message).toMatch(/ali-staging/);
    expect(other.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(s.providerCalls()).toBe(calls);
  });
});

describe('cross-account assume-role', () => {
  it("signs AssumeRole with the base account's key and reads the target account's jobs with the assumed credentials", async () => {
    const sim = await simulator();
    sim.jobs.script('NLB', 'xacct-1', ['Succeeded'], SIMULATOR_IDS.alibabaStaging);
    sim.jobs.script('NLB', 'xacct-1', ['processing'], SIMULATOR_IDS.alibabaMain);
    const file = accountsFile([
      MAIN_STATIC,
      {
        name: 'staging',
        cloud: 'alibaba',
        defaultRegion: 'cn-hangzhou',
        credentials: { source: 'assume-role', roleArn: SIMULATOR_IDS.stagingReaderRole, base: 'main' },
      },
      HW_STATIC,
    ]);
    const s = await server({ simulator: sim, env: { JOBS_ACCOUNTS_FILE: file.path } });
    const r = await s.query(JOB, { ref: { provider: 'NLB', jobId: 'xacct-1', account: 'staging' } });
    expect(r.data?.job).toMatchObject({ account: 'staging', rawStatus: 'Succeeded' });

    const sts = sim.identityFakes.STS.requests;
    expect(sts.map(signer)).toEqual([SIMULATOR_ALIBABA.accessKeyId]);
    const used = sim.fakes.NLB.requests.map(signer);
    expect(used).toHaveLength(1);
    expect(sim.identities.alibabaKey(used[0]!)).toMatchObject({ account: SIMULATOR_IDS.alibabaStaging });
    expect(used[0]).toMatch(/^STS\./);
  });
});

describe('rotated files', () => {
  it('picks up a rotated AccessKey pair and a rotated IAM token file without a restart', async () => {
    const sim = await simulator();
    const dir = mkdtempSync(join(tmpdir(), 'jobs-secrets-'));
    const akFile = join(dir, 'ak');
    const skFile = join(dir, 'sk');
    const tokenFile = join(dir, 'iam-token');
    writeFileSync(akFile, SIMULATOR_ALIBABA.accessKeyId);
    writeFileSync(skFile, SIMULATOR_ALIBABA.accessKeySecret);
    const token1 = sim.identities.issueHuaweiToken(SIMULATOR_IDS.huaweiMain, null);
    writeFileSync(tokenFile, `${token1.token}\n`);
    const file = accountsFile([
      {
        ...MAIN_STATIC,
        credentials: { source: 'static', accessKeyId: { file: akFile }, accessKeySecret: { file: skFile } },
      },
      { ...HW_STATIC, credentials: { source: 'token', token: { file: tokenFile } } },
    ]);
    const s = await server({ simulator: sim, env: { JOBS_ACCOUNTS_FILE: file.path } });
    // A fresh job each time: a recent answer for the same job would be reused without a call.
    let n = 0;
    const ali = () => s.query(JOB, { ref: { provider: 'NLB', jobId: `rot-a${++n}` } });
    const hw = () => s.query(JOB, { ref: { provider: 'DLI', jobId: `rot-h${++n}` } });
    expect((await ali()).errors).toBeUndefined();
    expect((await hw()).errors).toBeUndefined();

    // The old key is revoked the moment the new one is mounted, and the old token expires.
    sim.identities.addAlibabaKey(SIMULATOR_IDS.alibabaMain, 'ROTATEDACCESSKEYID01', 'rotated-secret');
    rotate(akFile, 'ROTATEDACCESSKEYID01');
    rotate(skFile, 'rotated-secret');
    sim.identities.removeAlibabaKey(SIMULATOR_ALIBABA.accessKeyId);
    const token2 = sim.identities.issueHuaweiToken(SIMULATOR_IDS.huaweiMain, null);
    rotate(tokenFile, token2.token);
    token1.expiresAt = Date.now() - 1;

    expect((await ali()).errors).toBeUndefined();
    expect((await hw()).errors).toBeUndefined();
    expect(signer(sim.fakes.NLB.requests.at(-1)!)).toBe('ROTATEDACCESSKEYID01');
    expect(sim.fakes.DLI.requests.at(-1)?.headers['x-auth-token']).toBe(token2.token);
  });
});

describe('Huawei projects per region', () => {
  it('finds the project of an unmapped region with one read-only IAM lookup for 10 refs', async () => {
    const sim = await simulator();
    const s = await server({ simulator: sim });
    const refs = Array.from({ length: 10 }, (_, i) => ({ provider: 'DLI', jobId: `east-${i}`, region: 'cn-east-3' }));
    const r = await s.query<{ jobs: { projectId: string }[] }>(JOBS, { refs });
    expect(r.errors).toBeUndefined();
    expect(r.data?.jobs.map((j) => j.projectId)).toEqual(refs.map(() => SIMULATOR_HUAWEI_PROJECTS.main['cn-east-3']));
    const iam = sim.identityFakes.IAM.requests;
    expect(iam.filter((q) => q.path === '/v3/projects')).toHaveLength(1);
    expect(projectWrites(sim.identityFakes.IAM)).toBe(0);
    // The default project is only the default region's: the request path carried the discovered one.
    expect(sim.fakes.DLI.requests.every((q) => q.path.includes(SIMULATOR_HUAWEI_PROJECTS.main['cn-east-3']))).toBe(
      true,
    );
  });

  it('is BAD_USER_INPUT naming the region when the account has no project there', async () => {
    const s = await server({});
    const r = await s.query(JOB, {
      ref: { provider: 'CFW', jobId: 'x-1', region: 'ap-southeast-1', account: 'hw-staging' },
    });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toContain('ap-southeast-1');
  });
});

describe('an account whose credential source is down', () => {
  it('fails only its own refs with a transient code, shows in /readyz, and recovers by itself', async () => {
    const sim = await simulator();
    const dir = mkdtempSync(join(tmpdir(), 'jobs-rrsa-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'rrsa-token-1');
    const providerArn = SIMULATOR_IDS.oidcProviderArn;
    sim.identities.addAlibabaRole({
      arn: 'acs:ram::1000000000000002:role/rrsa',
      trustedAccounts: [],
      oidcProviderArn: providerArn,
    });
    sim.identities.trustAlibabaOidcToken(providerArn, 'rrsa-token-1');
    const file = accountsFile([
      MAIN_STATIC,
      {
        name: 'rrsa',
        cloud: 'alibaba',
        defaultRegion: 'cn-hangzhou',
        credentials: {
          source: 'oidc',
          roleArn: 'acs:ram::1000000000000002:role/rrsa',
          oidcProviderArn: providerArn,
          oidcTokenFile: tokenFile,
        },
      },
      HW_STATIC,
    ]);
    const outage = Array.from({ length: 50 }, () => ({ status: 503, body: { Code: 'ServiceUnavailable' } }));
    sim.identityFakes.STS.enqueueFaults(...outage);
    const s = await server({ simulator: sim, env: { JOBS_ACCOUNTS_FILE: file.path } });
    const r = await s.query<{ jobs: unknown[] }>(JOBS, {
      refs: [
        { provider: 'NLB', jobId: 'down-1', account: 'rrsa' },
        { provider: 'NLB', jobId: 'down-2' },
      ],
    });
    expect(r.errors).toHaveLength(1);
    expect(r.errors?.[0]).toMatchObject({ path: ['jobs', 0], extensions: { code: 'CREDENTIALS_UNAVAILABLE' } });
    expect(r.data?.jobs[1]).toMatchObject({ account: 'main' });
    const down = await readyz(s);
    expect(down.status).toBe(200);
    expect(down.body.accountsUnavailable).toEqual(['alibaba/rrsa']);
    expect(down.body.accounts).toMatchObject({
      'alibaba/main': { status: 'ok' },
      'alibaba/rrsa': { status: 'unavailable' },
    });
    const failing = await metrics(s);
    expect(failing).toMatch(/jobs_account_credentials_up\{account="alibaba\/rrsa"\} 0/);
    expect(failing).toMatch(/jobs_account_credentials_up\{account="alibaba\/main"\} 1/);
    expect(failing).toMatch(
      /jobs_credential_renewals_total\{account="alibaba\/rrsa",outcome="CREDENTIALS_UNAVAILABLE"\} [1-9]/,
    );

    sim.identityFakes.STS.clearFaults();
    await waitUntil(
      async () =>
        (await s.query(JOB, { ref: { provider: 'NLB', jobId: 'down-1', account: 'rrsa' } })).errors === undefined,
      10_000,
      200,
    );
    expect((await s.query(JOB, { ref: { provider: 'NLB', jobId: 'down-1', account: 'rrsa' } })).errors).toBeUndefined();
    expect((await readyz(s)).body.accountsUnavailable).toBeUndefined();
    const recovered = await metrics(s);
    expect(recovered).toMatch(/jobs_account_credentials_up\{account="alibaba\/rrsa"\} 1/);
    expect(recovered).toMatch(/jobs_credential_renewals_total\{account="alibaba\/rrsa",outcome="ok"\} [1-9]/);
  });
});

describe('workload identity across credential expiries', () => {
  it('keeps RRSA and Huawei OIDC subscriptions alive across at least 3 expiries, never signing with an expired credential, renewing about once per lifetime', async () => {
    const ttlMs = 1_500;
    const sim = await simulator({ stepMs: 1_300, credentialTtlMs: ttlMs });
    const dir = mkdtempSync(join(tmpdir(), 'jobs-oidc-'));
    const rrsaFile = join(dir, 'rrsa-token');
    const idFile = join(dir, 'id-token');
    writeFileSync(rrsaFile, 'rrsa-projected-token');
    writeFileSync(idFile, 'cce-projected-id-token');
    sim.identities.addAlibabaRole({
      arn: 'acs:ram::1000000000000001:role/rrsa',
      trustedAccounts: [],
      oidcProviderArn: SIMULATOR_IDS.oidcProviderArn,
    });
    sim.identities.trustAlibabaOidcToken(SIMULATOR_IDS.oidcProviderArn, 'rrsa-projected-token');
    sim.identities.trustHuaweiIdToken(SIMULATOR_IDS.idpId, 'cce-projected-id-token', SIMULATOR_IDS.huaweiMain);
    const file = accountsFile([
      {
        name: 'ack',
        cloud: 'alibaba',
        default: true,
        defaultRegion: 'cn-hangzhou',
        credentials: {
          source: 'oidc',
          roleArn: 'acs:ram::1000000000000001:role/rrsa',
          oidcProviderArn: SIMULATOR_IDS.oidcProviderArn,
          oidcTokenFile: rrsaFile,
        },
      },
      {
        name: 'cce',
        cloud: 'huawei',
        default: true,
        defaultRegion: 'cn-north-4',
        projects: { 'cn-north-4': SIMULATOR_HUAWEI_PROJECTS.main['cn-north-4'] },
        credentials: { source: 'oidc', idpId: SIMULATOR_IDS.idpId, idTokenFile: idFile },
      },
    ]);
    sim.jobs.script('DATAWORKS', 'long-1', ['Running', 'Running', 'Running', 'Running', 'Success']);
    const s = await server({ simulator: sim, env: { JOBS_ACCOUNTS_FILE: file.path, ...FAST_POLL } });
    const started = Date.now();
    const client = connect(s.wsUrl);
    cleanup.push(() => client.dispose());
    const ali = subscribe(client, WATCH, { refs: [{ provider: 'DATAWORKS', jobId: 'long-1' }] });
    const hw = subscribe(client, WATCH, { refs: [{ provider: 'DLI', jobId: 'long-2' }] });
    await Promise.all([ali.completed, hw.completed]);
    const elapsed = Date.now() - started;

    expect(elapsed).toBeGreaterThan(3 * ttlMs);
    expect(transitions(ali)).toEqual(['∅→Running', 'Running→Success']);
    expect(transitions(hw)).toEqual([
      '∅→LAUNCHING',
      'LAUNCHING→RUNNING',
      'RUNNING→SCALING',
      'SCALING→RUNNING',
      'RUNNING→FINISHED',
    ]);
    // Every provider request was signed with a credential that was still valid when it arrived.
    const dataworks = sim.fakes.DATAWORKS.requests;
    const dli = sim.fakes.DLI.requests;
    expect(dataworks.length).toBeGreaterThan(10);
    expect(dli.length).toBeGreaterThan(10);
    for (const q of dataworks) expect(sim.identities.alibabaKey(signer(q))?.expiresAt).toBeGreaterThan(q.receivedAt);
    for (const q of dli) expect(sim.identities.huaweiKey(signer(q))?.expiresAt).toBeGreaterThan(q.receivedAt);
    // STS and IAM were asked about once per lifetime (renewal at 2/3 of it), not once per call.
    const lifetimes = elapsed / ttlMs;
    const sts = sim.identityFakes.STS.requests.length;
    const idTokenExchanges = sim.identityFakes.IAM.requests.filter((q) => q.path.includes('id-token')).length;
    for (const exchanges of [sts, idTokenExchanges]) {
      expect(exchanges).toBeGreaterThanOrEqual(3);
      expect(exchanges).toBeLessThanOrEqual(Math.ceil(lifetimes * 1.6) + 1);
    }
    console.info(
      `[accounts] ${Math.round(elapsed)} ms = ${lifetimes.toFixed(1)} credential lifetimes: STS ${sts} exchanges for ${dataworks.length} DataWorks calls; IAM ${idTokenExchanges} ID-token exchanges for ${dli.length} DLI calls`,
    );
  });
});

const skip = await redisSkipReason();
describe.skipIf(skip !== null)(
  skip ? `accounts across replicas — ${skip}` : 'accounts across 3 replicas on Redis',
  () => {
    it("gives each account's job its own poller and events cluster-wide", async () => {
      const sim = await simulator({ stepMs: 500 });
      sim.jobs.script('DATAWORKS', 'shared-2', ['Running', 'Running', 'Success'], SIMULATOR_IDS.alibabaMain);
      sim.jobs.script('DATAWORKS', 'shared-2', ['Running', 'Fail'], SIMULATOR_IDS.alibabaStaging);
      const prefix = uniquePrefix();
      const replicas: TestServer[] = [];
      for (let i = 0; i < 3; i++) {
        replicas.push(
          await server({
            simulator: sim,
            replicaId: `acct-${i}`,
            env: { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, JOBS_LEASE_MS: '1000', ...FAST_POLL },
          }),
        );
      }
      for (const r of replicas) await waitUntil(async () => (await readyz(r)).status === 200, 3_000, 20);
      const subs: { account: string; sub: Subscription }[] = [];
      for (const [i, r] of replicas.entries()) {
        const client = connect(r.wsUrl);
        cleanup.push(() => client.dispose());
        for (const account of ['default', 'ali-staging']) {
          subs.push({
            account: `${account}@${i}`,
            sub: subscribe(client, WATCH, { refs: [{ provider: 'DATAWORKS', jobId: 'shared-2', account }] }),
          });
        }
      }
      await Promise.all(subs.map((s) => s.sub.completed));
      for (const { account, sub } of subs) {
        expect(transitions(sub), account).toEqual(
          account.startsWith('default') ? ['∅→Running', 'Running→Success'] : ['∅→Running', 'Running→Fail'],
        );
      }
      // One poller per account's job cluster-wide: each signer's polls stay apart, never three at once.
      for (const key of [SIMULATOR_ALIBABA.accessKeyId, SIMULATOR_ALIBABA_STAGING.accessKeyId]) {
        const polls = sim.fakes.DATAWORKS.requests.filter((q) => signer(q) === key);
        const gaps = polls.slice(1).map((q, i) => q.receivedAt - polls[i]!.receivedAt);
        expect(polls.length).toBeGreaterThan(2);
        expect(Math.min(...gaps)).toBeGreaterThanOrEqual(25);
      }
    });
  },
);
