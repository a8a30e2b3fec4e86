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
