/**
 * One fake provider on port 0 with a hand-driven clock shared by its lifecycles, its signature
 * window and the client's signing clock; a real HttpTransport; a client factory pointed at the
 * fake. Vendor harnesses (test/providers/alibaba|huawei/harness.ts) supply credentials.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { JobError } from '../../src/errors.js';
import { HttpTransport, type HttpTransportOptions } from '../../src/providers/http.js';
import type { ProviderClient } from '../../src/providers/types.js';
import type { FakeProviderServer } from '../../src/simulator/fake-server.js';
import { SimulatedJobs } from '../../src/simulator/jobs.js';

export interface ProviderHarness<O> {
  fake: FakeProviderServer;
  jobs: SimulatedJobs;
  transport: HttpTransport;
  /** The shared clock, in epoch ms. */
  clock: { ms: number };
  /** A client pointed at the fake; any option can be overridden. */
  client(overrides?: Partial<O>): ProviderClient;
  close(): Promise<void>;
}

export interface ProviderHarnessSetup<O> {
  startMs: number;
  createFake(jobs: SimulatedJobs, now: () => number): FakeProviderServer;
  createClient(options: O): ProviderClient;
  /** The client's options before overrides. */
  clientOptions(transport: HttpTransport, fakeUrl: string, now: () => Date): O;
  transport?: HttpTransportOptions;
}

export async function startProviderHarness<O>(setup: ProviderHarnessSetup<O>): Promise<ProviderHarness<O>> {
  const clock = { ms: setup.startMs };
  const jobs = new SimulatedJobs({ stepMs: 1_000, now: () => clock.ms });
  const fake = setup.createFake(jobs, () => clock.ms);
  await fake.start(0);
  const transport = new HttpTransport(setup.transport);
  return {
    fake,
    jobs,
    transport,
    clock,
    client: (overrides = {}) =>
      setup.createClient({ ...setup.clientOptions(transport, fake.url, () => new Date(clock.ms)), ...overrides }),
    close: async () => {
      await transport.close();
      await fake.stop();
    },
  };
}

/**
 * Registers the suite's hooks: start before all tests, stop after them, and before each test
 * forget recorded requests and scripted faults and reset the clock. The returned object is filled
 * in by `beforeAll`.
 */
export function useProviderHarness<O>(startMs: number, start: () => Promise<ProviderHarness<O>>): ProviderHarness<O> {
  const h = {} as ProviderHarness<O>;
  beforeAll(async () => {
    Object.assign(h, await start());
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.fake.resetRequests();
    h.fake.clearFaults();
    h.clock.ms = startMs;
  });
  return h;
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
