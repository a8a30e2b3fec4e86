import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_NAME_PATTERN,
  AccountsFileError,
  DEFAULT_ACCOUNT_NAME,
  parseAccountsFile,
  type AccountSpec,
} from '../../src/accounts/spec.js';
import { HUAWEI_PROJECT_PATTERN, REGION_PATTERN } from '../../src/refs.js';

/** The patterns config.ts passes (shared with ref resolution). */
const PATTERNS = { region: REGION_PATTERN, project: HUAWEI_PROJECT_PATTERN };
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const DOMAIN_ID = '0123456789abcdef0123456789abcdef';
const ROLE_ARN = 'acs:ram::1234567890123456:role/jobs-reader';
const RRSA_ENV = {
  ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::1000000000000001:role/rrsa-role',
  ALIBABA_CLOUD_OIDC_PROVIDER_ARN: 'acs:ram::1000000000000001:oidc-provider/ack-rrsa',
  ALIBABA_CLOUD_OIDC_TOKEN_FILE: '/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token',
};

type Env = Record<string, string | undefined>;

function parse(text: string, env: Env = {}): AccountSpec[] {
  return parseAccountsFile(text, env, PATTERNS);
}

/** The AccountsFileError parsing throws (fails the test when it parses, or throws something else). */
function errorOf(text: string, env: Env = {}): AccountsFileError {
  try {
    parse(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(AccountsFileError);
    return err as AccountsFileError;
  }
  throw new Error('expected the accounts file to be rejected');
}

/** A file of accounts written as JSON (which is YAML). */
function file(...accounts: object[]): string {
  return JSON.stringify({ accounts });
}

const aliChain = (name: string, extra: object = {}) => ({
  name,
  cloud: 'alibaba',
  ...extra,
  credentials: { source: 'chain' },
});
const hwChain = (name: string, extra: object = {}) => ({
  name,
  cloud: 'huawei',
  ...extra,
  credentials: { source: 'chain' },
});
const assumeRole = (name: string, base: string) => ({
  name,
  cloud: 'alibaba',
  credentials: { source: 'assume-role', roleArn: ROLE_ARN, base },
});
const agency = (name: string, base: string) => ({
  name,
  cloud: 'huawei',
  credentials: { source: 'agency', agencyName: 'jobs-reader', domainName: 'other-domain', base },
});

describe('parseAccountsFile: a valid file', () => {
  const ENV = {
    ALI_SECRET: 'ali-secret-from-env',
    EXTERNAL_ID: 'external-id-from-env',
    HW_STS: 'hw-security-token-from-env',
  };
  const YAML = `
# Every credential source of both clouds, values written literally, as { env } and as { file }.
accounts:
  - name: ali-static
    cloud: alibaba
    default: true
    defaultRegion: cn-hangzhou
    credentials:
      source: static
      accessKeyId: FAKEliteralKeyId
      accessKeySecret: { env: ALI_SECRET }
      securityToken: { file: /run/secrets/ali-sts-token }
  - name: ali-oidc
    cloud: alibaba
    credentials:
      source: oidc
      roleArn: ${ROLE_ARN}
      oidcProviderArn: acs:ram::1234567890123456:oidc-provider/ack-rrsa
      oidcTokenFile: /var/run/secrets/tokens/oidc-token
      sessionName: jobs-oidc
      durationSeconds: 900
  - name: ali-assume
    cloud: alibaba
    defaultRegion: cn-shanghai
    credentials:
      source: assume-role
      roleArn: acs:ram::6543210987654321:role/cross-reader
      externalId: { env: EXTERNAL_ID }
      base: ali-oidc
      sessionName: cross.session@jobs
      durationSeconds: 43200
  - name: ali-ecs
    cloud: alibaba
    credentials: { source: ecs-ram-role, roleName: EcsJobsRole }
  - name: ali-ecs-default-role
    cloud: alibaba
    credentials: { source: ecs-ram-role }
  - name: ali-chain
    cloud: alibaba
    credentials: { source: chain }
  - name: hw-static
    cloud: huawei
    default: true
    defaultRegion: cn-north-4
    projects:
      cn-north-4: ${PROJECT}
      ap-southeast-1: ffffffffffffffffffffffffffffffff
    credentials:
      source: static
      ak: HWLITERALAK
      sk: { file: /run/secrets/hw-sk }
      securityToken: { env: HW_STS }
  - name: hw-token
    cloud: huawei
    credentials: { source: token, token: { file: /run/secrets/iam-token } }
  - name: hw-oidc
    cloud: huawei
    credentials:
      source: oidc
      idpId: cce-idp
      idTokenFile: /var/run/secrets/tokens/id-token
      durationSeconds: 7200
  - name: hw-agency
    cloud: huawei
    credentials: { source: agency, agencyName: jobs-reader, domainName: staging-domain, base: hw-static }
  - name: hw-agency-by-id
    cloud: huawei
    credentials: { source: agency, agencyName: jobs-reader, domainId: ${DOMAIN_ID}, base: chain, durationSeconds: 1800 }
  - name: hw-metadata
    cloud: huawei
    credentials: { source: metadata }
  - name: hw-chain
    cloud: huawei
    credentials: { source: chain }
`;

  it('turns every credential source of both clouds into specs, in file order, with defaults filled in', () => {
    expect(parse(YAML, ENV)).toEqual([
      {
        name: 'ali-static',
        cloud: 'alibaba',
        default: true,
        defaultRegion: 'cn-hangzhou',
        credentials: {
          source: 'static',
          accessKeyId: { value: 'FAKEliteralKeyId' },
          accessKeySecret: { value: 'ali-secret-from-env' },
          securityToken: { file: '/run/secrets/ali-sts-token' },
        },
      },
      {
        name: 'ali-oidc',
        cloud: 'alibaba',
        default: false,
        defaultRegion: null,
        credentials: {
          source: 'oidc',
          roleArn: ROLE_ARN,
          oidcProviderArn: 'acs:ram::1234567890123456:oidc-provider/ack-rrsa',
          oidcTokenFile: '/var/run/secrets/tokens/oidc-token',
          sessionName: 'jobs-oidc',
          durationSeconds: 900,
        },
      },
      {
        name: 'ali-assume',
        cloud: 'alibaba',
        default: false,
        defaultRegion: 'cn-shanghai',
        credentials: {
          source: 'assume-role',
          roleArn: 'acs:ram::6543210987654321:role/cross-reader',
          externalId: { value: 'external-id-from-env' },
          base: 'ali-oidc',
          sessionName: 'cross.session@jobs',
          durationSeconds: 43200,
        },
      },
      {
        name: 'ali-ecs',
        cloud: 'alibaba',
        default: false,
        defaultRegion: null,
        credentials: { source: 'ecs-ram-role', roleName: 'EcsJobsRole' },
      },
      {
        name: 'ali-ecs-default-role',
        cloud: 'alibaba',
        default: false,
        defaultRegion: null,
        credentials: { source: 'ecs-ram-role' },
      },
      { name: 'ali-chain', cloud: 'alibaba', default: false, defaultRegion: null, credentials: { source: 'chain' } },
      {
        name: 'hw-static',
        cloud: 'huawei',
        default: true,
        defaultRegion: 'cn-north-4',
        projects: { 'cn-north-4': PROJECT, 'ap-southeast-1': 'ffffffffffffffffffffffffffffffff' },
        credentials: {
          source: 'static',
          ak: { value: 'HWLITERALAK' },
          sk: { file: '/run/secrets/hw-sk' },
          securityToken: { value: 'hw-security-token-from-env' },
        },
      },
      {
        name: 'hw-token',
        cloud: 'huawei',
        default: false,
        defaultRegion: null,
        projects: {},
        credentials: { source: 'token', token: { file: '/run/secrets/iam-token' } },
      },
      {
        name: 'hw-oidc',
        cloud: 'huawei',
        default: false,
        defaultRegion: null,
        projects: {},
        credentials: {
          source: 'oidc',
          idpId: 'cce-idp',
          idTokenFile: '/var/run/secrets/tokens/id-token',
          durationSeconds: 7200,
        },
      },
      {
        name: 'hw-agency',
        cloud: 'huawei',
        default: false,
        defaultRegion: null,
        projects: {},
        credentials: {
          source: 'agency',
          agencyName: 'jobs-reader',
          domainName: 'staging-domain',
          base: 'hw-static',
          durationSeconds: 3600,
        },
      },
      {
        name: 'hw-agency-by-id',
        cloud: 'huawei',
        default: false,
        defaultRegion: null,
        projects: {},
        credentials: {
          source: 'agency',
          agencyName: 'jobs-reader',
          domainId: DOMAIN_ID,
          base: 'chain',
          durationSeconds: 1800,
        },
      },
      {
        name: 'hw-metadata',
        cloud: 'huawei',
        default: false,
        defaultRegion: null,
        projects: {},
        credentials: { source: 'metadata' },
      },
      {
        name: 'hw-chain',
        cloud: 'huawei',
        default: false,
        defaultRegion: null,
        projects: {},
        credentials: { source: 'chain' },
      },
    ]);
  });

  it('accepts the same file written as JSON', () => {
    const asJson = JSON.stringify(
      {
        accounts: [
          {
            name: 'ali-json',
            cloud: 'alibaba',
            default: true,
            defaultRegion: 'cn-hangzhou',
            credentials: { source: 'static', accessKeyId: 'id', accessKeySecret: { env: 'ALI_SECRET' } },
          },
          {
            name: 'hw-json',
            cloud: 'huawei',
            projects: { 'cn-north-4': PROJECT },
            credentials: { source: 'token', token: { file: '/run/secrets/iam-token' } },
          },
        ],
      },
      null,
      2,
    );
    expect(parse(asJson, ENV)).toEqual([
      {
        name: 'ali-json',
        cloud: 'alibaba',
        default: true,
        defaultRegion: 'cn-hangzhou',
        credentials: {
          source: 'static',
          accessKeyId: { value: 'id' },
          accessKeySecret: { value: 'ali-secret-from-env' },
        },
      },
      {
        name: 'hw-json',
        cloud: 'huawei',
        default: false,
        defaultRegion: null,
        projects: { 'cn-north-4': PROJECT },
        credentials: { source: 'token', token: { file: '/run/secrets/iam-token' } },
      },
    ]);
  });

  it("parses the README's RRSA/CCE example with the variables ACK injects", () => {
    const readmeExample = `
accounts:
  - name: prod-ali
    cloud: alibaba
    default: true
    defaultRegion: cn-hangzhou
    credentials: { source: oidc }
  - name: bu-retail
    cloud: alibaba
    defaultRegion: cn-shanghai
    credentials:
      source: assume-role
      roleArn: acs:ram::1234567890123456:role/jobs-reader
      externalId: { env: RETAIL_EXTERNAL_ID }
      base: prod-ali
  - name: hw-main
    cloud: huawei
    default: true
    defaultRegion: cn-north-4
    projects: { cn-north-4: 0a1b2c3d4e5f60718293a4b5c6d7e8f9 }
    credentials:
      source: oidc
      idpId: cce-jobs-subgraph
      idTokenFile: /var/run/secrets/tokens/oidc-token
  - name: hw-staging
    cloud: huawei
    defaultRegion: cn-north-4
    credentials: { source: agency, domainName: staging-domain, agencyName: jobs-reader, base: hw-main }
`;
    const accounts = parse(readmeExample, { ...RRSA_ENV, RETAIL_EXTERNAL_ID: 'retail-ext' });
    expect(accounts.map((a) => `${a.cloud}:${a.name}:${a.credentials?.source}`)).toEqual([
      'alibaba:prod-ali:oidc',
      'alibaba:bu-retail:assume-role',
      'huawei:hw-main:oidc',
      'huawei:hw-staging:agency',
    ]);
    expect(accounts[0]?.credentials).toMatchObject({ roleArn: RRSA_ENV.ALIBABA_CLOUD_ROLE_ARN });
    expect(accounts[1]?.credentials).toMatchObject({ externalId: { value: 'retail-ext' } });
  });
});

describe('parseAccountsFile: credential values', () => {
  const staticAli = (accessKeyId: unknown, accessKeySecret: unknown = 'x') =>
    file({ name: 'a', cloud: 'alibaba', credentials: { source: 'static', accessKeyId, accessKeySecret } });
  const credentialsOf = (accounts: AccountSpec[]) => accounts[0]?.credentials as Record<string, unknown>;

  it('keeps a literal value as written', () => {
    expect(credentialsOf(parse(staticAli('LTAI-literal'))).accessKeyId).toEqual({ value: 'LTAI-literal' });
  });

  it('resolves { env: NAME } from the environment it is given, trimming surrounding whitespace', () => {
    expect(credentialsOf(parse(staticAli({ env: 'KEY_ID' }), { KEY_ID: '  id-from-env\n' })).accessKeyId).toEqual({
      value: 'id-from-env',
    });
  });

  it('reads { env: NAME } from its env argument only, not from process.env', () => {
    expect(process.env.PATH).toBeTruthy();
    expect(errorOf(staticAli({ env: 'PATH' }), {}).message).toMatch(/^accounts\.0\.credentials\.accessKeyId: /);
  });

  it.each([
    ['unset', {}],
    ['empty', { KEY_ID: '' }],
    ['only whitespace', { KEY_ID: '  \t ' }],
  ])('rejects { env: NAME } whose variable is %s, naming the field', (_, env) => {
    expect(errorOf(staticAli({ env: 'KEY_ID' }), env).message).toMatch(/^accounts\.0\.credentials\.accessKeyId: /);
  });

  it('keeps { file: PATH } as a path without reading it at parse time', () => {
    const missing = join(tmpdir(), 'no-such-dir-for-accounts-spec-test', 'secret');
    expect(credentialsOf(parse(staticAli({ file: missing }))).accessKeyId).toEqual({ file: missing });
  });

  describe('with a real secret file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accounts-spec-'));
    const path = join(dir, 'access-key-secret');
    writeFileSync(path, 'file-content-secret-1234\n');
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('never copies the file content into the spec', () => {
      const accounts = parse(staticAli('id', { file: path }));
      expect(credentialsOf(accounts).accessKeySecret).toEqual({ file: path });
      expect(JSON.stringify(accounts)).not.toContain('file-content-secret-1234');
    });
  });

  it.each([
    ['an empty string', ''],
    ['a number', 12345],
    ['a boolean', true],
    ['null', null],
    ['an object with an unknown key', { vault: 'kv/jobs' }],
    ['both env and file', { env: 'KEY_ID', file: '/run/secrets/x' }],
    ['an env name that is not a variable name', { env: '1-not-a-name' }],
    ['an empty file path', { file: '' }],
  ])('rejects %s as a credential value, naming the field', (_, value) => {
    expect(errorOf(staticAli(value), { KEY_ID: 'set' }).message).toMatch(/^accounts\.0\.credentials\.accessKeyId: /);
  });

  it('requires the mandatory credential fields of each source, naming the missing one', () => {
    expect(
      errorOf(file({ name: 'a', cloud: 'alibaba', credentials: { source: 'static', accessKeyId: 'id' } })).message,
    ).toMatch(/^accounts\.0\.credentials\.accessKeySecret: /);
    expect(errorOf(file({ name: 'h', cloud: 'huawei', credentials: { source: 'static', ak: 'ak' } })).message).toMatch(
      /^accounts\.0\.credentials\.sk: /,
    );
    expect(errorOf(file({ name: 'h', cloud: 'huawei', credentials: { source: 'token' } })).message).toMatch(
      /^accounts\.0\.credentials\.token: /,
    );
    expect(
      errorOf(file({ name: 'a', cloud: 'alibaba', credentials: { source: 'assume-role', roleArn: ROLE_ARN } })).message,
    ).toMatch(/^accounts\.0\.credentials\.base: /);
    expect(
      errorOf(file({ name: 'h', cloud: 'huawei', credentials: { source: 'agency', domainName: 'd', base: 'chain' } }))
        .message,
    ).toMatch(/^accounts\.0\.credentials\.agencyName: /);
  });
});

