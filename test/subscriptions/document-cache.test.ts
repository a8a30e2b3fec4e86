import { buildSchema, specifiedRules } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DocumentCache } from '../../src/subscriptions/document-cache.js';

const schema = buildSchema('type Query { a: Int, b: Int }');

describe('DocumentCache', () => {
  it('parses and validates a query text once and hands out the same document after', () => {
    const cache = new DocumentCache(schema, specifiedRules);
    const first = cache.get('{ a }');
    expect(first.errors).toBeUndefined();
    expect(cache.get('{ a }').document).toBe(first.document);
  });

  it('reports syntax and validation errors as GraphQL errors, not exceptions', () => {
    const cache = new DocumentCache(schema, specifiedRules);
    expect(cache.get('{ a').errors?.[0]?.message).toMatch(/^Syntax Error/);
    expect(cache.get('{ nope }').errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
  });

  it('keeps at most its bound, dropping the least recently used text', () => {
    const cache = new DocumentCache(schema, specifiedRules, 2);
    const a = cache.get('{ a }').document;
    const b = cache.get('{ b }').document;
    expect(cache.get('{ a }').document).toBe(a); // a is now the most recent
    cache.get('{ a b }');
    expect(cache.get('{ a }').document).toBe(a);
    expect(cache.get('{ b }').document).not.toBe(b);
  });

  it('does not keep very long texts', () => {
    const cache = new DocumentCache(schema, specifiedRules, 10, 20);
    const long = `{ a ${' '.repeat(30)} }`;
    expect(cache.get(long).document).not.toBe(cache.get(long).document);
  });
});
