/**
 * The public error contract: every failure a client can see carries one of these codes in
 * GraphQL `extensions.code`. Provider code throws {@link JobError}; the GraphQL layer converts it
 * in one place (src/schema/format-error.ts). Nothing here knows about GraphQL.
 */
export const ERROR_CODES = [
  'JOB_NOT_FOUND',
  'BAD_USER_INPUT',
  'FORBIDDEN',
  'PROVIDER_AUTH_FAILED',
  'PROVIDER_FORBIDDEN',
  'PROVIDER_THROTTLED',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_TIMEOUT',
  'PROVIDER_BAD_RESPONSE',
  'PROVIDER_NOT_CONFIGURED',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes worth trying again later (polling backs off on these instead of dropping the job). */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set([
  'PROVIDER_THROTTLED',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_TIMEOUT',
  'PROVIDER_BAD_RESPONSE',
]);

export interface JobErrorDetails {
  /** Which provider answered (or would have). */
  provider?: string;
  /** The provider's own error code, e.g. `Throttling.User` or `APIGW.0308`. Safe to show. */
  providerCode?: string;
  /** The provider's request id, for support tickets. */
  requestId?: string;
  /** HTTP status the provider answered with. */
  httpStatus?: number;
  /** How long the provider asked us to wait before trying again. */
  retryAfterMs?: number;
}

/**
 * A failure with a stable code. The message must never contain credentials, signatures or raw
 * provider bodies: it is shown to clients and logged.
 */
export class JobError extends Error {
  override readonly name = 'JobError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: JobErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True for faults that may clear by themselves (throttling, outages, timeouts, garbled bodies). */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

/** Type guard that also works across module copies (checks the shape, not the prototype). */
export function isJobError(err: unknown): err is JobError {
  return err instanceof JobError || (err instanceof Error && err.name === 'JobError' && 'code' in err);
}
