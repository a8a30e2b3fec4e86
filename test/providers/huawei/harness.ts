/**
 * Test wiring for the Huawei clients: a fake on port 0 with a hand-driven clock shared by the
 * lifecycles, the gateway's signature window and the client's signing clock.
 */
import { JobError } from '../../../src/errors.js';
import { HttpTransport } from '../../../src/providers/http.js';
import type { HuaweiClientOptions } from '../../../src/providers/huawei/request.js';
import type { HuaweiAuth, ProviderClient } from '../../../src/providers/types.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import type { HuaweiFakeOptions } from '../../../src/simulator/huawei-fake.js';
import { SimulatedJobs } from '../../../src/simulator/jobs.js';

export const START_MS = Date.UTC(2025, 0, 2, 3, 4, 5);
export const AK = 'HUAWEITESTAK0000000X';
export const SK = 'huawei-test-secret-key';
export const TOKEN = 'MIIT-test-iam-token';
export const PROJECT = '48cc2c48765f481480c7db940d6409d1';
export const REGION = 'cn-north-4';
export const AKSK: HuaweiAuth = { kind: 'aksk', ak: AK, sk: SK };

export interface Harness {
  clock: { ms: number };
  jobs: SimulatedJobs;
  fake: FakeProviderServer;
  transport: HttpTransport;
  /** A client pointed at the fake; `auth` and the signing clock can be overridden. */
  client(overrides?: Partial<HuaweiClientOptions> & Record<string, unknown>): ProviderClient;
  close(): Promise<void>;
}

export async function startHarness<O extends HuaweiClientOptions>(
  createFake: (o: HuaweiFakeOptions) => FakeProviderServer,
  createClient: (o: O) => ProviderClient,
): Promise<Harness> {
  const clock = { ms: START_MS };
  const jobs = new SimulatedJobs({ now: () => clock.ms, stepMs: 1_000 });
  const fake = createFake({ jobs, now: () => clock.ms, auth: { ak: AK, sk: SK }, token: TOKEN });
  await fake.start();
  const transport = new HttpTransport({ deadlineMs: 5_000 });
  return {
    clock,
    jobs,
    fake,
    transport,
    client: (overrides = {}) =>
      createClient({ transport, auth: AKSK, endpointOverride: fake.url, now: () => new Date(clock.ms), ...overrides } as unknown as O),
    close: async () => {
      await transport.close();
      await fake.stop();
    },
  };
}

/** The JobError a promise rejects with (fails the test if it resolves or throws something else). */
export async function rejection(p: Promise<unknown>): Promise<JobError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof JobError) return err;
    throw err;
  }
  throw new Error('expected a JobError, but the call succeeded');
}
