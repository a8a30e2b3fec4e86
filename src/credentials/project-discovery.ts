/**
 * Huawei project ids the accounts file does not map, looked up in IAM (`GET /v3/projects?name=`)
 * with the account's own credentials: read-only (the SDKs' discovery creates a project when none
 * exists; this never does), one lookup per account and region however many refs ask at once, the
 * answer kept for good (a project id never changes), a miss kept for a while.
 */
import { JobError } from '../errors.js';
import type { HttpTransport } from '../providers/http.js';
import type { HuaweiAuth } from '../providers/types.js';
import type { ProjectLookup } from '../refs.js';
import { iamEndpoint } from './endpoints.js';
import { findProjectId } from './huawei/iam.js';
import type { CredentialSource } from './refreshing.js';

export interface ProjectDiscoveryOptions {
  transport: HttpTransport;
  /** `JOBS_ENDPOINT_IAM`, if set. */
  iamOverride: string | undefined;
  /** The Huawei accounts' sources and default regions, by key account (null: the default). */
  account: (keyAccount: string | null) => { source: CredentialSource<HuaweiAuth>; region: string | null } | undefined;
  /** How long a miss is remembered. */
  missTtlMs: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

export class ProjectDiscovery implements ProjectLookup {
  readonly #o: ProjectDiscoveryOptions;
  readonly #found = new Map<string, string>();
  readonly #missedAt = new Map<string, number>();
  readonly #pending = new Map<string, Promise<string | null>>();
  /** IAM lookups made (for tests and the closing figures). */
  lookups = 0;

  constructor(options: ProjectDiscoveryOptions) {
    this.#o = options;
  }

  projectFor(account: string | null, region: string): Promise<string | null> {
    const key = `${account ?? ''}\u0000${region}`;
    const found = this.#found.get(key);
    if (found) return Promise.resolve(found);
    const missed = this.#missedAt.get(key);
    const now = (this.#o.now ?? Date.now)();
    if (missed !== undefined && now - missed < this.#o.missTtlMs) return Promise.resolve(null);
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#lookup(account, region, key).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #lookup(account: string | null, region: string, key: string): Promise<string | null> {
    const target = this.#o.account(account);
    if (!target) {
      throw new JobError('PROVIDER_NOT_CONFIGURED', 'this Huawei account has no credentials to look its projects up');
    }
    const auth = await target.source.get();
    this.lookups++;
    const id = await findProjectId({
      endpoint: iamEndpoint(this.#o.iamOverride, target.region),
      transport: this.#o.transport,
      auth,
      region,
    });
    if (id) this.#found.set(key, id);
    else this.#missedAt.set(key, (this.#o.now ?? Date.now)());
    return id;
  }
}