describe('parseAccountsFile: OIDC settings default from the variables ACK and CCE inject', () => {
  const aliOidc = (credentials: object = {}) =>
    file({ name: 'ack', cloud: 'alibaba', credentials: { source: 'oidc', ...credentials } });
  const hwOidc = (credentials: object = {}) =>
    file({ name: 'cce', cloud: 'huawei', credentials: { source: 'oidc', ...credentials } });

  it('takes roleArn, oidcProviderArn and oidcTokenFile from ALIBABA_CLOUD_* when absent', () => {
    expect(parse(aliOidc(), RRSA_ENV)[0]?.credentials).toEqual({
      source: 'oidc',
      roleArn: RRSA_ENV.ALIBABA_CLOUD_ROLE_ARN,
      oidcProviderArn: RRSA_ENV.ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
      oidcTokenFile: RRSA_ENV.ALIBABA_CLOUD_OIDC_TOKEN_FILE,
      sessionName: 'jobs-subgraph',
      durationSeconds: 3600,
    });
  });

  it('prefers a value written in the file over the variable', () => {
    const credentials = parse(
      aliOidc({ roleArn: ROLE_ARN, oidcTokenFile: '/custom/token', oidcProviderArn: 'acs:ram::1:oidc-provider/x' }),
      RRSA_ENV,
    )[0]?.credentials;
    expect(credentials).toMatchObject({
      roleArn: ROLE_ARN,
      oidcProviderArn: 'acs:ram::1:oidc-provider/x',
      oidcTokenFile: '/custom/token',
    });
  });

  it('mixes written fields with defaulted ones', () => {
    expect(parse(aliOidc({ oidcTokenFile: '/custom/token' }), RRSA_ENV)[0]?.credentials).toMatchObject({
      roleArn: RRSA_ENV.ALIBABA_CLOUD_ROLE_ARN,
      oidcProviderArn: RRSA_ENV.ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
      oidcTokenFile: '/custom/token',
    });
  });

  it('reads a setting written as { env: NAME } from that variable, trimmed', () => {
    expect(
      parse(aliOidc({ roleArn: { env: 'MY_ROLE' } }), { ...RRSA_ENV, MY_ROLE: ` ${ROLE_ARN} ` })[0]?.credentials,
    ).toMatchObject({ roleArn: ROLE_ARN });
  });

  it.each([
    ['roleArn', 'ALIBABA_CLOUD_ROLE_ARN'],
    ['oidcProviderArn', 'ALIBABA_CLOUD_OIDC_PROVIDER_ARN'],
    ['oidcTokenFile', 'ALIBABA_CLOUD_OIDC_TOKEN_FILE'],
  ])('rejects an absent %s without %s, naming the field and the variable', (field, variable) => {
    const message = errorOf(aliOidc(), { ...RRSA_ENV, [variable]: undefined }).message;
    expect(message).toMatch(new RegExp(`^accounts\\.0\\.credentials\\.${field}: `));
    expect(message).toContain(variable);
  });

  it('rejects a setting written as { env: NAME } whose variable is unset, naming the variable', () => {
    const message = errorOf(aliOidc({ oidcTokenFile: { env: 'TOKEN_PATH' } }), RRSA_ENV).message;
    expect(message).toMatch(/^accounts\.0\.credentials\.oidcTokenFile: /);
    expect(message).toContain('TOKEN_PATH');
  });

  it.each([
    ['written in the file', { roleArn: 'arn:aws:iam::1:role/x' }, RRSA_ENV],
    ['from ALIBABA_CLOUD_ROLE_ARN', {}, { ...RRSA_ENV, ALIBABA_CLOUD_ROLE_ARN: 'acs:ram::abc:role/x' }],
  ])('rejects a malformed roleArn %s, naming the expected form', (_, credentials, env) => {
    expect(errorOf(aliOidc(credentials), env).message).toBe(
      'accounts.0.credentials.roleArn: expected acs:ram::<account id>:role/<name>',
    );
  });

  it('takes idpId and idTokenFile from HUAWEICLOUD_SDK_* when absent', () => {
    const env = { HUAWEICLOUD_SDK_IDP_ID: 'cce-idp', HUAWEICLOUD_SDK_ID_TOKEN_FILE: '/var/run/secrets/tokens/id' };
    expect(parse(hwOidc(), env)[0]?.credentials).toEqual({
      source: 'oidc',
      idpId: 'cce-idp',
      idTokenFile: '/var/run/secrets/tokens/id',
      durationSeconds: 3600,
    });
    expect(parse(hwOidc({ idpId: 'written-idp' }), env)[0]?.credentials).toMatchObject({ idpId: 'written-idp' });
  });

  it.each([
    ['idpId', 'HUAWEICLOUD_SDK_IDP_ID'],
    ['idTokenFile', 'HUAWEICLOUD_SDK_ID_TOKEN_FILE'],
  ])('rejects an absent Huawei %s without %s, naming the field and the variable', (field, variable) => {
    const env = { HUAWEICLOUD_SDK_IDP_ID: 'cce-idp', HUAWEICLOUD_SDK_ID_TOKEN_FILE: '/t', [variable]: undefined };
    const message = errorOf(hwOidc(), env).message;
    expect(message).toMatch(new RegExp(`^accounts\\.0\\.credentials\\.${field}: `));
    expect(message).toContain(variable);
  });

  it('rejects an assume-role account without roleArn when no role variable is set, naming the field', () => {
    const text = file({ name: 'a', cloud: 'alibaba', credentials: { source: 'assume-role', base: 'chain' } });
    expect(errorOf(text).message).toMatch(/^accounts\.0\.credentials\.roleArn: /);
  });
});

