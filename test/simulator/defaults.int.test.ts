/** startSimulator without options runs on the configuration's defaults (src/config.ts), not its own. */
import { expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { startSimulator } from '../../src/simulator/index.js';

it('steps at the server default and listens on loopback', async () => {
  const sim = await startSimulator();
  try {
    expect(sim.jobs.stepMs).toBe(DEFAULTS.simulator.stepMs);
    for (const url of Object.values(sim.endpoints)) expect(new URL(url).hostname).toBe(DEFAULTS.simulator.host);
  } finally {
    await sim.stop();
  }
});
