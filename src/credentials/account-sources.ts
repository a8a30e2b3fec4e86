/**
 * One credential source per configured account, built from its accounts-file entry: fixed keys,
 * files re-read when they rotate, or exchanges (STS, IAM, metadata) renewed by
 * ./refreshing.ts. `assume-role`/`agency` accounts get their base account's source (built first),
 * so a renewed base key is what signs the next exchange.
 */
import type { AccountSpec, AlibabaCredentialSpec, HuaweiCredentialSpec, SecretSource } from '../accounts/spec.js';
import type { CredentialSettings } from '../config.js';
import { isJobError } from '../errors.js';
import type { HttpTransport } from '../providers/http.js';
import type { AlibabaCredentials, Cloud, HuaweiAuth } from '../providers/types.js';
import { ecsRamRoleSource } from './alibaba/ecs-metadata.js';
import { assumeRole, assumeRoleWithOidc } from './alibaba/sts.js';
import { alibabaVendorChainStep } from './alibaba/vendor-chain.js';
import { ChainCredential } from './chain.js';
import { iamEndpoint, stsEndpoint, type IdentityEndpoints } from './endpoints.js';
import { assumeAgency, createTemporaryKeys, exchangeIdToken } from './huawei/iam.js';
import { ecsSecurityKey } from './huawei/metadata.js';
import { FixedCredential, RefreshingCredential, type CredentialSource, type RenewalResult } from './refreshing.js';
import { SecretReader } from './secret-source.js';
import type { Expiring } from './types.js';

export type AnyCredentialSource = CredentialSource<AlibabaCredentials> | CredentialSource<HuaweiAuth>;

export interface AccountSourceDeps {
  /** The pool identity calls go through (labelled STS, IAM, ECS_METADATA in errors). */
  transport: HttpTransport;
  endpoints: IdentityEndpoints;
  settings: CredentialSettings;
  /** The variables the vendor chains read (`chain` sources), captured by config.ts. */
  chainEnv: Readonly<Record<string, string | undefined>>;
  /** Epoch ms (renewal timing). @default Date.now */
  now?: () => number;
  /** Told of every renewal of a temporary credential, with the account as `cloud/name`. */
  onRenewal?: (account: string, result: RenewalResult) => void;
}

/** Sources by `${cloud}:${name}`; an account without credentials has none. */
export function buildAccountSources(
  accounts: readonly AccountSpec[],
  deps: AccountSourceDeps,
): Map<string, AnyCredentialSource> {
  const sources = new Map<string, AnyCredentialSource>();
  const byName = new Map(accounts.map((a) => [`${a.cloud}:${a.name}`, a]));
  const build = (a: AccountSpec): AnyCredentialSource | null => {
    const id = `${a.cloud}:${a.name}`;
    const existing = sources.get(id);
    if (existing) return existing;
    if (!a.credentials) return null;
    // Bases are built first (config.ts rejected loops).
    const baseOf = (name: string) => {
      const base = byName.get(`${a.cloud}:${name}`);
      return base ? build(base) : null;
    };
    const source =
      a.cloud === 'alibaba'
        ? alibabaSource(
            a.name,
            a.credentials,
            a.defaultRegion,
            deps,
            (n) => baseOf(n) as CredentialSource<AlibabaCredentials>,
          )
        : huaweiSource(a.name, a.credentials, a.defaultRegion, deps, (n) => baseOf(n) as CredentialSource<HuaweiAuth>);
    sources.set(id, source);
    return source;
  };
  for (const a of accounts) build(a);
  return sources;
}

export function sourceKey(cloud: Cloud, name: string): string {
  return `${cloud}:${name}`;
}

