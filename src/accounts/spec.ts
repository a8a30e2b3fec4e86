/**
 * The accounts file (`JOBS_ACCOUNTS_FILE`, YAML or JSON): named accounts per cloud, each with a
 * credential source. Parsed and validated here into {@link AccountSpec}s; `{ env: NAME }` values
 * are resolved from the environment config.ts was given, `{ file: PATH }` values stay paths (their
 * content is read when used, and re-read when it changes). README "Production credentials" is the
 * reference; field names follow the vendors' SDK settings they replace.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Cloud } from '../providers/types.js';

/** A credential value: written literally, or read from a file (re-read when it changes). */
export type SecretSource = { value: string } | { file: string };

export type AlibabaCredentialSpec =
  | { source: 'static'; accessKeyId: SecretSource; accessKeySecret: SecretSource; securityToken?: SecretSource }
  /** ACK RRSA: STS AssumeRoleWithOIDC with the pod's projected service-account token. */
  | {
      source: 'oidc';
      roleArn: string;
      oidcProviderArn: string;
      oidcTokenFile: string;
      sessionName: string;
      durationSeconds: number;
    }
  /** STS AssumeRole into a RAM role (usually of another account), with `base`'s credentials. */
  | {
      source: 'assume-role';
      roleArn: string;
      externalId?: SecretSource;
      /** Another configured Alibaba account's name, or `chain` (the vendor's default chain). */
      base: string;
      sessionName: string;
      durationSeconds: number;
    }
  /** The ECS instance RAM role, from the metadata service (IMDSv2). */
  | { source: 'ecs-ram-role'; roleName?: string }
  /** The vendor's default chain: env AccessKey → RRSA env → credentials/CLI profile files → ECS metadata. */
  | { source: 'chain' };

export type HuaweiCredentialSpec =
  | { source: 'static'; ak: SecretSource; sk: SecretSource; securityToken?: SecretSource }
  /** A static IAM token (`X-Auth-Token`), usually a file a sidecar rewrites. */
  | { source: 'token'; token: SecretSource }
  /** CCE workload identity: the projected ID token → IAM token → temporary AK/SK. */
  | { source: 'oidc'; idpId: string; idTokenFile: string; durationSeconds: number }
  /** An agency of another account, assumed through IAM with `base`'s credentials. */
  | {
      source: 'agency';
      agencyName: string;
      /** The account that owns the agency: its domain name or id. */
      domainName?: string;
      domainId?: string;
      base: string;
      durationSeconds: number;
    }
  /** The ECS/CCE node's agency keys from the metadata service. */
  | { source: 'metadata' }
  /** env AK/SK → OIDC env → metadata. */
  | { source: 'chain' };

/** An account's own provider limits, over the configuration's defaults (src/quotas). */
export interface QuotaOverride {
  ratePerSec?: number;
  burst?: number;
  /** null: no daily budget for this account. */
  dailyBudget?: number | null;
}

interface AccountCommon {
  /** What `JobRef.account` names: 1-32 of a-z 0-9 -. */
  name: string;
  /** Per provider of the account's cloud, e.g. `{ DATAWORKS: { ratePerSec: 50, dailyBudget: null } }`. */
  quotas?: Readonly<Partial<Record<string, QuotaOverride>>>;
  /** Used when a ref names no account (at most one per cloud). */
  default: boolean;
  /** Region a ref without one gets; null: refs must name a region. */
  defaultRegion: string | null;
}

export type AccountSpec =
  | (AccountCommon & { cloud: 'alibaba'; credentials: AlibabaCredentialSpec | null })
  | (AccountCommon & {
      cloud: 'huawei';
      /** Region → project id; other regions are looked up in IAM (read-only). */
      projects: Readonly<Record<string, string>>;
      credentials: HuaweiCredentialSpec | null;
    });

/** The name a ref gets without an accounts file, and that names the cloud's default everywhere. */
export const DEFAULT_ACCOUNT_NAME = 'default';

/** "an alibaba" / "a huawei", for messages. */
export function withArticle(cloud: Cloud): string {
  return cloud === 'alibaba' ? `an ${cloud}` : `a ${cloud}`;
}

export const ACCOUNT_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** Patterns shared with refs.ts (kept here so this module imports no resolver code). */
export interface AccountPatterns {
  region: RegExp;
  project: RegExp;
}

type Env = Record<string, string | undefined>;

/** What a field name looks like: short camelCase words or a provider name, never a key id, secret or token. */
const FIELD_NAME = /^(?:[a-z][a-zA-Z]{0,31}|DATAWORKS|NLB|CFW|DLI|WORKSPACE)$/;

export class AccountsFileError extends Error {
  override readonly name = 'AccountsFileError';
}

/**
 * Parses and validates an accounts file's text.
 * @throws AccountsFileError naming the field at fault, its account by position in the list (schema
 * errors) or by name (consistency errors), and never a secret value.
 */
