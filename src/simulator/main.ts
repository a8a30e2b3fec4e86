/**
 * The simulator on its own, on fixed ports, so several replicas (JOBS_MODE=live) can share one
 * set of fake providers and see the same job lifecycles:
 *   SIMULATOR_HOST=0.0.0.0 SIMULATOR_PORT_BASE=9001 npx tsx src/simulator/main.ts
 * DATAWORKS, NLB, CFW, DLI, WORKSPACE listen on base+0 … base+4. Point the replicas at them with
 * JOBS_ENDPOINT_* and the simulator credentials printed at startup.
 */
import { PROVIDERS, type ProviderName } from '../providers/types.js';
import { SIMULATOR_ALIBABA, SIMULATOR_HUAWEI, SIMULATOR_HUAWEI_PROJECT_ID } from './credentials.js';
import { startSimulator } from './index.js';

const base = Number(process.env.SIMULATOR_PORT_BASE ?? 9001);
const host = process.env.SIMULATOR_HOST ?? '127.0.0.1';
const stepMs = Number(process.env.JOBS_SIMULATOR_STEP_MS ?? 3_000);
if (!Number.isInteger(base) || base < 1 || base > 65_530) throw new Error('SIMULATOR_PORT_BASE must be a port number');

const ports = Object.fromEntries(PROVIDERS.map((p, i) => [p, base + i])) as Record<ProviderName, number>;
const sim = await startSimulator({ ports, host, stepMs });
const env = {
  JOBS_MODE: 'live',
  ALIBABA_CLOUD_ACCESS_KEY_ID: SIMULATOR_ALIBABA.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: SIMULATOR_ALIBABA.accessKeySecret,
  ALIBABA_CLOUD_REGION_ID: 'cn-hangzhou',
  HUAWEICLOUD_SDK_AK: SIMULATOR_HUAWEI.ak,
  HUAWEICLOUD_SDK_SK: SIMULATOR_HUAWEI.sk,
  HUAWEICLOUD_SDK_REGION: 'cn-north-4',
  HUAWEICLOUD_SDK_PROJECT_ID: SIMULATOR_HUAWEI_PROJECT_ID,
  ...Object.fromEntries(PROVIDERS.map((p) => [`JOBS_ENDPOINT_${p}`, sim.endpoints[p]])),
};
process.stdout.write(`${JSON.stringify({ msg: 'simulator listening', endpoints: sim.endpoints, replicaEnv: env })}\n`);
const stop = () => void sim.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
