/**
 * The simulator on its own, on fixed ports, so several replicas (JOBS_MODE=live) can share one
 * set of fake providers and see the same job lifecycles:
 *   SIMULATOR_HOST=0.0.0.0 SIMULATOR_PORT_BASE=9001 npx tsx src/simulator/main.ts
 * DATAWORKS, NLB, CFW, DLI, WORKSPACE listen on base+0 … base+4. Point the replicas at them with
 * JOBS_ENDPOINT_* and the simulator credentials printed at startup.
 */
import { ConfigError, resolveSimulatorConfig, type SimulatorConfig } from '../config.js';
import { PROVIDERS, type ProviderName } from '../providers/types.js';
import { liveEnvForSimulator } from './credentials.js';
import { startSimulator } from './index.js';

// Validated like the server's variables, with the same defaults (src/config.ts), and reported alike.
let config: Readonly<SimulatorConfig>;
try {
  config = resolveSimulatorConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`configuration error: ${err.message}\n`);
  process.exit(2);
}
const { host, portBase, stepMs } = config;

const ports = Object.fromEntries(PROVIDERS.map((p, i) => [p, portBase + i])) as Record<ProviderName, number>;
const sim = await startSimulator({ ports, host, stepMs });
const env = liveEnvForSimulator(sim.endpoints);
process.stdout.write(`${JSON.stringify({ msg: 'simulator listening', endpoints: sim.endpoints, replicaEnv: env })}\n`);
const stop = () => void sim.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