export function parseAccountsFile(text: string, env: Env, patterns: AccountPatterns): AccountSpec[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    // Position and code only: the parser's message quotes the source, which may be a secret.
    const e = err as { code?: unknown; linePos?: { line: number; col: number }[] };
    const at = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new AccountsFileError(`not valid YAML or JSON (${typeof e.code === 'string' ? e.code : 'syntax'}${at})`);
  }
  const schema = fileSchema(env, patterns);
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(file)';
    // zod quotes unknown keys; a secret pasted as a key must not be echoed to the logs.
    const message =
      issue?.code === 'unrecognized_keys' && !issue.keys.every((k) => FIELD_NAME.test(k))
        ? 'a key that is not a field name (not shown: it may be a value pasted in the wrong place)'
        : (issue?.message ?? 'invalid');
    throw new AccountsFileError(`${where}: ${message}`);
  }
  const accounts = parsed.data.accounts as AccountSpec[];
  checkConsistency(accounts);
  return accounts;
}

function checkConsistency(accounts: readonly AccountSpec[]): void {
  const byName = new Map<string, AccountSpec>();
  for (const a of accounts) {
    if (byName.has(a.name)) throw new AccountsFileError(`accounts: the name "${a.name}" is used twice`);
    byName.set(a.name, a);
  }
  for (const cloud of ['alibaba', 'huawei'] as Cloud[]) {
    const defaults = accounts.filter((a) => a.cloud === cloud && a.default);
    if (defaults.length > 1) {
      throw new AccountsFileError(
        `accounts: at most one ${cloud} account may be the default (${defaults.map((a) => a.name).join(', ')})`,
      );
    }
  }
  // An assume-role/agency base must be another account of the same cloud, and bases must not loop.
  for (const a of accounts) {
    const seen = new Set<string>([a.name]);
    let current: AccountSpec = a;
    for (;;) {
      const base = baseOf(current);
      if (base === null || base === 'chain') break;
      const next = byName.get(base);
      if (!next) throw new AccountsFileError(`accounts.${current.name}.credentials.base: no account named "${base}"`);
      if (next.cloud !== current.cloud) {
        throw new AccountsFileError(
          `accounts.${current.name}.credentials.base: "${base}" is ${withArticle(next.cloud)} account, not ${current.cloud}`,
        );
      }
      if (seen.has(base)) throw new AccountsFileError(`accounts.${a.name}.credentials.base: the bases form a loop`);
      seen.add(base);
      current = next;
    }
  }
}

function baseOf(a: AccountSpec): string | null {
  const c = a.credentials;
  if (!c) return null;
  return c.source === 'assume-role' || c.source === 'agency' ? c.base : null;
}

