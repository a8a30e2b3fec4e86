/**
 * The simulated clouds' accounts and the credentials the built-in simulator accepts. They are not
 * secrets: they exist so that simulator mode exercises the same signing and credential code as
 * live mode, and the fakes reject anything else. Two accounts per cloud, so `npm start` shows
 * accounts at work (GraphiQL's examples name them).
 */
import type { AccountSpec } from '../accounts/spec.js';
import type { AlibabaCredentials, HuaweiAuth } from '../providers/types.js';
import type { SimulatedIdentities } from './identities.js';

export const SIMULATOR_ALIBABA: AlibabaCredentials = {
  accessKeyId: 'SIMULATORACCESSKEYID',
  accessKeySecret: 'simulator-access-key-secret',
};

/** The second Alibaba account's key (account `ali-staging`). */
export const SIMULATOR_ALIBABA_STAGING: AlibabaCredentials = {
  accessKeyId: 'SIMULATORSTAGINGKEYID',
  accessKeySecret: 'simulator-staging-access-key-secret',
};

export const SIMULATOR_HUAWEI: HuaweiAuth & { kind: 'aksk' } = {
  kind: 'aksk',
  ak: 'SIMULATORHUAWEIAK000',
  sk: 'simulator-huawei-secret-key',
};

/** The second Huawei account's key (account `hw-staging`). */
export const SIMULATOR_HUAWEI_STAGING: HuaweiAuth & { kind: 'aksk' } = {
  kind: 'aksk',
  ak: 'SIMULATORHUAWEISTG01',
  sk: 'simulator-huawei-staging-secret-key',
};

/** Default region and project the simulator answers for when a ref names none. */
export const SIMULATOR_ALIBABA_REGION = 'cn-hangzhou';
export const SIMULATOR_HUAWEI_REGION = 'cn-north-4';
export const SIMULATOR_HUAWEI_PROJECT_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/** The simulated accounts' ids: Alibaba account UIDs and Huawei domain ids. */
export const SIMULATOR_IDS = {
  alibabaMain: '1000000000000001',
  alibabaStaging: '1000000000000002',
  huaweiMain: 'a0000000000000000000000000000001',
  huaweiStaging: 'a0000000000000000000000000000002',
  /** The RAM role in the staging account that the main account may assume (cross-account). */
  stagingReaderRole: 'acs:ram::1000000000000002:role/jobs-reader',
  /** The OIDC provider ACK's RRSA registers for the simulated cluster. */
  oidcProviderArn: 'acs:ram::1000000000000001:oidc-provider/ack-rrsa-simulator',
  /** The instance RAM role of the simulated ECS node. */
  ecsRole: 'jobs-node',
  /** The Huawei identity provider of the simulated CCE cluster. */
  idpId: 'cce-oidc-simulator',
  /** The agency in the staging domain that the main domain may assume. */
  stagingAgency: 'jobs-reader',
} as const;

/** Project ids per region of the two Huawei domains (IAM's `GET /v3/projects?name=` answers these). */
export const SIMULATOR_HUAWEI_PROJECTS = {
  main: {
    'cn-north-4': SIMULATOR_HUAWEI_PROJECT_ID,
    'cn-east-3': '1b2c3d4e5f60718293a4b5c6d7e8f90a',
    'cn-south-1': '2c3d4e5f60718293a4b5c6d7e8f90a1b',
    'ap-southeast-1': '3d4e5f60718293a4b5c6d7e8f90a1b2c',
  },
  staging: {
    'cn-north-4': '4e5f60718293a4b5c6d7e8f90a1b2c3d',
    'cn-east-3': '5f60718293a4b5c6d7e8f90a1b2c3d4e',
  },
} as const;

