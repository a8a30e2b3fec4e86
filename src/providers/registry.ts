/**
 * The provider clients of one process, behind one `fetchJob`: it routes a key to its provider and
 * caps concurrent calls per provider (a bulkhead shared by queries and polling), so a burst of
 * lookups never floods one API. Providers without credentials answer PROVIDER_NOT_CONFIGURED.
 */
import { DEFAULTS } from '../config.js';
import { BulkheadPolicy, BulkheadRejectedError } from 'cockatiel';
import { JobError } from '../errors.js';
import { traceProviderCall } from '../observability/tracing.js';
import { markFetched } from './observed.js';
import type { JobKey, ProviderClient, ProviderJob, ProviderName } from './types.js';

export interface ProviderRegistryOptions {
  /** The clients of each cloud's default account (keys whose `account` is null). */
  clients: Partial<Record<ProviderName, ProviderClient>>;
  /** The clients of every other account, by account name. */
  accounts?: ReadonlyMap<string, Partial<Record<ProviderName, ProviderClient>>>;
  /** Concurrent calls per provider. @default DEFAULTS.providerConcurrency */
  concurrency?: number;
  /** Calls waiting for a slot per provider before new ones fail fast. @default DEFAULTS.providerQueueLimit */
  queueLimit?: number;
  /** Called after every provider call (metrics, logs). */
  onCall?: (event: ProviderCallEvent) => void;
}

export interface ProviderCallEvent {
  key: JobKey;
  durationMs: number;
  outcome: 'ok' | string;
  /** The provider's request id. */
  requestId: string | null;
  /** The HTTP request the call was made for (the first one, when single flight shared the call). */
  callerRequestId: string | undefined;
}

export class ProviderRegistry {
  readonly #clients: Partial<Record<ProviderName, ProviderClient>>;
  readonly #accounts: ReadonlyMap<string, Partial<Record<ProviderName, ProviderClient>>>;
  readonly #bulkheads = new Map<ProviderName, BulkheadPolicy>();
  readonly #concurrency: number;
  readonly #queueLimit: number;
  readonly #onCall: ((event: ProviderCallEvent) => void) | undefined;

  constructor(options: ProviderRegistryOptions) {
    this.#clients = options.clients;
    this.#accounts = options.accounts ?? new Map();
    this.#concurrency = options.concurrency ?? DEFAULTS.providerConcurrency;
    this.#queueLimit = options.queueLimit ?? DEFAULTS.providerQueueLimit;
    this.#onCall = options.onCall;
  }

  /** Whether the provider's default account has credentials. */
  isConfigured(provider: ProviderName): boolean {
    return this.#clients[provider] !== undefined;
  }

  /** @throws JobError (PROVIDER_NOT_CONFIGURED when the key's account has no credentials) */
  async fetchJob(key: JobKey, signal?: AbortSignal, callerRequestId?: string): Promise<ProviderJob> {
    const client = key.account === null ? this.#clients[key.provider] : this.#accounts.get(key.account)?.[key.provider];
    if (!client) {
      const whose = key.account === null ? 'the default account' : `account ${key.account}`;
      throw new JobError('PROVIDER_NOT_CONFIGURED', `${key.provider}: ${whose} has no credentials on this server`, {
        provider: key.provider,
      });
    }
    try {
      // Inline closures: under tsx every closure bound to a name also defines its name, per call.
      return await this.#bulkhead(key.provider).execute(
        () =>
          traceProviderCall(
            () => spanAttributes(key),
            () => this.#timed(client, key, signal, callerRequestId),
            codeOf,
          ),
        signal,
      );
    } catch (err) {
      if (err instanceof BulkheadRejectedError) {
        throw new JobError('PROVIDER_UNAVAILABLE', `${key.provider}: too many calls queued on this server`, {
          provider: key.provider,
        });
      }
      throw err;
    }
  }

  async #timed(
    client: ProviderClient,
    key: JobKey,
    signal: AbortSignal | undefined,
    callerRequestId: string | undefined,
  ): Promise<ProviderJob> {
    const started = performance.now();
    try {
      const job = await client.fetchJob(key, signal);
      markFetched(job, Date.now());
      this.#onCall?.({
        key,
        durationMs: performance.now() - started,
        outcome: 'ok',
        requestId: job.providerRequestId,
        callerRequestId,
      });
      return job;
    } catch (err) {
      const code = err instanceof JobError ? err.code : 'INTERNAL_SERVER_ERROR';
      const requestId = err instanceof JobError ? (err.details.requestId ?? null) : null;
      this.#onCall?.({ key, durationMs: performance.now() - started, outcome: code, requestId, callerRequestId });
      throw err;
    }
  }

  #bulkhead(provider: ProviderName): BulkheadPolicy {
    let b = this.#bulkheads.get(provider);
    if (!b) {
      b = new BulkheadPolicy(this.#concurrency, this.#queueLimit);
      this.#bulkheads.set(provider, b);
    }
    return b;
  }
}

function spanAttributes(key: JobKey): Record<string, string> {
  return {
    'jobs.provider': key.provider,
    'jobs.account': key.account ?? '',
    'jobs.region': key.region,
    'jobs.job_id': key.jobId,
  };
}

function codeOf(err: unknown): string {
  return err instanceof JobError ? err.code : 'INTERNAL_SERVER_ERROR';
}
