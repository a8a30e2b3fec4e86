/**
 * The simulated clouds' identity plane, shared by every fake of one simulator: which accounts
 * exist, their permanent keys, the roles/agencies and OIDC trust that STS and IAM honour, and every
 * temporary credential or IAM token issued so far with its expiry. Provider fakes ask it who signed
 * a request (and whether that credential has expired); the STS, IAM and metadata fakes issue into
 * it. Nothing here imports client code: the fakes judge requests with their own rules.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** An Alibaba AccessKey the gateway knows: a RAM user's permanent pair, or one STS issued. */
export interface AlibabaKeyRecord {
  /** The Alibaba account (UID) whose resources the key reads. */
  account: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Present for STS credentials: the gateway requires it with the key. */
  securityToken?: string;
  /** Epoch ms; STS credentials only. */
  expiresAt?: number;
}

/** A Huawei AK/SK: an IAM user's permanent pair, or a temporary one with its security token. */
export interface HuaweiKeyRecord {
  /** The Huawei account (domain id) the key belongs to. */
  domainId: string;
  ak: string;
  sk: string;
  securityToken?: string;
  expiresAt?: number;
}

/** An IAM token (`X-Subject-Token`), scoped to a project or unscoped. */
export interface HuaweiTokenRecord {
  domainId: string;
  token: string;
  expiresAt: number;
  /** Project the token is scoped to; null for an unscoped (federation) token. */
  projectId: string | null;
}

export interface AlibabaRoleRecord {
  /** `acs:ram::<account>:role/<name>`. */
  arn: string;
  account: string;
  /** When set, AssumeRole must pass exactly this ExternalId. */
  externalId?: string;
  /** Accounts whose credentials may call AssumeRole into this role. */
  trustedAccounts: readonly string[];
  /** OIDC provider ARN whose tokens may call AssumeRoleWithOIDC into this role. */
  oidcProviderArn?: string;
}

export interface HuaweiDomainRecord {
  domainId: string;
  domainName: string;
  /** Region → project id; IAM's `GET /v3/projects?name=` answers from this. */
  projects: Readonly<Record<string, string>>;
}

export interface HuaweiAgencyRecord {
  /** Domain that owns the agency (whose resources it reads). */
  domainId: string;
  agencyName: string;
  /** Domain allowed to assume it. */
  trustedDomainId: string;
}

export interface SimulatedIdentitiesOptions {
  /** Clock in epoch ms (expiry checks). @default Date.now */
  now?: () => number;
  /**
   * Lifetime of every temporary credential and token issued, in ms, whatever duration a caller
   * asks for (tests make it a few seconds to watch refreshes). @default 3_600_000
   */
  credentialTtlMs?: number;
}

export class SimulatedIdentities {
  readonly now: () => number;
  /** Lifetime of what STS/IAM/metadata issue; tests may change it between calls. */
  credentialTtlMs: number;

  readonly #alibabaKeys = new Map<string, AlibabaKeyRecord>();
  readonly #alibabaRoles = new Map<string, AlibabaRoleRecord>();
  /** OIDC provider ARN → tokens it accepts (a projected service-account token's content). */
  readonly #alibabaOidc = new Map<string, Set<string>>();
  /** ECS instance RAM role name → account (what the metadata service hands out). */
  readonly #alibabaEcsRoles = new Map<string, string>();

  readonly #huaweiKeys = new Map<string, HuaweiKeyRecord>();
  readonly #huaweiTokens = new Map<string, HuaweiTokenRecord>();
  readonly #huaweiDomains = new Map<string, HuaweiDomainRecord>();
  readonly #huaweiAgencies: HuaweiAgencyRecord[] = [];
  /** Identity provider id → (ID token → domain id it maps to). */
  readonly #huaweiIdps = new Map<string, Map<string, string>>();
  /** Domain whose agency the ECS metadata service hands temporary keys for; null: none bound. */
  huaweiMetadataDomain: string | null = null;

  constructor(options: SimulatedIdentitiesOptions = {}) {
    this.now = options.now ?? Date.now;
    this.credentialTtlMs = options.credentialTtlMs ?? 3_600_000;
  }

  // ---- Alibaba -------------------------------------------------------------------------------

  /** Registers a RAM user's permanent AccessKey in `account`. */
  addAlibabaKey(account: string, accessKeyId: string, accessKeySecret: string): void {
    this.#alibabaKeys.set(accessKeyId, { account, accessKeyId, accessKeySecret });
  }

  addAlibabaRole(role: Omit<AlibabaRoleRecord, 'account'>): AlibabaRoleRecord {
    const m = /^acs:ram::(\d+):role\/[\w.@-]+$/.exec(role.arn);
    if (!m) throw new Error(`not a RAM role ARN: ${role.arn}`);
    const record = { ...role, account: m[1] as string };
    this.#alibabaRoles.set(role.arn.toLowerCase(), record);
    return record;
  }

  alibabaRole(arn: string): AlibabaRoleRecord | undefined {
    return this.#alibabaRoles.get(arn.toLowerCase());
  }

  /** Lets `oidcProviderArn` vouch for requests carrying exactly `token`. */
  trustAlibabaOidcToken(oidcProviderArn: string, token: string): void {
    let tokens = this.#alibabaOidc.get(oidcProviderArn);
    if (!tokens) this.#alibabaOidc.set(oidcProviderArn, (tokens = new Set()));
    tokens.add(token);
  }

  /** Stops accepting a token (a rotated projected token's predecessor). */
  distrustAlibabaOidcToken(oidcProviderArn: string, token: string): void {
    this.#alibabaOidc.get(oidcProviderArn)?.delete(token);
  }

  alibabaOidcAccepts(oidcProviderArn: string, token: string): boolean {
    return this.#alibabaOidc.get(oidcProviderArn)?.has(token) ?? false;
  }

