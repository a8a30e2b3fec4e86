/** Harness for the Huawei clients: the shared provider harness with an AK/SK and an IAM token. */
import type { HuaweiClientOptions } from '../../../src/providers/huawei/request.js';
import type { HuaweiAuth, ProviderClient } from '../../../src/providers/types.js';
import type { FakeProviderServer } from '../../../src/simulator/fake-server.js';
import type { HuaweiFakeOptions } from '../../../src/simulator/huawei-fake.js';
import { startProviderHarness, useProviderHarness, type ProviderHarness } from '../../helpers/provider-harness.js';

export { rejection } from '../../helpers/provider-harness.js';

export const START_MS = Date.UTC(2025, 0, 2, 3, 4, 5);
export const AK = 'HUAWEITESTAK0000000X';
export const SK = 'huawei-test-secret-key';
export const TOKEN = 'MIIT-test-iam-token';
export const PROJECT = '48cc2c48765f481480c7db940d6409d1';
export const REGION = 'cn-north-4';
export const AKSK: HuaweiAuth = { kind: 'aksk', ak: AK, sk: SK };

/** Client options of any Huawei client (Workspace adds `apiVersion`). */
type Options = HuaweiClientOptions & Record<string, unknown>;
export type Harness = ProviderHarness<Options>;

export function startHarness<O extends HuaweiClientOptions>(
  createFake: (o: HuaweiFakeOptions) => FakeProviderServer,
  createClient: (o: O) => ProviderClient,
): Promise<Harness> {
  return startProviderHarness<Options>({
    startMs: START_MS,
    createFake: (jobs, now) => createFake({ jobs, now, auth: { ak: AK, sk: SK }, token: TOKEN }),
    createClient: (o) => createClient(o as unknown as O),
    clientOptions: (transport, url, now) => ({ transport, auth: AKSK, endpointOverride: url, now }),
    transport: { deadlineMs: 5_000 },
  });
}

/** The harness for one test file, with its hooks registered. */
export function useHarness<O extends HuaweiClientOptions>(
  createFake: (o: HuaweiFakeOptions) => FakeProviderServer,
  createClient: (o: O) => ProviderClient,
): Harness {
  return useProviderHarness(START_MS, () => startHarness(createFake, createClient));
}
