/**
 * A credential that renews itself: the one place temporary credentials (STS, IAM, metadata) are
 * cached. Renewal starts once `refreshAt` of the lifetime has passed (with jitter, so accounts and
 * replicas never renew in step), runs once at a time however many calls want it, and happens in
 * the background while the current credential is still valid. A failed renewal keeps the valid
 * credential and tries again with capped exponential backoff; only when nothing valid is left do
 * calls fail, fast, with the renewal's coded error, until the next attempt is due.
 */
import { DEFAULTS, type CredentialSettings } from '../config.js';
import { isJobError, JobError } from '../errors.js';
import type { ObtainCredential } from './types.js';

/** What provider clients hold: a credential that may change between calls. */
export interface CredentialSource<T> {
  /** @throws JobError CREDENTIALS_UNAVAILABLE or PROVIDER_AUTH_FAILED when none can be had. */
  get(signal?: AbortSignal): Promise<T>;
  /**
   * The provider refused `used` (expired, rotated, revoked): the next `get` fetches a new one
   * instead of returning it again. A no-op when `used` was already replaced.
   */
  invalidate(used: T): void;
  /** For `/readyz` and metrics: no secret in it. */
  health(): CredentialHealth;
}

export interface CredentialHealth {
  /** A usable credential is held, or the last attempt to get one succeeded. */
  ok: boolean;
  /** The last failure's code and message, while not ok. */
  error?: { code: string; message: string };
  /** Epoch ms when the held credential expires (null: never; undefined: none held). */
  expiresAt?: number | null;
  /** Credentials obtained so far (renewals included). */
  obtained: number;
}

interface Held<T> {
  value: T;
  expiresAt: number | null;
  /** Epoch ms from which a call starts a background renewal. */
  renewAt: number;
  /** Refused by a provider: never handed out again. */
  refused: boolean;
}

export interface RefreshingOptions {
  settings?: Partial<CredentialSettings>;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** @default Math.random */
  random?: () => number;
  /** Told of every renewal attempt (logs, metrics): codes and times only, never the credential. */
  onRenewal?: (result: RenewalResult) => void;
}

export type RenewalResult = { ok: true; expiresAt: number | null } | { ok: false; error: JobError };

export class RefreshingCredential<T> implements CredentialSource<T> {
  readonly #obtain: ObtainCredential<T>;
  readonly #s: CredentialSettings;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onRenewal: ((result: RenewalResult) => void) | undefined;
  #held: Held<T> | null = null;
  #renewal: Promise<Held<T>> | null = null;
  #failures = 0;
  #nextAttemptAt = 0;
  #lastError: JobError | null = null;
  #obtained = 0;

  constructor(obtain: ObtainCredential<T>, options: RefreshingOptions = {}) {
    this.#obtain = obtain;
    this.#s = { ...DEFAULTS.credentials, ...options.settings };
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onRenewal = options.onRenewal;
  }

  async get(): Promise<T> {
    const now = this.#now();
    const held = this.#held;
    if (held && !held.refused && (held.expiresAt === null || now < held.expiresAt)) {
      if (now >= held.renewAt && now >= this.#nextAttemptAt) this.#renew().catch(() => undefined);
      return held.value;
    }
    // Nothing usable: wait for a renewal, or fail fast while the last one's backoff runs.
    if (!this.#renewal && this.#lastError && now < this.#nextAttemptAt) throw this.#lastError;
    return (await this.#renew()).value;
  }

  invalidate(used: T): void {
    if (this.#held && this.#held.value === used) this.#held.refused = true;
  }

  health(): CredentialHealth {
    const held = this.#held;
    const usable = held !== null && !held.refused && (held.expiresAt === null || this.#now() < held.expiresAt);
    return {
      ok: usable || this.#lastError === null,
      ...(this.#lastError && !usable
        ? { error: { code: this.#lastError.code, message: this.#lastError.message } }
        : {}),
      ...(held ? { expiresAt: held.expiresAt } : {}),
      obtained: this.#obtained,
    };
  }

  #renew(): Promise<Held<T>> {
    this.#renewal ??= this.#attempt().finally(() => (this.#renewal = null));
    return this.#renewal;
  }

  async #attempt(): Promise<Held<T>> {
    try {
      const got = await this.#obtain();
      const now = this.#now();
      // Already expired on arrival (a skewed clock, a stale metadata answer): a failure, so it
      // backs off instead of fetching again on every call.
      if (got.expiresAt !== null && got.expiresAt <= now) {
        throw new JobError(
          'CREDENTIALS_UNAVAILABLE',
          `the credential obtained had already expired (${new Date(got.expiresAt).toISOString()}); check the clock`,
        );
      }
      const lifetime = got.expiresAt === null ? this.#s.unknownLifetimeMs : Math.max(0, got.expiresAt - now);
      const spread = this.#s.refreshJitter * (this.#random() * 2 - 1);
      const held: Held<T> = {
        value: got.value,
        expiresAt: got.expiresAt,
        renewAt: now + lifetime * Math.min(0.95, Math.max(0.05, this.#s.refreshAt + spread)),
        refused: false,
      };
      this.#held = held;
      this.#obtained++;
      this.#failures = 0;
      this.#nextAttemptAt = 0;
      this.#lastError = null;
      this.#report({ ok: true, expiresAt: got.expiresAt });
      return held;
    } catch (err) {
      this.#failures++;
      const backoff = Math.min(this.#s.retryMaxMs, this.#s.retryBaseMs * 2 ** (this.#failures - 1));
      this.#nextAttemptAt = this.#now() + backoff * (0.5 + this.#random() / 2);
      this.#lastError = asCredentialError(err);
      this.#report({ ok: false, error: this.#lastError });
      throw this.#lastError;
    }
  }

  #report(result: RenewalResult): void {
    try {
      this.#onRenewal?.(result);
    } catch {
      // A broken log sink must not break credentials.
    }
  }
}

/** A fixed credential: what static AccessKeys and literal tokens are. */
export class FixedCredential<T> implements CredentialSource<T> {
  constructor(readonly value: T) {}
  get(): Promise<T> {
    return Promise.resolve(this.value);
  }
  invalidate(): void {}
  health(): CredentialHealth {
    return { ok: true, expiresAt: null, obtained: 1 };
  }
}

/** Tells a source from a plain credential object (clients accept both). */
export function isCredentialSource<T extends object>(c: T | CredentialSource<T>): c is CredentialSource<T> {
  return typeof (c as Partial<CredentialSource<T>>).get === 'function';
}

/** Anything that is not already a coded credential error becomes CREDENTIALS_UNAVAILABLE. */
function asCredentialError(err: unknown): JobError {
  if (isJobError(err) && (err.code === 'CREDENTIALS_UNAVAILABLE' || err.code === 'PROVIDER_AUTH_FAILED')) return err;
  if (isJobError(err) && err.transient) {
    return new JobError('CREDENTIALS_UNAVAILABLE', err.message, err.details, { cause: err });
  }
  if (isJobError(err)) return new JobError('PROVIDER_AUTH_FAILED', err.message, err.details, { cause: err });
  return new JobError('CREDENTIALS_UNAVAILABLE', 'credentials could not be obtained', {}, { cause: err });
}