describe('parseAccountsFile: other field rules', () => {
  const assume = (extra: object) =>
    file({
      name: 'a',
      cloud: 'alibaba',
      credentials: { source: 'assume-role', roleArn: ROLE_ARN, base: 'chain', ...extra },
    });

  it.each([900, 43200])('accepts durationSeconds %i', (durationSeconds) => {
    expect(parse(assume({ durationSeconds }))[0]?.credentials).toMatchObject({ durationSeconds });
  });

  it.each([899, 43201, 1800.5, '3600'])('rejects durationSeconds %j, naming the field', (durationSeconds) => {
    expect(errorOf(assume({ durationSeconds })).message).toMatch(/^accounts\.0\.credentials\.durationSeconds: /);
  });

  it.each(['x', 'has space', 'a'.repeat(65), 'slash/not-allowed'])('rejects sessionName %j', (sessionName) => {
    expect(errorOf(assume({ sessionName })).message).toBe(
      'accounts.0.credentials.sessionName: expected 2-64 characters of letters, digits and _.@-',
    );
  });

  it('rejects an ecs-ram-role roleName that is not a RAM role name', () => {
    const text = file({ name: 'a', cloud: 'alibaba', credentials: { source: 'ecs-ram-role', roleName: 'bad role' } });
    expect(errorOf(text).message).toMatch(/^accounts\.0\.credentials\.roleName: /);
  });

  it.each([
    ['neither domainName nor domainId', {}],
    ['both domainName and domainId', { domainName: 'd', domainId: DOMAIN_ID }],
  ])('rejects an agency with %s', (_, domain) => {
    const text = file({
      name: 'h',
      cloud: 'huawei',
      credentials: { source: 'agency', agencyName: 'jobs-reader', base: 'chain', ...domain },
    });
    expect(errorOf(text).message).toBe('accounts.0.credentials: set exactly one of domainName and domainId');
  });

  it('rejects an agency domainId that is not 32 lowercase hex characters', () => {
    const text = file({
      name: 'h',
      cloud: 'huawei',
      credentials: { source: 'agency', agencyName: 'jobs-reader', domainId: DOMAIN_ID.toUpperCase(), base: 'chain' },
    });
    expect(errorOf(text).message).toBe('accounts.0.credentials.domainId: expected 32 lowercase hex characters');
  });

  it('rejects a defaultRegion that is not a region id', () => {
    expect(errorOf(file(aliChain('a', { defaultRegion: 'Hangzhou' }))).message).toBe(
      'accounts.0.defaultRegion: expected a region id like cn-hangzhou',
    );
  });

  it('accepts an explicit null defaultRegion', () => {
    expect(parse(file(aliChain('a', { defaultRegion: null })))[0]?.defaultRegion).toBeNull();
  });

  it('rejects a default that is not a boolean', () => {
    expect(errorOf(file(aliChain('a', { default: 'yes' }))).message).toMatch(/^accounts\.0\.default: /);
  });

  it('maps Huawei regions to project ids, rejecting a malformed project id under its region', () => {
    expect(parse(file(hwChain('h', { projects: { 'cn-east-3': PROJECT } })))[0]).toMatchObject({
      projects: { 'cn-east-3': PROJECT },
    });
    expect(errorOf(file(hwChain('h', { projects: { 'cn-north-4': 'not-hex' } }))).message).toBe(
      'accounts.0.projects.cn-north-4: expected 32 lowercase hex characters',
    );
  });

  it('rejects a projects key that is not a region id, naming the key', () => {
    expect(errorOf(file(hwChain('h', { projects: { Beijing_4: PROJECT } }))).message).toMatch(
      /^accounts\.0\.projects\.Beijing_4: /,
    );
  });

  it('rejects projects on an Alibaba account', () => {
    expect(errorOf(file(aliChain('a', { projects: {} }))).message).toBe('accounts.0: Unrecognized key: "projects"');
  });
});

