/**
 * Test harness for the Alibaba clients: a fake on port 0 with a controllable clock, a real
 * HttpTransport, and a client factory pointed at the fake.
 */
import { HttpTransport } from '../../../src/providers/http.js';
import type { AlibabaClientOptions } from '../../../src/providers/alibaba/request.js';
import type { AlibabaCredentials, ProviderClient } from '../../../src/providers/types.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import { SimulatedJobs } from '../../../src/simulator/jobs.js';
import type { AlibabaFakeOptions } from '../../../src/simulator/alibaba-fake.js';
import { SIMULATOR_ALIBABA } from '../../../src/simulator/credentials.js';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const START_MS = Date.parse('2025-01-02T03:04:05Z');

export interface Harness {
  fake: FakeProviderServer;
  jobs: SimulatedJobs;
  transport: HttpTransport;
  /** The shared clock (fake, lifecycles and, by default, the client signer). */
  clock: { ms: number };
  client(overrides?: Partial<AlibabaClientOptions>): ProviderClient;
  close(): Promise<void>;
}

export async function startHarness(
  createFake: (o: AlibabaFakeOptions) => FakeProviderServer,
  createClient: (o: AlibabaClientOptions) => ProviderClient,
  fakeCredentials: AlibabaCredentials = SIMULATOR_ALIBABA,
): Promise<Harness> {
  const clock = { ms: START_MS };
  const jobs = new SimulatedJobs({ stepMs: 1_000, now: () => clock.ms });
  const fake = createFake({ jobs, now: () => clock.ms, credentials: fakeCredentials });
  await fake.start(0);
  const transport = new HttpTransport();
  return {
    fake,
    jobs,
    transport,
    clock,
    client: (overrides = {}) =>
      createClient({
        transport,
        credentials: SIMULATOR_ALIBABA,
        endpointOverride: fake.url,
        now: () => new Date(clock.ms),
        ...overrides,
      }),
    close: async () => {
      await transport.close();
      await fake.stop();
    },
  };
}

/** Runs a promise expected to reject and returns the rejection (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

/** The documented POP error envelope. */
export function popError(code: string, message: string, requestId = '7C1B2E3A-0000-4000-8000-000000000001'): Record<string, string> {
  return {
    RequestId: requestId,
    HostId: 'example.aliyuncs.com',
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${code}`,
  };
}