function alibabaSource(
  account: string,
  spec: AlibabaCredentialSpec,
  region: string | null,
  deps: AccountSourceDeps,
  baseOf: (name: string) => CredentialSource<AlibabaCredentials> | null,
): CredentialSource<AlibabaCredentials> {
  const refreshing = (obtain: () => Promise<Expiring<AlibabaCredentials>>) =>
    new RefreshingCredential(obtain, renewalOptions(deps, `alibaba/${account}`));
  const reader = (s: SecretSource, what: string) =>
    new SecretReader(s, `${what} of account ${account}`, { recheckMs: deps.settings.fileRecheckMs });
  const sts = stsEndpoint(deps.endpoints.STS, region);
  switch (spec.source) {
    case 'static': {
      const id = reader(spec.accessKeyId, 'accessKeyId');
      const secret = reader(spec.accessKeySecret, 'accessKeySecret');
      const token = spec.securityToken ? reader(spec.securityToken, 'securityToken') : null;
      if (!id.rotates && !secret.rotates && !token?.rotates) {
        return new FixedCredential({
          accessKeyId: (spec.accessKeyId as { value: string }).value,
          accessKeySecret: (spec.accessKeySecret as { value: string }).value,
          ...(spec.securityToken ? { securityToken: (spec.securityToken as { value: string }).value } : {}),
        });
      }
      return new FileCredential(
        [id, secret, ...(token ? [token] : [])],
        ([accessKeyId, accessKeySecret, securityToken]) => ({
          accessKeyId: accessKeyId as string,
          accessKeySecret: accessKeySecret as string,
          ...(securityToken ? { securityToken } : {}),
        }),
      );
    }
    case 'oidc': {
      const token = reader({ file: spec.oidcTokenFile }, 'OIDC token');
      return refreshing(async () =>
        assumeRoleWithOidc({
          endpoint: sts,
          transport: deps.transport,
          roleArn: spec.roleArn,
          oidcProviderArn: spec.oidcProviderArn,
          // Read afresh for every exchange: the kubelet rotates the projected token in place.
          oidcToken: await (token.reload(), token.read()),
          sessionName: spec.sessionName,
          durationSeconds: spec.durationSeconds,
        }),
      );
    }
    case 'assume-role': {
      const base =
        spec.base === 'chain'
          ? alibabaSource(account, { source: 'chain' }, region, deps, baseOf)
          : (baseOf(spec.base) as CredentialSource<AlibabaCredentials>);
      const externalId = spec.externalId ? reader(spec.externalId, 'externalId') : null;
      return refreshing(() =>
        withBase(base, async (credentials) =>
          assumeRole({
            endpoint: sts,
            transport: deps.transport,
            credentials,
            roleArn: spec.roleArn,
            ...(externalId ? { externalId: await externalId.read() } : {}),
            sessionName: spec.sessionName,
            durationSeconds: spec.durationSeconds,
          }),
        ),
      );
    }
    case 'ecs-ram-role': {
      const obtain = ecsRamRoleSource({
        ...(deps.endpoints.ALIBABA_METADATA ? { endpoint: deps.endpoints.ALIBABA_METADATA } : {}),
        ...(spec.roleName ? { roleName: spec.roleName } : {}),
      });
      return refreshing(() => obtain());
    }
    case 'chain': {
      // The vendor's order: environment AccessKey → RRSA variables → profile files → ECS metadata.
      const env = deps.chainEnv;
      const steps: { name: string; source: () => CredentialSource<AlibabaCredentials> }[] = [];
      if (env.ALIBABA_CLOUD_ACCESS_KEY_ID && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET) {
        const keys = {
          accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
          accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
          ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
        };
        steps.push({ name: 'environment', source: () => new FixedCredential(keys) });
      }
      if (env.ALIBABA_CLOUD_ROLE_ARN && env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN && env.ALIBABA_CLOUD_OIDC_TOKEN_FILE) {
        const oidc: AlibabaCredentialSpec = {
          source: 'oidc',
          roleArn: env.ALIBABA_CLOUD_ROLE_ARN,
          oidcProviderArn: env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
          oidcTokenFile: env.ALIBABA_CLOUD_OIDC_TOKEN_FILE,
          sessionName: 'jobs-subgraph',
          durationSeconds: 3_600,
        };
        steps.push({ name: 'RRSA', source: () => alibabaSource(account, oidc, region, deps, baseOf) });
      }
      steps.push({ name: 'profile files', source: () => refreshing(alibabaVendorChainStep()) });
      steps.push({
        name: 'ECS metadata',
        source: () => alibabaSource(account, { source: 'ecs-ram-role' }, region, deps, baseOf),
      });
      return new ChainCredential(`account ${account}`, steps);
    }
  }
}

