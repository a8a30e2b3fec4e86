/**
 * Builds the provider clients a configuration allows: a provider whose vendor has no credentials
 * gets no client (the registry then answers PROVIDER_NOT_CONFIGURED for it; the others work).
 */
import type { WorkspaceApi } from '../config.js';
import type { CredentialSource } from '../credentials/refreshing.js';
import { createCfwClient } from './cfw/client.js';
import { createDataWorksClient } from './dataworks/client.js';
import { createDliClient } from './dli/client.js';
import type { HttpTransport } from './http.js';
import { createNlbClient } from './nlb/client.js';
import { withResilience, type ResilienceOptions } from './resilience/index.js';
import type { AlibabaCredentials, HuaweiAuth, ProviderClient, ProviderName } from './types.js';
import { createWorkspaceClient } from './workspace/client.js';

export interface ClientSetup {
  transport: HttpTransport;
  /** The account's Alibaba credential (fixed or renewing); null: no Alibaba clients. */
  alibaba: AlibabaCredentials | CredentialSource<AlibabaCredentials> | null;
  huawei: HuaweiAuth | CredentialSource<HuaweiAuth> | null;
  endpoints: Partial<Record<ProviderName, string>>;
  workspaceApi: WorkspaceApi;
  /** Signing clock (tests skew it). @default () => new Date() */
  now?: () => Date;
  /**
   * Retries, deadline, breaker and rate limit wrapped around every client; a setting left out is
   * config's DEFAULTS.resilience.
   */
  resilience?: ResilienceOptions;
}

export function createClients(setup: ClientSetup): Partial<Record<ProviderName, ProviderClient>> {
  const clients: Partial<Record<ProviderName, ProviderClient>> = {};
  const { transport, endpoints, now } = setup;
  const opt = <T extends object>(o: T) => (now ? { ...o, now } : o);
  if (setup.alibaba) {
    const credentials = setup.alibaba;
    clients.DATAWORKS = createDataWorksClient(opt({ transport, credentials, endpointOverride: endpoints.DATAWORKS }));
    clients.NLB = createNlbClient(opt({ transport, credentials, endpointOverride: endpoints.NLB }));
  }
  if (setup.huawei) {
    const auth = setup.huawei;
    clients.CFW = createCfwClient(opt({ transport, auth, endpointOverride: endpoints.CFW }));
    clients.DLI = createDliClient(opt({ transport, auth, endpointOverride: endpoints.DLI }));
    clients.WORKSPACE = createWorkspaceClient(
      opt({ transport, auth, endpointOverride: endpoints.WORKSPACE, apiVersion: setup.workspaceApi }),
    );
  }
  // Each client (one per account) gets its own breakers and rate-limit buckets per region; the registry's
  // bulkhead then wraps the resilient client, so a queued call holds no token or breaker probe.
  for (const provider of Object.keys(clients) as ProviderName[]) {
    clients[provider] = withResilience(clients[provider]!, setup.resilience);
  }
  return clients;
}
