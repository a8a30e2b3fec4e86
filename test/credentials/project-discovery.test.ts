/**
 * ProjectDiscovery: Huawei project ids looked up in IAM once per account and region, kept for
 * good when found, a miss kept for `missTtlMs`, failures not kept. IAM is a scripted transport
 * (no sockets), the account's credential a scripted source, the clock injected.
 */
import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { ProjectDiscovery, type ProjectDiscoveryOptions } from '../../src/credentials/project-discovery.js';
import { FixedCredential, type CredentialSource } from '../../src/credentials/refreshing.js';
import { HttpTransport, type HttpRequest, type HttpResponse } from '../../src/providers/http.js';
import type { HuaweiAuth } from '../../src/providers/types.js';

const TOKEN = 'MIIiam-token-never-shown';
const NORTH4 = '0123456789abcdef0123456789abcdef';
const NORTH9 = 'fedcba9876543210fedcba9876543210';
const MISS_TTL = 60_000;

/** IAM `GET /v3/projects?name=`: answers from a table of project names, or with `failNext`. */
class FakeIam extends HttpTransport {
  readonly sent: Array<{ provider: string; req: HttpRequest }> = [];
  projects: Record<string, string> = { 'cn-north-4': NORTH4, 'cn-north-9': NORTH9 };
  /** Answered (or thrown) instead of the table for the next requests, in order. */
  failNext: Array<HttpResponse | Error> = [];
  /** While set, answers wait for it. */
  gate: Promise<void> | null = null;

  override async send(provider: string, req: HttpRequest): Promise<HttpResponse> {
    this.sent.push({ provider, req });
    if (this.gate) await this.gate;
    const failure = this.failNext.shift();
    if (failure instanceof Error) throw failure;
    if (failure) return failure;
    const name = req.url.searchParams.get('name');
    const projects = Object.entries(this.projects)
      .filter(([n]) => n === name)
      .map(([n, id]) => ({ id, name: n, domain_id: 'd' }));
    return { status: 200, headers: {}, body: JSON.stringify({ projects }) };
  }
}