function huaweiSource(
  account: string,
  spec: HuaweiCredentialSpec,
  region: string | null,
  deps: AccountSourceDeps,
  baseOf: (name: string) => CredentialSource<HuaweiAuth> | null,
): CredentialSource<HuaweiAuth> {
  const refreshing = (obtain: () => Promise<Expiring<HuaweiAuth>>) =>
    new RefreshingCredential(obtain, renewalOptions(deps, `huawei/${account}`));
  const reader = (s: SecretSource, what: string) =>
    new SecretReader(s, `${what} of account ${account}`, { recheckMs: deps.settings.fileRecheckMs });
  const iam = iamEndpoint(deps.endpoints.IAM, region);
  const keys = (got: Expiring<{ ak: string; sk: string; securityToken: string }>): Expiring<HuaweiAuth> => ({
    value: { kind: 'aksk', ...got.value },
    expiresAt: got.expiresAt,
  });
  switch (spec.source) {
    case 'static': {
      const ak = reader(spec.ak, 'ak');
      const sk = reader(spec.sk, 'sk');
      const token = spec.securityToken ? reader(spec.securityToken, 'securityToken') : null;
      if (!ak.rotates && !sk.rotates && !token?.rotates) {
        return new FixedCredential<HuaweiAuth>({
          kind: 'aksk',
          ak: (spec.ak as { value: string }).value,
          sk: (spec.sk as { value: string }).value,
          ...(spec.securityToken ? { securityToken: (spec.securityToken as { value: string }).value } : {}),
        });
      }
      return new FileCredential<HuaweiAuth>([ak, sk, ...(token ? [token] : [])], ([a, s, t]) => ({
        kind: 'aksk',
        ak: a as string,
        sk: s as string,
        ...(t ? { securityToken: t } : {}),
      }));
    }
    case 'token': {
      const token = reader(spec.token, 'token');
      if (!token.rotates)
        return new FixedCredential<HuaweiAuth>({ kind: 'token', token: (spec.token as { value: string }).value });
      return new FileCredential<HuaweiAuth>([token], ([t]) => ({ kind: 'token', token: t as string }));
    }
    case 'oidc': {
      const idToken = reader({ file: spec.idTokenFile }, 'ID token');
      return refreshing(async () => {
        // ID token → IAM token → temporary AK/SK (the Huawei SDK's CCE workload identity flow).
        const token = await exchangeIdToken({
          endpoint: iam,
          transport: deps.transport,
          idpId: spec.idpId,
          idToken: await (idToken.reload(), idToken.read()),
        });
        const got = await createTemporaryKeys({
          endpoint: iam,
          transport: deps.transport,
          auth: { kind: 'token', token: token.value },
          durationSeconds: spec.durationSeconds,
        });
        return keys({ value: got.value, expiresAt: earliest(got.expiresAt, token.expiresAt) });
      });
    }
    case 'agency': {
      const base =
        spec.base === 'chain'
          ? huaweiSource(account, { source: 'chain' }, region, deps, baseOf)
          : (baseOf(spec.base) as CredentialSource<HuaweiAuth>);
      const owner = spec.domainId ? { domainId: spec.domainId } : { domainName: spec.domainName as string };
      return refreshing(() =>
        withBase(base, async (auth) =>
          keys(
            await assumeAgency({
              endpoint: iam,
              transport: deps.transport,
              auth,
              agencyName: spec.agencyName,
              durationSeconds: spec.durationSeconds,
              ...owner,
            }),
          ),
        ),
      );
    }
    case 'metadata': {
      const endpoint = deps.endpoints.HUAWEI_METADATA;
      return refreshing(async () =>
        keys(await ecsSecurityKey({ transport: deps.transport, ...(endpoint ? { endpoint } : {}) })),
      );
    }
    case 'chain': {
      // The Huawei SDKs' order: environment AK/SK → OIDC variables → ECS metadata.
      const env = deps.chainEnv;
      const steps: { name: string; source: () => CredentialSource<HuaweiAuth> }[] = [];
      if (env.HUAWEICLOUD_SDK_AK && env.HUAWEICLOUD_SDK_SK) {
        const auth: HuaweiAuth = {
          kind: 'aksk',
          ak: env.HUAWEICLOUD_SDK_AK,
          sk: env.HUAWEICLOUD_SDK_SK,
          ...(env.HUAWEICLOUD_SDK_SECURITY_TOKEN ? { securityToken: env.HUAWEICLOUD_SDK_SECURITY_TOKEN } : {}),
        };
        steps.push({ name: 'environment', source: () => new FixedCredential(auth) });
      }
      if (env.HUAWEICLOUD_SDK_IDP_ID && env.HUAWEICLOUD_SDK_ID_TOKEN_FILE) {
        const oidc: HuaweiCredentialSpec = {
          source: 'oidc',
          idpId: env.HUAWEICLOUD_SDK_IDP_ID,
          idTokenFile: env.HUAWEICLOUD_SDK_ID_TOKEN_FILE,
          durationSeconds: 3_600,
        };
        steps.push({ name: 'OIDC', source: () => huaweiSource(account, oidc, region, deps, baseOf) });
      }
      steps.push({
        name: 'ECS metadata',
        source: () => huaweiSource(account, { source: 'metadata' }, region, deps, baseOf),
      });
      return new ChainCredential(`account ${account}`, steps);
    }
  }
}

