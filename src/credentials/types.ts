/**
 * What every credential source produces: a value and when it stops working. Sources that talk to
 * STS, IAM or a metadata service return one of these per call; ./refreshing.ts keeps it fresh.
 */

/** A credential with its expiry; `expiresAt` is epoch ms, null for one that never expires. */
export interface Expiring<T> {
  value: T;
  expiresAt: number | null;
}

/** Obtains a fresh credential (one STS/IAM/metadata exchange, or a re-read of files). */
export type ObtainCredential<T> = (signal?: AbortSignal) => Promise<Expiring<T>>;