/** Registers the simulated accounts, keys, roles, agencies and trust in `identities`. */
export function seedIdentities(identities: SimulatedIdentities): void {
  const ids = SIMULATOR_IDS;
  identities.addAlibabaKey(ids.alibabaMain, SIMULATOR_ALIBABA.accessKeyId, SIMULATOR_ALIBABA.accessKeySecret);
  identities.addAlibabaKey(
    ids.alibabaStaging,
    SIMULATOR_ALIBABA_STAGING.accessKeyId,
    SIMULATOR_ALIBABA_STAGING.accessKeySecret,
  );
  identities.addAlibabaRole({ arn: ids.stagingReaderRole, trustedAccounts: [ids.alibabaMain] });
  identities.addAlibabaEcsRole(ids.ecsRole, ids.alibabaMain);
  identities.addHuaweiDomain({
    domainId: ids.huaweiMain,
    domainName: 'sim-main',
    projects: SIMULATOR_HUAWEI_PROJECTS.main,
  });
  identities.addHuaweiDomain({
    domainId: ids.huaweiStaging,
    domainName: 'sim-staging',
    projects: SIMULATOR_HUAWEI_PROJECTS.staging,
  });
  identities.addHuaweiKey(ids.huaweiMain, SIMULATOR_HUAWEI.ak, SIMULATOR_HUAWEI.sk);
  identities.addHuaweiKey(ids.huaweiStaging, SIMULATOR_HUAWEI_STAGING.ak, SIMULATOR_HUAWEI_STAGING.sk);
  identities.addHuaweiAgency({
    domainId: ids.huaweiStaging,
    agencyName: ids.stagingAgency,
    trustedDomainId: ids.huaweiMain,
  });
  identities.huaweiMetadataDomain = ids.huaweiMain;
}

/** The accounts simulator mode serves without an accounts file: two per cloud. */
export const SIMULATOR_ACCOUNTS: readonly AccountSpec[] = [
  {
    name: 'default',
    cloud: 'alibaba',
    default: true,
    defaultRegion: SIMULATOR_ALIBABA_REGION,
    credentials: {
      source: 'static',
      accessKeyId: { value: SIMULATOR_ALIBABA.accessKeyId },
      accessKeySecret: { value: SIMULATOR_ALIBABA.accessKeySecret },
    },
  },
  {
    name: 'ali-staging',
    cloud: 'alibaba',
    default: false,
    defaultRegion: SIMULATOR_ALIBABA_REGION,
    credentials: {
      source: 'static',
      accessKeyId: { value: SIMULATOR_ALIBABA_STAGING.accessKeyId },
      accessKeySecret: { value: SIMULATOR_ALIBABA_STAGING.accessKeySecret },
    },
  },
  {
    name: 'default',
    cloud: 'huawei',
    default: true,
    defaultRegion: SIMULATOR_HUAWEI_REGION,
    projects: { [SIMULATOR_HUAWEI_REGION]: SIMULATOR_HUAWEI_PROJECT_ID },
    credentials: { source: 'static', ak: { value: SIMULATOR_HUAWEI.ak }, sk: { value: SIMULATOR_HUAWEI.sk } },
  },
  {
    // Projects of this account are found through the simulated IAM.
    name: 'hw-staging',
    cloud: 'huawei',
    default: false,
    defaultRegion: SIMULATOR_HUAWEI_REGION,
    projects: {},
    credentials: {
      source: 'static',
      ak: { value: SIMULATOR_HUAWEI_STAGING.ak },
      sk: { value: SIMULATOR_HUAWEI_STAGING.sk },
    },
  },
];

/**
 * The environment of a live-mode server that talks to a simulator at `endpoints` (several
 * replicas sharing one simulator, the benchmark).
 */
export function liveEnvForSimulator(endpoints: Readonly<Record<string, string>>): Record<string, string> {
  return {
    JOBS_MODE: 'live',
    ALIBABA_CLOUD_ACCESS_KEY_ID: SIMULATOR_ALIBABA.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: SIMULATOR_ALIBABA.accessKeySecret,
    ALIBABA_CLOUD_REGION_ID: SIMULATOR_ALIBABA_REGION,
    HUAWEICLOUD_SDK_AK: SIMULATOR_HUAWEI.ak,
    HUAWEICLOUD_SDK_SK: SIMULATOR_HUAWEI.sk,
    HUAWEICLOUD_SDK_REGION: SIMULATOR_HUAWEI_REGION,
    HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_HUAWEI_PROJECT_ID,
    ...Object.fromEntries(Object.entries(endpoints).map(([provider, url]) => [`JOBS_ENDPOINT_${provider}`, url])),
  };
}