describe('parseAccountsFile: unknown or missing structure', () => {
  it('rejects an unknown top-level key', () => {
    expect(errorOf(JSON.stringify({ accounts: [aliChain('a')], version: 2 })).message).toMatch(
      /^\(file\): .*"version"/,
    );
  });

  it('rejects an unknown account field, naming it', () => {
    expect(errorOf(file(aliChain('a', { colour: 'red' }))).message).toBe('accounts.0: Unrecognized key: "colour"');
  });

  it('rejects an unknown credentials field, naming it', () => {
    const text = file({ name: 'a', cloud: 'alibaba', credentials: { source: 'chain', profile: 'dev' } });
    expect(errorOf(text).message).toBe('accounts.0.credentials: Unrecognized key: "profile"');
  });

  it("rejects a field of another source, even a valid one of the cloud's other sources", () => {
    const text = file({ name: 'a', cloud: 'alibaba', credentials: { source: 'ecs-ram-role', base: 'chain' } });
    expect(errorOf(text).message).toBe('accounts.0.credentials: Unrecognized key: "base"');
  });

  it.each([
    ['alibaba', 'magic'],
    ['alibaba', 'metadata'],
    ['alibaba', 'agency'],
    ['huawei', 'ecs-ram-role'],
    ['huawei', 'assume-role'],
  ])('rejects the %s source %j, naming credentials.source', (cloud, source) => {
    expect(errorOf(file({ name: 'x', cloud, credentials: { source } })).message).toMatch(
      /^accounts\.0\.credentials\.source: /,
    );
  });

  it('rejects credentials without a source', () => {
    const text = file({ name: 'a', cloud: 'alibaba', credentials: { accessKeyId: 'id', accessKeySecret: 's' } });
    expect(errorOf(text).message).toMatch(/^accounts\.0\.credentials\.source: /);
  });

  it('rejects an account without credentials', () => {
    expect(errorOf(file({ name: 'a', cloud: 'alibaba' })).message).toMatch(/^accounts\.0\.credentials: /);
  });

  it('rejects an unknown cloud', () => {
    expect(errorOf(file({ name: 'a', cloud: 'aws', credentials: { source: 'chain' } })).message).toMatch(
      /^accounts\.0\.cloud: /,
    );
  });

  it('locates a fault in a later account by its position in the list', () => {
    expect(errorOf(file(aliChain('a'), hwChain('b'), hwChain('c', { defaultRegion: 'x' }))).message).toMatch(
      /^accounts\.2\.defaultRegion: /,
    );
  });

  it.each([
    ['an empty file', '', '(file)'],
    ['a bare string', 'accounts', '(file)'],
    ['a list', '- name: a', '(file)'],
    ['a file without accounts', 'version: 1', 'accounts'],
  ])('rejects %s, saying where', (_, text, where) => {
    expect(errorOf(text).message.startsWith(`${where}: `)).toBe(true);
  });

  it('rejects an empty account list', () => {
    expect(errorOf('accounts: []').message).toBe('accounts: list at least one account');
  });

  it("rejects text that is neither YAML nor JSON with the parser's code and position, not its quote of the text", () => {
    const message = errorOf('accounts:\n  - name: "unterminated\n    cloud: alibaba\n').message;
    expect(message).toMatch(/^not valid YAML or JSON \([A-Z_]+ at line \d+, column \d+\)$/);
    expect(message).not.toContain('unterminated');
  });

  it('rejects duplicate keys in one mapping', () => {
    expect(errorOf('accounts:\n  - name: a\n    name: b\n    cloud: alibaba\n').message).toMatch(
      /^not valid YAML or JSON \(DUPLICATE_KEY at line 3, column 5\)$/,
    );
  });
});

