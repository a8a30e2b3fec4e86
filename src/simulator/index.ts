/**
 * The built-in simulator: one loopback fake per provider, speaking that provider's wire format and
 * verifying its signatures, with deterministic job lifecycles (see jobs.ts). `npm start` uses it
 * by default so the subgraph works with no cloud account; the tests use the same fakes.
 */
import { DEFAULTS } from '../config.js';
import type { ProviderName } from '../providers/types.js';
import { createCfwFake } from './cfw.js';
import { SIMULATOR_ALIBABA, SIMULATOR_HUAWEI } from './credentials.js';
import { createDataWorksFake } from './dataworks.js';
import { createDliFake } from './dli.js';
import type { FakeProviderServer } from './fake-server.js';
import { SimulatedJobs } from './jobs.js';
import { createNlbFake } from './nlb.js';
import { createWorkspaceFake } from './workspace.js';

export interface SimulatorOptions {
  /** ms per lifecycle step; config's `JOBS_SIMULATOR_STEP_MS` default when left out. */
  stepMs?: number;
  /** Clock in epoch ms, shared by lifecycles and signature checks. @default Date.now */
  now?: () => number;
  /** Fixed ports per provider (a standalone simulator shared by several replicas); 0 picks one. */
  ports?: Partial<Record<ProviderName, number>>;
  /** Listen address; loopback (DEFAULTS.simulator.host) when left out. */
  host?: string;
}

export interface Simulator {
  jobs: SimulatedJobs;
  fakes: Record<ProviderName, FakeProviderServer>;
  /** Base URL per provider, for `JOBS_ENDPOINT_*`-style overrides. */
  endpoints: Record<ProviderName, string>;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const jobs = new SimulatedJobs({
    stepMs: options.stepMs ?? DEFAULTS.simulator.stepMs,
    now,
    maxJobs: DEFAULTS.simulator.maxJobs,
  });
  const huawei = { jobs, now, auth: { ak: SIMULATOR_HUAWEI.ak, sk: SIMULATOR_HUAWEI.sk } };
  const fakes: Record<ProviderName, FakeProviderServer> = {
    DATAWORKS: createDataWorksFake({ jobs, now, credentials: SIMULATOR_ALIBABA }),
    NLB: createNlbFake({ jobs, now, credentials: SIMULATOR_ALIBABA }),
    CFW: createCfwFake(huawei),
    DLI: createDliFake(huawei),
    WORKSPACE: createWorkspaceFake(huawei),
  };
  await Promise.all(
    (Object.entries(fakes) as [ProviderName, FakeProviderServer][]).map(([p, f]) =>
      f.start(options.ports?.[p] ?? 0, options.host ?? DEFAULTS.simulator.host),
    ),
  );
  const endpoints = Object.fromEntries(Object.entries(fakes).map(([p, f]) => [p, f.url])) as Record<
    ProviderName,
    string
  >;
  return {
    jobs,
    fakes,
    endpoints,
    stop: async () => {
      await Promise.all(Object.values(fakes).map((f) => f.stop()));
    },
  };
}
