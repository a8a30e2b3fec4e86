/**
 * Reads one credential value: a literal, or a file that is re-read when it changes. Kubernetes
 * rotates projected service-account tokens and mounted Secrets in place (an atomic symlink swap),
 * so a file is checked at most every `recheckMs` (its inode, size and mtime) and re-read only when
 * that changed; `reload()` skips the wait (after the provider refused what was read).
 */
import { readFile, stat } from 'node:fs/promises';
import { JobError } from '../errors.js';
import type { SecretSource } from '../accounts/spec.js';

export class SecretReader {
  readonly #source: SecretSource;
  readonly #recheckMs: number;
  readonly #now: () => number;
  #value: string | null = null;
  #stamp = '';
  #checkedAt = -Infinity;
  #pending: Promise<string> | null = null;

  /** `what` names the value in errors (e.g. "accessKeySecret of account prod"), never its content. */
  constructor(
    source: SecretSource,
    readonly what: string,
    options: { recheckMs: number; now?: () => number },
  ) {
    this.#source = source;
    this.#recheckMs = options.recheckMs;
    this.#now = options.now ?? (() => performance.now());
    if ('value' in source) this.#value = source.value;
  }

  /** True when the value can change (a file). */
  get rotates(): boolean {
    return 'file' in this.#source;
  }

  /** @throws JobError CREDENTIALS_UNAVAILABLE when the file cannot be read or is empty. */
  read(): Promise<string> {
    if (this.#value !== null && this.#now() - this.#checkedAt < this.#recheckMs) return Promise.resolve(this.#value);
    if ('value' in this.#source) return Promise.resolve(this.#source.value);
    this.#pending ??= this.#refresh(this.#source.file).finally(() => (this.#pending = null));
    return this.#pending;
  }

  /** The next read looks at the file again at once. */
  reload(): void {
    this.#checkedAt = -Infinity;
  }

  async #refresh(path: string): Promise<string> {
    try {
      const st = await stat(path);
      const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (this.#value === null || stamp !== this.#stamp) {
        const text = (await readFile(path, 'utf8')).trim();
        if (!text) throw Object.assign(new Error('empty'), { code: 'EMPTY' });
        this.#value = text;
        this.#stamp = stamp;
      }
      this.#checkedAt = this.#now();
      return this.#value;
    } catch (err) {
      // A file being swapped can vanish or be empty for a moment (a sidecar truncating and
      // rewriting it): keep serving what was read before.
      const transientGap = ['ENOENT', 'EMPTY'].includes((err as NodeJS.ErrnoException).code ?? '');
      if (this.#value !== null && transientGap) return this.#value;
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new JobError('CREDENTIALS_UNAVAILABLE', `cannot read the ${this.what} file (${code})`, {}, { cause: err });
    }
  }
}
