/**
 * The public error contract: every failure a client can see carries one of the codes in
 * {@link ERRORS} in GraphQL `extensions.code`, and README.md's error table is this registry (a test
 * keeps them equal). Provider code throws {@link JobError}; the GraphQL layer converts it in one
 * place (src/schema/format-error.ts). Nothing here knows about GraphQL, so providers never depend
 * on it.
 */

export interface ErrorCodeSpec {
  /**
   * A {@link JobError} may carry it: raised by providers and resolvers for one field or ref (the
   * answer is HTTP 200 and the other refs still resolve). Codes without it are raised only by the
   * HTTP, GraphQL or WebSocket layer, for a whole request or subscription.
   */
  readonly job: boolean;
  /**
   * The HTTP status of an answer that fails as a whole with this code; null when the code never
   * fails a whole HTTP request (it fails one field or ref, or one graphql-ws subscription).
   */
  readonly httpStatus: number | null;
  /** Trying again later may help. Polling backs off on these instead of dropping the job; retries use it too. */
  readonly transient: boolean;
  /** One line: what happened and what a client should do. The README's "meaning" column. */
  readonly description: string;
}

export const ERRORS = {
  JOB_NOT_FOUND: {
    job: true,
    httpStatus: null,
    transient: false,
    description: 'the provider does not know the job: check the ref; asking again will not help',
  },
  BAD_USER_INPUT: {
    job: true,
    httpStatus: 400,
    transient: false,
    description:
      'a malformed ref (job id, region, project), a missing region/project with no default, too many refs (the ref fails), or variables of the wrong type (the request fails): fix the input',
  },
  FORBIDDEN: {
    job: true,
    httpStatus: 403,
    transient: false,
    description:
      'the ref is outside `JOBS_ALLOW_*` (the ref fails), or the router secret is wrong (the request fails): do not retry',
  },
  // Huawei locks an AK for 5 minutes after 5 failed signatures, and Alibaba's clock-skew and nonce
  // errors recur on every re-signed attempt: auth failures are not transient.
  PROVIDER_AUTH_FAILED: {
    job: true,
    httpStatus: null,
    transient: false,
    description: 'the provider rejected our signature, clock or credentials (never retried): an operator must fix them',
  },
  PROVIDER_FORBIDDEN: {
    job: true,
    httpStatus: null,
    transient: false,
    description: "the server's credentials may not read this job: an operator must grant the permission",
  },
  PROVIDER_THROTTLED: {
    job: true,
    httpStatus: null,
    transient: true,
    description: 'the provider throttled us (`Throttling*`, `APIGW.0308`): try again after `retryAfterMs`, or later',
  },
  PROVIDER_UNAVAILABLE: {
    job: true,
    httpStatus: null,
    transient: true,
    description: 'a 5xx, a connection failure, or the circuit breaker is open: try again later',
  },
  PROVIDER_TIMEOUT: {
    job: true,
    httpStatus: null,
    transient: true,
    description: 'no answer within the deadline: try again later',
  },
  // Transient: the budget resets (daily, at `resetsAt`); until then no call is sent, so the
  // provider neither rejects nor bills it.
  PROVIDER_QUOTA_EXHAUSTED: {
    job: true,
    httpStatus: null,
    transient: true,
    description:
      "the account's budget of calls to this provider in this region is spent (our daily budget, or the provider's own daily limit): no call is sent until `resetsAt`",
  },
  // A host that does not resolve, an API the host does not have (`APIGW.0101`, HTTP 405): retrying
  // cannot help and the breaker must not read it as an outage.
  PROVIDER_MISCONFIGURED: {
    job: true,
    httpStatus: null,
    transient: false,
    description:
      'the endpoint this ref leads to does not serve the API (unknown host, no such API, method not allowed): an operator must fix the region or the `JOBS_ENDPOINT_*` override',
  },
  // Often a one-off (a cut connection, a proxy answering for a restarting backend).
  PROVIDER_BAD_RESPONSE: {
    job: true,
    httpStatus: null,
    transient: true,
    description: 'the answer was not the documented shape (HTML, truncated, wrong types, too large): try again later',
  },
  // Set apart from PROVIDER_AUTH_FAILED: the provider never saw a request, and the account's own
  // credential source (STS, IAM, a metadata service, a file) is what failed; it keeps retrying.
  CREDENTIALS_UNAVAILABLE: {
    job: true,
    httpStatus: null,
    transient: true,
    description:
      "the server could not obtain credentials for the ref's account (STS, IAM or the metadata service unreachable or failing, a credential file missing): the account recovers by itself; try again later",
  },
  PROVIDER_NOT_CONFIGURED: {
    job: true,
    httpStatus: null,
    transient: false,
    description: "live mode without credentials for this provider's cloud: ask an operator to configure them",
  },
  INTERNAL_SERVER_ERROR: {
    job: true,
    httpStatus: 500,
    transient: false,
    description: 'a fault in this server (logged, never shown): report it with the `x-request-id` response header',
  },
  UNAUTHENTICATED: {
    job: false,
    httpStatus: 401,
    transient: false,
    description:
      '`ROUTER_SECRET` is set and the request has no `x-router-secret` header: send requests through the router',
  },
  BAD_REQUEST: {
    job: false,
    httpStatus: 400,
    transient: false,
    description:
      'the HTTP request is malformed (an unreadable JSON body, a subscription over HTTP without a valid callback extension, a bad persisted-query extension; 405/406/415: method, accept, content type): fix it',
  },
  PAYLOAD_TOO_LARGE: {
    job: false,
    httpStatus: 413,
    transient: false,
    description: 'the request body exceeds `JOBS_MAX_BODY_BYTES`: send a smaller document or fewer refs',
  },
  GRAPHQL_PARSE_FAILED: {
    job: false,
    httpStatus: 400,
    transient: false,
    description:
      'the document is not GraphQL (a syntax error, more than `JOBS_MAX_TOKENS` tokens, nesting too deep): fix the document',
  },
  GRAPHQL_VALIDATION_FAILED: {
    job: false,
    httpStatus: 400,
    transient: false,
    description:
      'the document does not fit the schema or a query limit (depth, aliases, cost, introspection off): fix the document',
  },
  OPERATION_RESOLUTION_FAILURE: {
    job: false,
    httpStatus: 400,
    transient: false,
    description:
      'no operation to run (none, or `operationName` missing or unknown): name an operation the document contains',
  },
  // Apollo answers an unknown automatic-persisted-query hash with 200; APQ clients then resend.
  PERSISTED_QUERY_NOT_FOUND: {
    job: false,
    httpStatus: 200,
    transient: false,
    description:
      'the persisted query hash is not known here: send the query text with it (APQ clients do this themselves)',
  },
  TOO_MANY_SUBSCRIPTIONS: {
    job: false,
    httpStatus: 429,
    transient: false,
    description:
      'more than `JOBS_WS_MAX_SUBSCRIPTIONS` on one graphql-ws connection, or `JOBS_CALLBACK_MAX_SUBSCRIPTIONS` callback subscriptions on a replica: complete one first, or use another connection',
  },
  // Refused before any request goes to the URL: the subgraph never POSTs where it may not (SSRF).
  CALLBACK_URL_NOT_ALLOWED: {
    job: false,
    httpStatus: 400,
    transient: false,
    description:
      'a callback subscription whose `callbackUrl` is not http(s) or whose host is not in `JOBS_CALLBACK_ALLOWED_HOSTS` (nothing was sent): fix the router URL or the list',
  },
  CALLBACK_CHECK_FAILED: {
    job: false,
    httpStatus: 400,
    transient: false,
    description:
      "the callback receiver did not answer the initial `check` with 204 (unknown id, wrong verifier, unreachable): the subscription was not started; check the router's callback endpoint",
  },
  // The callback transport's counterpart of graphql-ws's close 1013: a receiver that takes events
  // more slowly than they come is ended, not buffered for without bound.
  SUBSCRIBER_TOO_SLOW: {
    job: false,
    httpStatus: null,
    transient: true,
    description:
      'a callback subscription whose receiver fell behind by more than `JOBS_CALLBACK_MAX_QUEUED_BYTES` of messages was completed with this error: subscribe again for fresh snapshots',
  },
  SHUTTING_DOWN: {
    job: false,
    httpStatus: 503,
    transient: true,
    description:
      'this replica is shutting down and starts no new callback subscription: subscribe again (another replica answers)',
  },
} as const satisfies Readonly<Record<string, ErrorCodeSpec>>;