function fileSchema(env: Env, patterns: AccountPatterns) {
  /**
   * A literal, `{ env: NAME }` (resolved now) or `{ file: PATH }`. One transform rather than a
   * union, so the error says which variable is missing instead of zod's "Invalid input".
   */
  const secret = z.unknown().transform((v, ctx): SecretSource => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (typeof v === 'string') return v.length > 0 ? { value: v } : fail('must not be empty');
    const keys = v !== null && typeof v === 'object' ? Object.keys(v) : [];
    if (keys.length === 1 && keys[0] === 'env') {
      const name = (v as { env: unknown }).env;
      if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        return fail('env: expected a variable name');
      }
      const value = env[name]?.trim();
      return value ? { value } : fail(`environment variable ${name} is not set`);
    }
    if (keys.length === 1 && keys[0] === 'file') {
      const path = (v as { file: unknown }).file;
      return typeof path === 'string' && path.length > 0 ? { file: path } : fail('file: expected a path');
    }
    return fail('expected a value, { env: NAME } or { file: PATH }');
  });
  /** A plain setting: a literal or `{ env: NAME }`, falling back to `fallbackVar` when omitted. */
  const setting = (fallbackVar: string | null, pattern?: RegExp, hint?: string) =>
    z
      .union([z.string().min(1), z.object({ env: z.string().min(1) }).strict()])
      .optional()
      .transform((v, ctx) => {
        const value = typeof v === 'string' ? v : v ? env[v.env]?.trim() : fallbackVar ? env[fallbackVar]?.trim() : '';
        if (!value) {
          const from = typeof v === 'object' ? `environment variable ${v.env}` : fallbackVar;
          ctx.addIssue({ code: 'custom', message: from ? `required (set it, or ${from})` : 'required' });
          return z.NEVER;
        }
        if (pattern && !pattern.test(value)) {
          ctx.addIssue({ code: 'custom', message: `expected ${hint ?? pattern.source}` });
          return z.NEVER;
        }
        return value;
      });
  const duration = z.number().int().min(900).max(43_200).default(3_600);
  const sessionName = z
    .string()
    .regex(/^[\w.@-]{2,64}$/, 'expected 2-64 characters of letters, digits and _.@-')
    .default('jobs-subgraph');
  const roleArnPattern = /^acs:ram::\d+:role\/[\w.@-]+$/;
  const roleArnHint = 'acs:ram::<account id>:role/<name>';
  // Only RRSA falls back to ALIBABA_CLOUD_ROLE_ARN (the pod's own role, as the vendor's chain
  // does); an assume-role account must name its target, or on ACK it would assume the pod's role.
  const rrsaRoleArn = setting('ALIBABA_CLOUD_ROLE_ARN', roleArnPattern, roleArnHint);
  const targetRoleArn = setting(null, roleArnPattern, roleArnHint);

  const alibaba = z.discriminatedUnion('source', [
    z
      .object({
        source: z.literal('static'),
        accessKeyId: secret,
        accessKeySecret: secret,
        securityToken: secret.optional(),
      })
      .strict(),
    z
      .object({
        source: z.literal('oidc'),
        roleArn: rrsaRoleArn,
        oidcProviderArn: setting('ALIBABA_CLOUD_OIDC_PROVIDER_ARN'),
        oidcTokenFile: setting('ALIBABA_CLOUD_OIDC_TOKEN_FILE'),
        sessionName,
        durationSeconds: duration,
      })
      .strict(),
    z
      .object({
        source: z.literal('assume-role'),
        roleArn: targetRoleArn,
        externalId: secret.optional(),
        base: z.string().min(1),
        sessionName,
        durationSeconds: duration,
      })
      .strict(),
    z
      .object({
        source: z.literal('ecs-ram-role'),
        roleName: z
          .string()
          .regex(/^[\w.@-]{1,64}$/)
          .optional(),
      })
      .strict(),
    z.object({ source: z.literal('chain') }).strict(),
  ]);
  const huawei = z.discriminatedUnion('source', [
    z.object({ source: z.literal('static'), ak: secret, sk: secret, securityToken: secret.optional() }).strict(),
    z.object({ source: z.literal('token'), token: secret }).strict(),
    z
      .object({
        source: z.literal('oidc'),
        idpId: setting('HUAWEICLOUD_SDK_IDP_ID'),
        idTokenFile: setting('HUAWEICLOUD_SDK_ID_TOKEN_FILE'),
        durationSeconds: duration,
      })
      .strict(),
    z
      .object({
        source: z.literal('agency'),
        agencyName: z.string().min(1).max(64),
        domainName: z.string().min(1).max(64).optional(),
        domainId: z
          .string()
          .regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex characters')
          .optional(),
        base: z.string().min(1),
        durationSeconds: duration,
      })
      .strict()
      .refine((o) => Boolean(o.domainName) !== Boolean(o.domainId), 'set exactly one of domainName and domainId'),
    z.object({ source: z.literal('metadata') }).strict(),
    z.object({ source: z.literal('chain') }).strict(),
  ]);
  const quota = z
    .object({
      ratePerSec: z.number().int().min(2).max(100_000).optional(),
      burst: z.number().int().min(1).max(100_000).optional(),
      dailyBudget: z.number().int().min(1).max(1_000_000_000).nullable().optional(),
    })
    .strict()
    .refine((q) => q.burst === undefined || q.ratePerSec === undefined || q.burst <= q.ratePerSec, {
      message: 'burst must be <= ratePerSec',
    });
  const quotasOf = (providers: [string, ...string[]]) => z.partialRecord(z.enum(providers), quota).optional();
  const common = {
    name: z.string().regex(ACCOUNT_NAME_PATTERN, 'expected 1-32 characters of a-z, 0-9 and -'),
    default: z.boolean().default(false),
    defaultRegion: z.string().regex(patterns.region, 'expected a region id like cn-hangzhou').nullable().default(null),
  };
  const account = z.discriminatedUnion('cloud', [
    z
      .object({ ...common, cloud: z.literal('alibaba'), quotas: quotasOf(['DATAWORKS', 'NLB']), credentials: alibaba })
      .strict(),
    z
      .object({
        ...common,
        cloud: z.literal('huawei'),
        quotas: quotasOf(['CFW', 'DLI', 'WORKSPACE']),
        // Keys checked by hand: zod reports a bad record key only as "Invalid key in record".
        projects: z
          .record(z.string(), z.string().regex(patterns.project, 'expected 32 lowercase hex characters'))
          .superRefine((projects, ctx) => {
            for (const region of Object.keys(projects)) {
              if (!patterns.region.test(region)) {
                ctx.addIssue({ code: 'custom', path: [region], message: 'expected region ids like cn-north-4' });
              }
            }
          })
          .default({}),
        credentials: huawei,
      })
      .strict(),
  ]);
  return z.object({ accounts: z.array(account).min(1, 'list at least one account') }).strict();
}
