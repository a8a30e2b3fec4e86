import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_ERROR_CODES,
  ERROR_CODES,
  ERRORS,
  JobError,
  isClientErrorCode,
  requestErrorBody,
  type ClientErrorCode,
} from '../src/errors.js';

interface Row {
  code: string;
  httpStatus: string;
  transient: string;
  meaning: string;
}

/** The table under README.md's "## Errors" heading, one object per row. */
function readmeErrorTable(): Row[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = /^## Errors\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (section === undefined) throw new Error('README.md has no "## Errors" section');
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  expect(cells(lines[0]!)).toEqual(['code', 'HTTP status', 'transient', 'meaning']);
  expect(cells(lines[1]!).every((c) => /^-+$/.test(c))).toBe(true);
  return lines.slice(2).map((line) => {
    const [code = '', httpStatus = '', transient = '', meaning = '', ...rest] = cells(line);
    expect(rest, `extra cells in ${line}`).toEqual([]);
    return { code: code.replace(/^`(.*)`$/, '$1'), httpStatus, transient, meaning };
  });
}

const asRow = (code: ClientErrorCode): Row => ({
  code,
  httpStatus: ERRORS[code].httpStatus === null ? '—' : String(ERRORS[code].httpStatus),
  transient: ERRORS[code].transient ? 'yes' : 'no',
  meaning: ERRORS[code].description,
});

describe("README.md's error table", () => {
  it('lists exactly the registry, in its order, with its HTTP status, transient flag and description', () => {
    expect(readmeErrorTable()).toEqual(CLIENT_ERROR_CODES.map(asRow));
  });
});

describe('the error registry', () => {
  it('has one-line descriptions that fit a table cell', () => {
    for (const code of CLIENT_ERROR_CODES) {
      const { description } = ERRORS[code];
      expect(description, code).toMatch(/^[^\n|]{10,200}$/);
      expect(description, code).toMatch(/: /); // "what happened: what to do"
    }
  });

  it('gives JobError the job-level codes, including every provider code, and none of the request-level ones', () => {
    expect(ERROR_CODES.filter((c) => c.startsWith('PROVIDER_'))).toHaveLength(9);
    for (const code of [
      'UNAUTHENTICATED',
      'BAD_REQUEST',
      'PAYLOAD_TOO_LARGE',
      'GRAPHQL_PARSE_FAILED',
      'GRAPHQL_VALIDATION_FAILED',
      'TOO_MANY_SUBSCRIPTIONS',
    ]) {
      expect(isClientErrorCode(code), code).toBe(true);
      expect(ERROR_CODES, code).not.toContain(code);
    }
  });

  it('is where JobError.transient comes from', () => {
    for (const code of ERROR_CODES) expect(new JobError(code, 'x').transient, code).toBe(ERRORS[code].transient);
    expect(ERROR_CODES.filter((c) => ERRORS[c].transient)).toEqual([
      'PROVIDER_THROTTLED',
      'PROVIDER_UNAVAILABLE',
      'PROVIDER_TIMEOUT',
      'PROVIDER_QUOTA_EXHAUSTED',
      'PROVIDER_BAD_RESPONSE',
      'CREDENTIALS_UNAVAILABLE',
    ]);
  });

  it('builds the GraphQL-shaped body of a failed HTTP request', () => {
    expect(requestErrorBody('PAYLOAD_TOO_LARGE', 'request body too large')).toEqual({
      errors: [{ message: 'request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    });
  });
});
