/**
 * Which accounts exist and which is each cloud's default: what refs.ts consults to turn
 * `JobRef.account` into a key's account, and what the schema uses to name a key's account.
 * A key carries null for the cloud's default account (so a ref naming the default and one naming
 * none are one job with one id) and the name for any other.
 */
import { JobError } from '../errors.js';
import type { Cloud, ProviderName } from '../providers/types.js';
import { cloudOf } from '../providers/types.js';
import { DEFAULT_ACCOUNT_NAME, withArticle } from './spec.js';

/** What ref resolution needs to know of one account (no credentials). */
export interface AccountInfo {
  name: string;
  cloud: Cloud;
  /** Region a ref without one gets. */
  defaultRegion: string | null;
  /** Huawei: region → project id known from configuration. */
  projects: Readonly<Record<string, string>>;
}

export class AccountDirectory {
  readonly #byName = new Map<string, AccountInfo>();
  readonly #defaults = new Map<Cloud, AccountInfo>();

  /**
   * `defaults`: each cloud's default account name. A cloud with exactly one account needs none:
   * that account is its default.
   */
  constructor(accounts: readonly AccountInfo[], defaults: Partial<Record<Cloud, string>> = {}) {
    for (const a of accounts) this.#byName.set(`${a.cloud}:${a.name}`, a);
    for (const cloud of ['alibaba', 'huawei'] as Cloud[]) {
      const ofCloud = accounts.filter((a) => a.cloud === cloud);
      const name = defaults[cloud] ?? (ofCloud.length === 1 ? ofCloud[0]?.name : undefined);
      const account = ofCloud.find((a) => a.name === name);
      if (account) this.#defaults.set(cloud, account);
    }
  }

  list(): readonly AccountInfo[] {
    return [...this.#byName.values()];
  }

  /** The cloud's default account, if it has one. */
  defaultOf(cloud: Cloud): AccountInfo | undefined {
    return this.#defaults.get(cloud);
  }

  /** The account a key names (null: the cloud's default). */
  get(cloud: Cloud, keyAccount: string | null): AccountInfo | undefined {
    return keyAccount === null ? this.#defaults.get(cloud) : this.#byName.get(`${cloud}:${keyAccount}`);
  }

  /** The name `CloudJob.account` shows for a key's account. */
  nameOf(cloud: Cloud, keyAccount: string | null): string {
    return keyAccount ?? this.#defaults.get(cloud)?.name ?? DEFAULT_ACCOUNT_NAME;
  }

  /**
   * The key form of a ref's (or a decoded id's) account: null for the cloud's default, else the
   * name of an existing account of the provider's cloud.
   * @throws JobError BAD_USER_INPUT for an unknown account, one of the other cloud, or none given
   *   when the cloud has several accounts and no default.
   */
  keyAccount(provider: ProviderName, requested: string | null | undefined): string | null {
    const cloud = cloudOf(provider);
    const fallback = this.#defaults.get(cloud);
    if (requested === null || requested === undefined) {
      if (fallback || this.#names(cloud).length === 0) return null;
      throw new JobError(
        'BAD_USER_INPUT',
        `${provider} refs must name an account (no default ${cloud} account is configured): one of ${this.#names(cloud).join(', ')}`,
        { provider },
      );
    }
    if (fallback && requested === fallback.name) return null;
    if (this.#byName.has(`${cloud}:${requested}`)) return requested;
    const other = cloud === 'alibaba' ? 'huawei' : 'alibaba';
    const known = this.#names(cloud);
    throw new JobError(
      'BAD_USER_INPUT',
      this.#byName.has(`${other}:${requested}`)
        ? `account "${truncate(requested)}" is ${withArticle(other)} account; ${provider} jobs need ${withArticle(cloud)} account`
        : `unknown account "${truncate(requested)}" for ${provider}${known.length ? ` (${cloud} accounts: ${known.join(', ')})` : ''}`,
      { provider },
    );
  }

  #names(cloud: Cloud): string[] {
    return [...this.#byName.values()].filter((a) => a.cloud === cloud).map((a) => a.name);
  }
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
