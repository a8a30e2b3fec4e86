/** Harness for the Alibaba clients: the shared provider harness with Alibaba credentials. */
import type { AlibabaClientOptions } from '../../../src/providers/alibaba/request.js';
import type { AlibabaCredentials, ProviderClient } from '../../../src/providers/types.js';
import type { AlibabaFakeOptions } from '../../../src/simulator/alibaba-fake.js';
import { SIMULATOR_ALIBABA } from '../../../src/simulator/credentials.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import { startProviderHarness, useProviderHarness, type ProviderHarness } from '../../helpers/provider-harness.js';

export { rejection } from '../../helpers/provider-harness.js';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const START_MS = Date.parse('2025-01-02T03:04:05Z');

export type Harness = ProviderHarness<AlibabaClientOptions>;

export function startHarness(
  createFake: (o: AlibabaFakeOptions) => FakeProviderServer,
  createClient: (o: AlibabaClientOptions) => ProviderClient,
  fakeCredentials: AlibabaCredentials = SIMULATOR_ALIBABA,
): Promise<Harness> {
  return startProviderHarness<AlibabaClientOptions>({
    startMs: START_MS,
    createFake: (jobs, now) => createFake({ jobs, now, credentials: fakeCredentials }),
    createClient,
    clientOptions: (transport, url, now) => ({ transport, credentials: SIMULATOR_ALIBABA, endpointOverride: url, now }),
  });
}

/** The harness for one test file, with its hooks registered. */
export function useHarness(
  createFake: (o: AlibabaFakeOptions) => FakeProviderServer,
  createClient: (o: AlibabaClientOptions) => ProviderClient,
): Harness {
  return useProviderHarness(START_MS, () => startHarness(createFake, createClient));
}

/** The documented POP error envelope. */
export function popError(
  code: string,
  message: string,
  requestId = '7C1B2E3A-0000-4000-8000-000000000001',
): Record<string, string> {
  return {
    RequestId: requestId,
    HostId: 'example.aliyuncs.com',
    Code: code,
    Message: message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${code}`,
  };
}