/** Every code a client can see. */
export type ClientErrorCode = keyof typeof ERRORS;

/**
 * The codes a {@link JobError} may carry. Deliberately a subset: providers and resolvers can fail
 * a job, but cannot claim a parse failure or a missing router secret, which only the layers that
 * own those checks may report.
 */
export type ErrorCode = { [C in ClientErrorCode]: (typeof ERRORS)[C]['job'] extends true ? C : never }[ClientErrorCode];

/** Codes that fail a whole HTTP request, i.e. have an {@link ErrorCodeSpec.httpStatus}. */
export type HttpErrorCode = {
  [C in ClientErrorCode]: (typeof ERRORS)[C]['httpStatus'] extends number ? C : never;
}[ClientErrorCode];

export const CLIENT_ERROR_CODES = Object.keys(ERRORS) as readonly ClientErrorCode[];

export const ERROR_CODES: readonly ErrorCode[] = CLIENT_ERROR_CODES.filter((c): c is ErrorCode => ERRORS[c].job);

export function isClientErrorCode(code: unknown): code is ClientErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** The registry's transient flag; false for anything that is not a registered code. */
export function isTransient(code: string): boolean {
  return isClientErrorCode(code) && ERRORS[code].transient;
}

/** The JSON body of an answer that fails a whole HTTP request, in GraphQL's error shape. */
export interface RequestErrorBody {
  errors: [{ message: string; extensions: { code: ClientErrorCode } }];
}

/** For HTTP handlers outside Apollo (body parser, router secret): one coded GraphQL-shaped error. */
export function requestErrorBody(code: HttpErrorCode, message: string): RequestErrorBody {
  return { errors: [{ message, extensions: { code } }] };
}

export interface JobErrorDetails {
  /** Which provider answered (or would have). */
  provider?: string;
  /** The configured account (accounts file name) whose credentials were used. Never a key id. */
  account?: string;
  /** The provider's own error code, e.g. `Throttling.User` or `APIGW.0308`. Safe to show. */
  providerCode?: string;
  /** The provider's request id, for support tickets. */
  requestId?: string;
  /** HTTP status the provider answered with. */
  httpStatus?: number;
  /** How long the provider asked us to wait before trying again. */
  retryAfterMs?: number;
  /** When an exhausted budget resets (ISO 8601). */
  resetsAt?: string;
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
    return isTransient(this.code);
  }
}

/** Type guard that also works across module copies (checks the shape, not the prototype). */
export function isJobError(err: unknown): err is JobError {
  return err instanceof JobError || (err instanceof Error && err.name === 'JobError' && 'code' in err);
}
