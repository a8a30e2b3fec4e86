/**
 * Credentials the built-in simulator accepts. They are not secrets: they exist so that simulator
 * mode exercises the same signing code as live mode, and the fakes reject anything else.
 */
import type { AlibabaCredentials, HuaweiAuth } from '../providers/types.js';

export const SIMULATOR_ALIBABA: AlibabaCredentials = {
  accessKeyId: 'SIMULATORACCESSKEYID',
  accessKeySecret: 'simulator-access-key-secret',
};

export const SIMULATOR_HUAWEI: HuaweiAuth & { kind: 'aksk' } = {
  kind: 'aksk',
  ak: 'SIMULATORHUAWEIAK000',
  sk: 'simulator-huawei-secret-key',
};

/** Default region and project the simulator answers for when a ref names none. */
export const SIMULATOR_ALIBABA_REGION = 'cn-hangzhou';
export const SIMULATOR_HUAWEI_REGION = 'cn-north-4';
export const SIMULATOR_HUAWEI_PROJECT_ID = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

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
