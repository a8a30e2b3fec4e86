/**
 * The simulator on its own, on fixed ports, so several replicas (JOBS_MODE=live) can share one
 * set of fake providers and see the same job lifecycles:
 *   SIMULATOR_HOST=0.0.0.0 SIMULATOR_PORT_BASE=9001 npx tsx src/simulator/main.ts
 * DATAWORKS, NLB, CFW, DLI, WORKSPACE listen on base+0 … base+4. Point the replicas at them with
 * JOBS_ENDPOINT_* and the simulator credentials printed at startup.
 */
import { PROVIDERS, type ProviderName } from '../providers/types.js';
import { liveEnvForSimulator } from './credentials.js';
import { startSimulator } from './index.js';

const base = Number(process.env.SIMULATOR_PORT_BASE ?? 9001);
const host = process.env.SIMULATOR_HOST ?? '127.0.0.1';
const stepMs = Number(process.env.JOBS_SIMULATOR_STEP_MS ?? 3_000);
if (!Number.isInteger(base) || base < 1 || base > 65_530) throw new Error('SIMULATOR_PORT_BASE must be a port number');

const ports = Object.fromEntries(PROVIDERS.map((p, i) => [p, base + i])) as Record<ProviderName, number>;
const sim = await startSimulator({ ports, host, stepMs });
const env = liveEnvForSimulator(sim.endpoints);
process.stdout.write(`${JSON.stringify({ msg: 'simulator listening', endpoints: sim.endpoints, replicaEnv: env })}\n`);
const stop = () => void sim.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