function deferred(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

interface Setup {
  iam: FakeIam;
  discovery: ProjectDiscovery;
  clock: { t: number };
  accountsAsked: Array<string | null>;
}

function setup(over: Partial<ProjectDiscoveryOptions> = {}): Setup {
  const iam = new FakeIam();
  const clock = { t: Date.UTC(2026, 0, 1) };
  const accountsAsked: Array<string | null> = [];
  const source = new FixedCredential<HuaweiAuth>({ kind: 'token', token: TOKEN });
  const discovery = new ProjectDiscovery({
    transport: iam,
    iamOverride: undefined,
    missTtlMs: MISS_TTL,
    now: () => clock.t,
    account: (name) => {
      accountsAsked.push(name);
      if (name === null) return { source, region: 'cn-north-4' };
      if (name === 'eu') return { source, region: null };
      return undefined;
    },
    ...over,
  });
  return { iam, discovery, clock, accountsAsked };
}

describe('ProjectDiscovery', () => {
  it("looks the region's project up in the account's regional IAM with the account's credential", async () => {
    const { iam, discovery } = setup();
    expect(await discovery.projectFor(null, 'cn-north-9')).toBe(NORTH9);
    expect(iam.sent).toHaveLength(1);
    const { provider, req } = iam.sent[0]!;
    expect(provider).toBe('IAM');
    expect(req.method).toBe('GET');
    expect(req.url.href).toBe('https://iam.cn-north-4.myhuaweicloud.com/v3/projects?name=cn-north-9');
    expect(req.headers['X-Auth-Token']).toBe(TOKEN);
    expect(discovery.lookups).toBe(1);
  });

  it('asks the global IAM endpoint for an account without a default region', async () => {
    const { iam, discovery } = setup();
    await discovery.projectFor('eu', 'cn-north-4');
    expect(iam.sent[0]?.req.url.href).toBe('https://iam.myhuaweicloud.com/v3/projects?name=cn-north-4');
  });

  it("sends the lookup to the IAM override, with the account's default region filled in", async () => {
    const { iam, discovery } = setup({ iamOverride: 'http://iam.internal:8443/{region}/iam' });
    await discovery.projectFor(null, 'cn-north-9');
    expect(iam.sent[0]?.req.url.href).toBe('http://iam.internal:8443/cn-north-4/iam/v3/projects?name=cn-north-9');
  });

  it('signs the lookup when the account holds an AK/SK', async () => {
    const source = new FixedCredential<HuaweiAuth>({ kind: 'aksk', ak: 'BASEAKBASEAKBASEAK00', sk: 'sk-never-shown' });
    const { iam, discovery } = setup({ account: () => ({ source, region: 'cn-north-4' }) });
    await discovery.projectFor(null, 'cn-north-4');
    const headers = iam.sent[0]!.req.headers;
    expect(headers.Authorization).toMatch(/^SDK-HMAC-SHA256 Access=BASEAKBASEAKBASEAK00, SignedHeaders=/);
    expect(headers['X-Auth-Token']).toBeUndefined();
    expect(JSON.stringify(headers)).not.toContain('sk-never-shown');
  });

  it('makes one lookup when ten refs ask for the same account and region at once', async () => {
    const { iam, discovery } = setup();
    const gate = deferred();
    iam.gate = gate.promise;
    const answers = Array.from({ length: 10 }, () => discovery.projectFor(null, 'cn-north-4'));
    gate.release();
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 10 }, () => NORTH4));
    expect(iam.sent).toHaveLength(1);
    expect(discovery.lookups).toBe(1);
  });

  it('looks up each account and region on its own', async () => {
    const { iam, discovery } = setup();
    const answers = await Promise.all([
      discovery.projectFor(null, 'cn-north-4'),
      discovery.projectFor(null, 'cn-north-9'),
      discovery.projectFor('eu', 'cn-north-4'),
    ]);
    expect(answers).toEqual([NORTH4, NORTH9, NORTH4]);
    expect(iam.sent).toHaveLength(3);
  });

  it('keeps a found project id for good, without asking IAM or the credential again', async () => {
    const { iam, discovery, clock, accountsAsked } = setup();
    await discovery.projectFor(null, 'cn-north-4');
    clock.t += 365 * 24 * 3_600_000;
    iam.projects = {};
    expect(await discovery.projectFor(null, 'cn-north-4')).toBe(NORTH4);
    expect(iam.sent).toHaveLength(1);
    expect(accountsAsked).toEqual([null]);
  });

  it('answers null for a region where the account has no project, and never asks IAM to create one', async () => {
    const { iam, discovery } = setup();
    expect(await discovery.projectFor(null, 'ap-southeast-1')).toBeNull();
    expect(iam.sent.map((s) => s.req.method)).toEqual(['GET']);
  });

  it('remembers a miss for missTtlMs, then asks again', async () => {
    const { iam, discovery, clock } = setup();
    await discovery.projectFor(null, 'ap-southeast-1');
    iam.projects['ap-southeast-1'] = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    clock.t += MISS_TTL - 1;
    expect(await discovery.projectFor(null, 'ap-southeast-1')).toBeNull();
    expect(iam.sent).toHaveLength(1);
    clock.t += 1;
    expect(await discovery.projectFor(null, 'ap-southeast-1')).toBe('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(iam.sent).toHaveLength(2);
  });

  it('counts the miss TTL from when the answer arrived, not from when it was asked for', async () => {
    const { iam, discovery, clock } = setup();
    const gate = deferred();
    iam.gate = gate.promise;
    const pending = discovery.projectFor(null, 'ap-southeast-1');
    clock.t += 30_000;
    gate.release();
    await pending;
    iam.gate = null;
    clock.t += MISS_TTL - 1;
    await discovery.projectFor(null, 'ap-southeast-1');
    expect(iam.sent).toHaveLength(1);
  });

  it('fails with PROVIDER_NOT_CONFIGURED for an account without credentials, and asks again next time', async () => {
    const { iam, discovery, accountsAsked } = setup();
    await expect(discovery.projectFor('unknown', 'cn-north-4')).rejects.toMatchObject({
      code: 'PROVIDER_NOT_CONFIGURED',
    });
    await expect(discovery.projectFor('unknown', 'cn-north-4')).rejects.toThrow(JobError);
    expect(accountsAsked).toEqual(['unknown', 'unknown']);
    expect(iam.sent).toHaveLength(0);
    expect(discovery.lookups).toBe(0);
  });

  it("passes the credential's failure on without calling IAM or counting a lookup", async () => {
    const broken: CredentialSource<HuaweiAuth> = {
      get: () => Promise.reject(new JobError('CREDENTIALS_UNAVAILABLE', 'IAM throttled the token exchange')),
      invalidate: () => undefined,
      health: () => ({ ok: false, obtained: 0 }),
    };
    const { iam, discovery } = setup({ account: () => ({ source: broken, region: 'cn-north-4' }) });
    await expect(discovery.projectFor(null, 'cn-north-4')).rejects.toMatchObject({
      code: 'CREDENTIALS_UNAVAILABLE',
      message: 'IAM throttled the token exchange',
    });
    expect(iam.sent).toHaveLength(0);
    expect(discovery.lookups).toBe(0);
  });

  it('does not take a refused lookup for a miss: the next call asks IAM again', async () => {
    const { iam, discovery } = setup();
    iam.failNext.push({
      status: 403,
      headers: {},
      body: JSON.stringify({ error_code: 'IAM.0003', error_msg: 'Policy doesn’t allow iam:projects:list' }),
    });
    await expect(discovery.projectFor(null, 'cn-north-4')).rejects.toMatchObject({ code: 'PROVIDER_AUTH_FAILED' });
    expect(await discovery.projectFor(null, 'cn-north-4')).toBe(NORTH4);
    expect(iam.sent).toHaveLength(2);
  });

  it('gives every waiting caller the failure of the shared lookup, then lets the next call try afresh', async () => {
    const { iam, discovery } = setup();
    const gate = deferred();
    iam.gate = gate.promise;
    iam.failNext.push({ status: 503, headers: {}, body: '' });
    const waiting = Array.from({ length: 3 }, () => discovery.projectFor(null, 'cn-north-4').catch((e: unknown) => e));
    gate.release();
    const errors = await Promise.all(waiting);
    expect(errors.every((e) => e instanceof JobError && e.code === 'CREDENTIALS_UNAVAILABLE')).toBe(true);
    expect(iam.sent).toHaveLength(1);
    iam.gate = null;
    expect(await discovery.projectFor(null, 'cn-north-4')).toBe(NORTH4);
    expect(iam.sent).toHaveLength(2);
  });

  it('never puts the credential into an error', async () => {
    const { iam, discovery } = setup();
    iam.failNext.push({ status: 401, headers: {}, body: JSON.stringify({ error_msg: `bad token ${TOKEN}` }) });
    const err = (await discovery.projectFor(null, 'cn-north-4').catch((e: unknown) => e)) as JobError;
    expect(err.code).toBe('PROVIDER_AUTH_FAILED');
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain(TOKEN);
  });
});
