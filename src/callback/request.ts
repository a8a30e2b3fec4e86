/**
 * What a router's callback-mode subscription request must carry (Apollo's `callback/1.0`
 * protocol): `extensions.subscription = { callbackUrl, subscriptionId, verifier,
 * heartbeatIntervalMs }` beside an ordinary GraphQL request. Validated before anything is sent:
 * the callback URL must be http(s) and, when `JOBS_CALLBACK_ALLOWED_HOSTS` is set, name a host on
 * it, so a request cannot make this server POST anywhere else (SSRF).
 */
import { z } from 'zod';
import type { HttpErrorCode } from '../errors.js';

export interface CallbackExtension {
  callbackUrl: URL;
  subscriptionId: string;
  verifier: string;
  /** 0: no heartbeats. */
  heartbeatIntervalMs: number;
}

export interface CallbackRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  subscription: CallbackExtension;
}

export type ParsedCallbackRequest =
  | { ok: true; request: CallbackRequest }
  | { ok: false; code: Extract<HttpErrorCode, 'BAD_REQUEST' | 'CALLBACK_URL_NOT_ALLOWED'>; message: string };

const EXTENSION = z.object({
  callbackUrl: z.string().min(1).max(2_048),
  subscriptionId: z.string().min(1).max(256),
  verifier: z.string().min(1).max(1_024),
  heartbeatIntervalMs: z.number().int().min(0).max(86_400_000),
});

const BODY = z.object({
  query: z.string(),
  operationName: z.string().nullish(),
  variables: z.record(z.string(), z.unknown()).nullish(),
  extensions: z.object({ subscription: EXTENSION }),
});

/** True when a parsed JSON body asks for a callback subscription (it has `extensions.subscription`). */
export function isCallbackRequest(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const extensions = (body as { extensions?: unknown }).extensions;
  return typeof extensions === 'object' && extensions !== null && 'subscription' in extensions;
}

/** Validates a callback subscription request; `allowedHosts` as in CallbackSettings (empty: any host). */
export function parseCallbackRequest(body: unknown, allowedHosts: readonly string[]): ParsedCallbackRequest {
  const parsed = BODY.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'body';
    return {
      ok: false,
      code: 'BAD_REQUEST',
      message: `invalid callback subscription request: ${where}: ${issue?.message}`,
    };
  }
  const { query, operationName, variables, extensions } = parsed.data;
  const ext = extensions.subscription;
  let url: URL;
  try {
    url = new URL(ext.callbackUrl);
  } catch {
    return { ok: false, code: 'CALLBACK_URL_NOT_ALLOWED', message: 'callbackUrl is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, code: 'CALLBACK_URL_NOT_ALLOWED', message: 'callbackUrl must be an http or https URL' };
  }
  if (url.username || url.password) {
    return { ok: false, code: 'CALLBACK_URL_NOT_ALLOWED', message: 'callbackUrl must not carry credentials' };
  }
  if (allowedHosts.length > 0 && !hostAllowed(url, allowedHosts)) {
    return {
      ok: false,
      code: 'CALLBACK_URL_NOT_ALLOWED',
      message: `callback host ${url.host} is not in JOBS_CALLBACK_ALLOWED_HOSTS`,
    };
  }
  return {
    ok: true,
    request: {
      query,
      operationName: operationName ?? undefined,
      variables: variables ?? undefined,
      subscription: {
        callbackUrl: url,
        subscriptionId: ext.subscriptionId,
        verifier: ext.verifier,
        heartbeatIntervalMs: ext.heartbeatIntervalMs,
      },
    },
  };
}

const ENTRY = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/;

/**
 * An entry `host` allows any port of that host; `host:port` only that port (the scheme's default
 * port when the URL names none). Hosts compare as the URL parser spells them (lower case, IPv6 in
 * brackets).
 */
export function hostAllowed(url: URL, allowedHosts: readonly string[]): boolean {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowedHosts.some((entry) => {
    const m = ENTRY.exec(entry);
    if (!m) return false;
    return m[1] === url.hostname && (m[2] === undefined || m[2] === port);
  });
}
