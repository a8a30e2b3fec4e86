/**
 * Errors this layer raises itself, without sending a request: an open circuit breaker, a
 * client-side rate limit that would wait too long. Asking again within the same call cannot
 * help, so they are never retried; `retryAfterMs` says when it might.
 */
import { JobError } from '../../errors.js';

export class LocalJobError extends JobError {}
