/**
 * The built-in simulator: one loopback fake per provider, speaking that provider's wire format and
 * verifying its signatures, with deterministic job lifecycles (see jobs.ts), plus the identity
 * services credentials come from (Alibaba STS and ECS metadata, Huawei IAM and ECS metadata), all
 * sharing one identity plane (identities.ts) with two accounts per cloud (credentials.ts).
 * `npm start` uses it by default so the subgraph works with no cloud account; the tests use the
 * same fakes.
 */
import { DEFAULTS } from '../config.js';
import type { ProviderName } from '../providers/types.js';
import { createCfwFake } from './cfw.js';
import { createAlibabaMetadataFake } from './alibaba-metadata.js';
import { createAlibabaStsFake } from './alibaba-sts.js';
import { seedIdentities, SIMULATOR_IDS } from './credentials.js';
import { createDataWorksFake } from './dataworks.js';
import { createDliFake } from './dli.js';
import type { FakeProviderServer } from './fake-server.js';
import { createHuaweiIamFake } from './huawei-iam.js';
import { createHuaweiMetadataFake } from './huawei-metadata.js';
import { SimulatedIdentities } from './identities.js';
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
  /** Lifetime of every credential STS, IAM and the metadata services issue. @default one hour */
  credentialTtlMs?: number;
}

/** The identity services next to the providers. */
export type IdentityService = 'STS' | 'IAM' | 'ALIBABA_METADATA' | 'HUAWEI_METADATA';

export interface Simulator {
  jobs: SimulatedJobs;
  /** Accounts, keys, roles, agencies and every credential issued (tests add their own). */
  identities: SimulatedIdentities;
  fakes: Record<ProviderName, FakeProviderServer>;
  identityFakes: Record<IdentityService, FakeProviderServer>;
  /** Base URL per provider, for `JOBS_ENDPOINT_*`-style overrides. */
  endpoints: Record<ProviderName, string>;
  /** Base URL per identity service (`JOBS_ENDPOINT_STS`, `_IAM`, `_ALIBABA_METADATA`, `_HUAWEI_METADATA`). */
  identityEndpoints: Record<IdentityService, string>;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const jobs = new SimulatedJobs({
    stepMs: options.stepMs ?? DEFAULTS.simulator.stepMs,
    now,
    maxJobs: DEFAULTS.simulator.maxJobs,
  });
  const identities = new SimulatedIdentities({
    now,
    ...(options.credentialTtlMs !== undefined ? { credentialTtlMs: options.credentialTtlMs } : {}),
  });
  seedIdentities(identities);
  const alibaba = { jobs, now, identities };
  const huawei = { jobs, now, identities };
  const fakes: Record<ProviderName, FakeProviderServer> = {
    DATAWORKS: createDataWorksFake(alibaba),
    NLB: createNlbFake(alibaba),
    CFW: createCfwFake(huawei),
    DLI: createDliFake(huawei),
    WORKSPACE: createWorkspaceFake(huawei),
  };
  const identityFakes: Record<IdentityService, FakeProviderServer> = {
    STS: createAlibabaStsFake({ identities }),
    IAM: createHuaweiIamFake({ identities }),
    ALIBABA_METADATA: createAlibabaMetadataFake({ identities, roleName: SIMULATOR_IDS.ecsRole }),
    HUAWEI_METADATA: createHuaweiMetadataFake({ identities }),
  };
  const host = options.host ?? DEFAULTS.simulator.host;
  await Promise.all([
    ...(Object.entries(fakes) as [ProviderName, FakeProviderServer][]).map(([p, f]) =>
      f.start(options.ports?.[p] ?? 0, host),
    ),
    ...Object.values(identityFakes).map((f) => f.start(0, host)),
  ]);
  const urls = <K extends string>(servers: Record<K, FakeProviderServer>) =>
    Object.fromEntries(Object.entries<FakeProviderServer>(servers).map(([p, f]) => [p, f.url])) as Record<K, string>;
  return {
    jobs,
    identities,
    fakes,
    identityFakes,
    endpoints: urls(fakes),
    identityEndpoints: urls(identityFakes),
    stop: async () => {
      await Promise.all([...Object.values(fakes), ...Object.values(identityFakes)].map((f) => f.stop()));
    },
  };
}