  /** Binds an instance RAM role (the metadata service's `ram/security-credentials/<role>`). */
  addAlibabaEcsRole(roleName: string, account: string): void {
    this.#alibabaEcsRoles.set(roleName, account);
  }

  alibabaEcsRoles(): ReadonlyMap<string, string> {
    return this.#alibabaEcsRoles;
  }

  /** Issues an STS credential for `account`, living `credentialTtlMs`. */
  issueAlibabaSts(account: string): AlibabaKeyRecord {
    const record: AlibabaKeyRecord = {
      account,
      accessKeyId: `STS.${randomBytes(12).toString('base64url')}`,
      accessKeySecret: randomBytes(24).toString('base64url'),
      securityToken: `CAIS${randomBytes(48).toString('base64url')}`,
      expiresAt: this.now() + this.credentialTtlMs,
    };
    this.#alibabaKeys.set(record.accessKeyId, record);
    return record;
  }

  alibabaKey(accessKeyId: string): AlibabaKeyRecord | undefined {
    return this.#alibabaKeys.get(accessKeyId);
  }

  /** Revokes a key (a rotated-out AccessKey): the gateway no longer knows it. */
  removeAlibabaKey(accessKeyId: string): void {
    this.#alibabaKeys.delete(accessKeyId);
  }

  // ---- Huawei --------------------------------------------------------------------------------

  addHuaweiDomain(domain: HuaweiDomainRecord): void {
    this.#huaweiDomains.set(domain.domainId, domain);
  }

  huaweiDomain(domainId: string): HuaweiDomainRecord | undefined {
    return this.#huaweiDomains.get(domainId);
  }

  huaweiDomainByName(domainName: string): HuaweiDomainRecord | undefined {
    for (const d of this.#huaweiDomains.values()) if (d.domainName === domainName) return d;
    return undefined;
  }

  /** The domain owning a project id (provider fakes check that a key may read that project). */
  huaweiDomainOfProject(projectId: string): HuaweiDomainRecord | undefined {
    for (const d of this.#huaweiDomains.values()) if (Object.values(d.projects).includes(projectId)) return d;
    return undefined;
  }

  /** Registers an IAM user's permanent AK/SK in `domainId`. */
  addHuaweiKey(domainId: string, ak: string, sk: string): void {
    this.#huaweiKeys.set(ak, { domainId, ak, sk });
  }

  huaweiKey(ak: string): HuaweiKeyRecord | undefined {
    return this.#huaweiKeys.get(ak);
  }

  removeHuaweiKey(ak: string): void {
    this.#huaweiKeys.delete(ak);
  }

  /**
   * Every secret value this plane holds or issued (secret keys, security tokens, IAM tokens,
   * trusted OIDC/ID tokens): what a leak test searches logs, answers and metrics for.
   */
  secrets(): string[] {
    const out: string[] = [];
    for (const k of this.#alibabaKeys.values())
      out.push(k.accessKeySecret, ...(k.securityToken ? [k.securityToken] : []));
    for (const k of this.#huaweiKeys.values()) out.push(k.sk, ...(k.securityToken ? [k.securityToken] : []));
    for (const t of this.#huaweiTokens.keys()) out.push(t);
    for (const tokens of this.#alibabaOidc.values()) out.push(...tokens);
    for (const tokens of this.#huaweiIdps.values()) out.push(...tokens.keys());
    return out;
  }

  addHuaweiAgency(agency: HuaweiAgencyRecord): void {
    this.#huaweiAgencies.push(agency);
  }

  huaweiAgency(domainId: string, agencyName: string): HuaweiAgencyRecord | undefined {
    return this.#huaweiAgencies.find((a) => a.domainId === domainId && a.agencyName === agencyName);
  }

  /** Lets identity provider `idpId` exchange exactly `idToken` for tokens of `domainId`. */
  trustHuaweiIdToken(idpId: string, idToken: string, domainId: string): void {
    let tokens = this.#huaweiIdps.get(idpId);
    if (!tokens) this.#huaweiIdps.set(idpId, (tokens = new Map()));
    tokens.set(idToken, domainId);
  }

  distrustHuaweiIdToken(idpId: string, idToken: string): void {
    this.#huaweiIdps.get(idpId)?.delete(idToken);
  }

  /** The domain an ID token maps to through `idpId`; undefined when not trusted. */
  huaweiIdTokenDomain(idpId: string, idToken: string): string | undefined {
    return this.#huaweiIdps.get(idpId)?.get(idToken);
  }

  /** Issues an IAM token living `credentialTtlMs`. */
  issueHuaweiToken(domainId: string, projectId: string | null): HuaweiTokenRecord {
    const record: HuaweiTokenRecord = {
      domainId,
      projectId,
      token: `MII${randomBytes(64).toString('base64url')}`,
      expiresAt: this.now() + this.credentialTtlMs,
    };
    this.#huaweiTokens.set(record.token, record);
    return record;
  }

  huaweiToken(token: string): HuaweiTokenRecord | undefined {
    return this.#huaweiTokens.get(token);
  }

  /** Issues a temporary AK/SK with security token living `credentialTtlMs`. */
  issueHuaweiTemporaryKey(domainId: string): HuaweiKeyRecord {
    const record: HuaweiKeyRecord = {
      domainId,
      ak: randomUUID().replaceAll('-', '').slice(0, 20).toUpperCase(),
      sk: randomBytes(30).toString('base64url'),
      securityToken: `gQpjbi1ub3J0aC00${randomBytes(96).toString('base64url')}`,
      expiresAt: this.now() + this.credentialTtlMs,
    };
    this.#huaweiKeys.set(record.ak, record);
    return record;
  }
}