describe('parseAccountsFile: messages that say what to fix', () => {
  it('names the environment variable a secret needs when it is not set', () => {
    const text = file({
      name: 'a',
      cloud: 'alibaba',
      credentials: { source: 'static', accessKeyId: { env: 'PROD_AK' }, accessKeySecret: 'x' },
    });
    expect(errorOf(text).message).toBe('accounts.0.credentials.accessKeyId: environment variable PROD_AK is not set');
  });

  it('says which forms a secret may take when it is none of them', () => {
    const text = file({
      name: 'a',
      cloud: 'alibaba',
      credentials: { source: 'static', accessKeyId: { vault: 'x' }, accessKeySecret: 'x' },
    });
    expect(errorOf(text).message).toBe(
      'accounts.0.credentials.accessKeyId: expected a value, { env: NAME } or { file: PATH }',
    );
  });

  it("does not let an assume-role account default to the pod's own RRSA role", () => {
    const text = file({ name: 'a', cloud: 'alibaba', credentials: { source: 'assume-role', base: 'chain' } });
    expect(errorOf(text, RRSA_ENV).message).toBe('accounts.0.credentials.roleArn: required');
  });

  it('does not echo an unknown key that looks like a pasted secret', () => {
    const text = file({
      name: 'a',
      cloud: 'alibaba',
      credentials: { source: 'static', accessKeyId: 'x', accessKeySecret: 'x', Zx9Ab3Secret7Value: 1 },
    });
    const message = errorOf(text).message;
    expect(message).toMatch(/^accounts\.0\.credentials: a key that is not a field name/);
    expect(message).not.toContain('Zx9Ab3Secret7Value');
  });

  it('names a Huawei projects key that is not a region id', () => {
    const text = file({ ...hwChain('h'), projects: { Beijing_4: PROJECT } });
    expect(errorOf(text).message).toBe('accounts.0.projects.Beijing_4: expected region ids like cn-north-4');
  });
});

