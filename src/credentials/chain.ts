/**
 * A vendor default chain: the first step that yields a credential is used from then on (as the
 * vendors' chains remember their last good provider); until one does, each `get` walks the steps
 * in order. Steps are built lazily, so an unused step never starts a renewal of its own.
 */
import { JobError } from '../errors.js';
import type { CredentialHealth, CredentialSource } from './refreshing.js';

export interface ChainStep<T> {
  name: string;
  source: () => CredentialSource<T>;
}

export class ChainCredential<T> implements CredentialSource<T> {
  readonly #steps: readonly ChainStep<T>[];
  readonly #built = new Map<number, CredentialSource<T>>();
  #chosen: CredentialSource<T> | null = null;
  #failure: { code: string; message: string } | null = null;

  constructor(
    readonly what: string,
    steps: readonly ChainStep<T>[],
  ) {
    this.#steps = steps;
  }

  async get(signal?: AbortSignal): Promise<T> {
    if (this.#chosen) return this.#chosen.get(signal);
    const tried: string[] = [];
    for (const [i, step] of this.#steps.entries()) {
      try {
        // Built inside the try: a vendor step can throw while being built (the Alibaba CLI
        // profile step does when ALIBABA_CLOUD_CLI_PROFILE_DISABLED is set), and the chain goes on.
        let source = this.#built.get(i);
        if (!source) this.#built.set(i, (source = step.source()));
        const value = await source.get(signal);
        this.#chosen = source;
        this.#failure = null;
        return value;
      } catch (err) {
        tried.push(`${step.name}: ${err instanceof JobError ? err.code : 'failed'}`);
      }
    }
    const error = new JobError(
      'CREDENTIALS_UNAVAILABLE',
      `no credential in the default chain for ${this.what} (${tried.join('; ')})`,
    );
    this.#failure = { code: error.code, message: error.message };
    throw error;
  }

  invalidate(used: T): void {
    this.#chosen?.invalidate(used);
  }

  health(): CredentialHealth {
    if (this.#chosen) return this.#chosen.health();
    return { ok: this.#failure === null, ...(this.#failure ? { error: this.#failure } : {}), obtained: 0 };
  }
}
