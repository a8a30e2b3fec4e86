import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { requireRouterSecret, secretMatches } from '../../src/security/router-secret.js';

/** Runs the middleware against a bare request; what it answered, or 'next'. */
function run(headers: Record<string, string>): { status: number; body: unknown } | 'next' {
  let answer: { status: number; body: unknown } | null = null;
  let status = 200;
  const res = {
    status(s: number) {
      status = s;
      return res;
    },
    json(body: unknown) {
      answer = { status, body };
      return res;
    },
  };
  let called = false;
  requireRouterSecret('s3cret')({ headers } as unknown as Request, res as unknown as Response, () => {
    called = true;
  });
  return called ? 'next' : (answer ?? { status: -1, body: null });
}

describe('requireRouterSecret', () => {
  it('answers a missing secret with the registry status of UNAUTHENTICATED, a wrong one with FORBIDDEN', () => {
    expect(run({})).toEqual({
      status: ERRORS.UNAUTHENTICATED.httpStatus,
      body: { errors: [{ message: 'missing router secret', extensions: { code: 'UNAUTHENTICATED' } }] },
    });
    expect(run({ 'x-router-secret': 'nope' })).toEqual({
      status: ERRORS.FORBIDDEN.httpStatus,
      body: { errors: [{ message: 'wrong router secret', extensions: { code: 'FORBIDDEN' } }] },
    });
    expect(run({ 'x-router-secret': 's3cret' })).toBe('next');
  });

  it('matches only the exact, non-empty secret', () => {
    expect(secretMatches('s3cret', 's3cret')).toBe(true);
    expect(secretMatches('s3cret', 's3cret ')).toBe(false);
    expect(secretMatches('s3cret', '')).toBe(false);
    expect(secretMatches('s3cret', undefined)).toBe(false);
  });
});