describe('parseAccountsFile: quotas per account', () => {
  it("keeps an account's own limits for its cloud's providers, null turning a daily budget off", () => {
    const [a] = parse(
      file(
        aliChain('ent', {
          quotas: { DATAWORKS: { ratePerSec: 50, burst: 10, dailyBudget: null }, NLB: { ratePerSec: 20 } },
        }),
      ),
    );
    expect(a?.quotas).toEqual({ DATAWORKS: { ratePerSec: 50, burst: 10, dailyBudget: null }, NLB: { ratePerSec: 20 } });
  });

  it('rejects a provider of the other cloud, a rate below 2 and a burst above the rate', () => {
    expect(errorOf(file(aliChain('a', { quotas: { DLI: { ratePerSec: 5 } } }))).message).toBe(
      'accounts.0.quotas: Unrecognized key: "DLI"',
    );
    expect(errorOf(file(hwChain('h', { quotas: { DLI: { ratePerSec: 1 } } }))).message).toMatch(
      /^accounts\.0\.quotas\.DLI\.ratePerSec: /,
    );
    expect(errorOf(file(hwChain('h', { quotas: { CFW: { ratePerSec: 5, burst: 6 } } }))).message).toBe(
      'accounts.0.quotas.CFW: burst must be <= ratePerSec',
    );
  });
});