/**
 * Runs an exchange signed by `base`; when the exchange refuses the base credential as expired or
 * unknown, the base is renewed and the exchange tried once more with the new one.
 */
async function withBase<B, T>(base: CredentialSource<B>, exchange: (credential: B) => Promise<T>): Promise<T> {
  const used = await base.get();
  try {
    return await exchange(used);
  } catch (err) {
    if (!isJobError(err) || err.code !== 'PROVIDER_AUTH_FAILED') throw err;
    base.invalidate(used);
    const renewed = await base.get();
    if (renewed === used) throw err;
    return exchange(renewed);
  }
}

function renewalOptions(deps: AccountSourceDeps, account: string) {
  const report = deps.onRenewal;
  return {
    settings: deps.settings,
    ...(deps.now ? { now: deps.now } : {}),
    ...(report ? { onRenewal: (r: RenewalResult) => report(account, r) } : {}),
  };
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/**
 * A credential made of files (mounted Secrets): re-read when they change, at once after the
 * provider refused what was read. The same object is handed out while nothing changed, so a
 * refusal of an old value is told from one of the current.
 */
class FileCredential<T> implements CredentialSource<T> {
  #last: { parts: string[]; value: T } | null = null;
  #failure: { code: string; message: string } | null = null;
  #reads = 0;

  constructor(
    private readonly readers: readonly SecretReader[],
    private readonly assemble: (parts: (string | undefined)[]) => T,
  ) {}

  async get(): Promise<T> {
    try {
      const parts = await Promise.all(this.readers.map((r) => r.read()));
      this.#failure = null;
      if (this.#last && parts.every((p, i) => p === this.#last?.parts[i])) return this.#last.value;
      this.#last = { parts, value: this.assemble(parts) };
      this.#reads++;
      return this.#last.value;
    } catch (err) {
      if (isJobError(err)) this.#failure = { code: err.code, message: err.message };
      throw err;
    }
  }

  invalidate(used: T): void {
    if (this.#last?.value === used) for (const r of this.readers) r.reload();
  }

  health() {
    return { ok: this.#failure === null, ...(this.#failure ? { error: this.#failure } : {}), obtained: this.#reads };
  }
}