describe('parseAccountsFile: consistency across accounts', () => {
  it('rejects a name used twice, even across clouds, naming it', () => {
    expect(errorOf(file(aliChain('prod'), aliChain('prod'))).message).toBe('accounts: the name "prod" is used twice');
    expect(errorOf(file(aliChain('prod'), hwChain('prod'))).message).toBe('accounts: the name "prod" is used twice');
  });

  it.each(['a', 'prod-1', '0', 'a'.repeat(32), 'x-y-z9'])('accepts the account name %j', (name) => {
    expect(parse(file(aliChain(name)))[0]?.name).toBe(name);
    expect(ACCOUNT_NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(['', 'a'.repeat(33), 'Prod', 'prod_1', 'prod.1', '-prod', 'prod-', 'pröd', 'a b'])(
    'rejects the account name %j',
    (name) => {
      expect(errorOf(file(aliChain(name))).message).toBe('accounts.0.name: expected 1-32 characters of a-z, 0-9 and -');
    },
  );

  it('rejects a name that is not a string', () => {
    expect(errorOf(file({ name: 42, cloud: 'alibaba', credentials: { source: 'chain' } })).message).toMatch(
      /^accounts\.0\.name: /,
    );
  });

  it('allows one default per cloud', () => {
    const accounts = parse(
      file(aliChain('a1', { default: true }), aliChain('a2'), hwChain('h1'), hwChain('h2', { default: true })),
    );
    expect(accounts.filter((a) => a.default).map((a) => `${a.cloud}:${a.name}`)).toEqual(['alibaba:a1', 'huawei:h2']);
  });

  it('allows a cloud with no default, leaving the choice to the single-account rule', () => {
    expect(parse(file(aliChain('a1'), aliChain('a2'))).every((a) => !a.default)).toBe(true);
  });

  it.each([
    ['alibaba', aliChain],
    ['huawei', hwChain],
  ] as const)('rejects two %s defaults, naming both accounts', (cloud, make) => {
    expect(errorOf(file(make('one', { default: true }), make('two'), make('three', { default: true }))).message).toBe(
      `accounts: at most one ${cloud} account may be the default (one, three)`,
    );
  });

  it('accepts bases that are configured accounts of the same cloud, the chain, and chains of bases', () => {
    const accounts = parse(
      file(
        assumeRole('ali-hop2', 'ali-hop1'),
        assumeRole('ali-hop1', 'ali-root'),
        aliChain('ali-root'),
        assumeRole('ali-vendor', 'chain'),
        agency('hw-hop', 'hw-root'),
        hwChain('hw-root'),
        agency('hw-vendor', 'chain'),
      ),
    );
    expect(accounts.map((a) => (a.credentials as { base?: string }).base ?? null)).toEqual([
      'ali-hop1',
      'ali-root',
      null,
      'chain',
      'hw-root',
      null,
      'chain',
    ]);
  });

  it('rejects an assume-role base that names no account, naming the account and the base', () => {
    expect(errorOf(file(aliChain('root'), assumeRole('cross', 'roott'))).message).toBe(
      'accounts.cross.credentials.base: no account named "roott"',
    );
  });

  it('rejects an agency base that names no account, naming the account and the base', () => {
    expect(errorOf(file(hwChain('root'), agency('staging', 'missing'))).message).toBe(
      'accounts.staging.credentials.base: no account named "missing"',
    );
  });

  it('names the account whose base is missing further down a chain of bases', () => {
    expect(errorOf(file(assumeRole('top', 'middle'), assumeRole('middle', 'gone'))).message).toBe(
      'accounts.middle.credentials.base: no account named "gone"',
    );
  });

  it('rejects an assume-role base that is a Huawei account', () => {
    expect(errorOf(file(hwChain('hw'), assumeRole('cross', 'hw'))).message).toBe(
      'accounts.cross.credentials.base: "hw" is a huawei account, not alibaba',
    );
  });

  it('rejects an agency base that is an Alibaba account', () => {
    expect(errorOf(file(aliChain('ali'), agency('staging', 'ali'))).message).toMatch(
      /^accounts\.staging\.credentials\.base: "ali" is an? alibaba account, not huawei$/,
    );
  });

  it('rejects an account that is its own base', () => {
    expect(errorOf(file(assumeRole('self', 'self'))).message).toBe(
      'accounts.self.credentials.base: the bases form a loop',
    );
  });

  it('rejects two accounts that are each other’s base', () => {
    expect(errorOf(file(agency('ping', 'pong'), agency('pong', 'ping'))).message).toBe(
      'accounts.ping.credentials.base: the bases form a loop',
    );
  });

  it('rejects a longer loop of bases', () => {
    expect(errorOf(file(assumeRole('a', 'b'), assumeRole('b', 'c'), assumeRole('c', 'a'))).message).toBe(
      'accounts.a.credentials.base: the bases form a loop',
    );
  });
});

describe('parseAccountsFile: error messages never contain a secret value', () => {
  const SECRETS = {
    aliId: 'LTAI-LITERAL-ID-0001',
    aliSecret: 'LITERAL-ALI-SECRET-0002',
    aliToken: 'LITERAL-ALI-STS-0003',
    externalId: 'LITERAL-EXTERNAL-ID-0004',
    hwAk: 'LITERAL-HW-AK-0005',
    hwSk: 'LITERAL-HW-SK-0006',
    hwToken: 'LITERAL-HW-TOKEN-0007',
    fromEnv: 'ENV-RESOLVED-SECRET-0008',
  };
  const ENV = { RESOLVED: SECRETS.fromEnv };
  const aliStatic = (name: string, extra: object = {}) => ({
    name,
    cloud: 'alibaba',
    ...extra,
    credentials: {
      source: 'static',
      accessKeyId: SECRETS.aliId,
      accessKeySecret: SECRETS.aliSecret,
      securityToken: SECRETS.aliToken,
    },
  });
  const hwStatic = (name: string, extra: object = {}) => ({
    name,
    cloud: 'huawei',
    ...extra,
    credentials: { source: 'static', ak: SECRETS.hwAk, sk: SECRETS.hwSk, securityToken: { env: 'RESOLVED' } },
  });
  const hwToken = (name: string) => ({
    name,
    cloud: 'huawei',
    credentials: { source: 'token', token: SECRETS.hwToken },
  });
  const cross = (name: string, base: string) => ({
    name,
    cloud: 'alibaba',
    credentials: { source: 'assume-role', roleArn: ROLE_ARN, externalId: SECRETS.externalId, base },
  });

  it.each<[string, string, Env, string]>([
    ['a duplicate name', file(aliStatic('dup'), hwStatic('dup')), ENV, 'accounts: the name "dup"'],
    [
      'two defaults',
      file(aliStatic('d1', { default: true }), aliStatic('d2', { default: true }), hwToken('h')),
      ENV,
      'accounts: at most one alibaba account',
    ],
    [
      'a missing base',
      file(aliStatic('root'), cross('x', 'nowhere'), hwToken('h')),
      ENV,
      'accounts.x.credentials.base: no account',
    ],
    ['a base of the other cloud', file(hwStatic('hw'), cross('x', 'hw')), ENV, 'accounts.x.credentials.base: "hw"'],
    ['a loop of bases', file(cross('x', 'y'), cross('y', 'x'), hwStatic('h')), ENV, 'accounts.x.credentials.base: the'],
    ['a bad account name', file(aliStatic('Bad_Name'), hwToken('h')), ENV, 'accounts.0.name: '],
    ['an unknown field', file(aliStatic('a', { colour: 'red' }), hwStatic('h')), ENV, 'accounts.0: '],
    ['a bad region', file(hwStatic('h', { defaultRegion: 'Beijing' })), ENV, 'accounts.0.defaultRegion: '],
    ['an unset env value', file(aliStatic('a'), hwStatic('h')), {}, 'accounts.1.credentials.securityToken: '],
    [
      'a YAML syntax error on a secret line',
      `accounts:\n  - name: a\n    cloud: alibaba\n    credentials:\n      source: static\n      accessKeyId: ${SECRETS.aliId}\n      accessKeySecret: "${SECRETS.aliSecret}\n`,
      ENV,
      'not valid YAML or JSON (',
    ],
    [
      'a duplicate secret key',
      `accounts:\n  - name: h\n    cloud: huawei\n    credentials: { source: static, ak: ${SECRETS.hwAk}, sk: ${SECRETS.hwSk}, sk: ${SECRETS.hwToken} }\n`,
      ENV,
      'not valid YAML or JSON (',
    ],
    [
      'an unquoted secret that YAML reads as an alias',
      `accounts:\n  - name: a\n    cloud: alibaba\n    credentials: { source: static, accessKeyId: a, accessKeySecret: *${SECRETS.aliSecret} }\n`,
      ENV,
      'not valid YAML or JSON (',
    ],
  ])('for %s next to literal and env secrets', (_, text, env, prefix) => {
    const message = errorOf(text, env).message;
    expect(message.startsWith(prefix)).toBe(true);
    for (const secret of Object.values(SECRETS)) expect(message).not.toContain(secret);
  });
});

describe('exported constants', () => {
  it("names the no-file account 'default', which is a valid account name", () => {
    expect(DEFAULT_ACCOUNT_NAME).toBe('default');
    expect(ACCOUNT_NAME_PATTERN.test(DEFAULT_ACCOUNT_NAME)).toBe(true);
  });

  it('AccountsFileError is an Error with its own name', () => {
    const err = errorOf('accounts: []');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AccountsFileError');
  });
});
