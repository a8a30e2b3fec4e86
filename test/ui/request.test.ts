/** The page's fetcher helpers (ui/request.ts), in Node. */
import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { connectionParamsFrom, currentOperation } from '../../ui/request.js';

describe('currentOperation', () => {
  it("replaces a stale operation name with the document's only operation", () => {
    const r = currentOperation('subscription WatchJobs { __typename }', 'DliJob');
    expect(r.operationName).toBe('WatchJobs');
    expect(r.documentAST?.definitions[0]?.kind).toBe(Kind.OPERATION_DEFINITION);
  });

  it('keeps a name that is in the document, and any name when the document has several operations', () => {
    expect(currentOperation('query A { a } query B { b }', 'B').operationName).toBe('B');
    expect(currentOperation('query A { a } query B { b }', 'C').operationName).toBe('C');
    expect(currentOperation('{ a }', undefined).operationName).toBeUndefined();
    expect(currentOperation('{ a }', 'Old').operationName).toBeNull();
  });

  it('leaves a document that does not parse to the server', () => {
    expect(currentOperation('query {', 'X')).toEqual({ operationName: 'X', documentAST: undefined });
  });
});

describe('connectionParamsFrom', () => {
  it('carries a router secret from the Headers pane into connection_init', () => {
    expect(connectionParamsFrom({ 'X-Router-Secret': 's3cret', other: 'x' })).toEqual({ routerSecret: 's3cret' });
    expect(connectionParamsFrom({ other: 'x' })).toEqual({});
    expect(connectionParamsFrom({ 'x-router-secret': '' })).toEqual({});
    expect(connectionParamsFrom(undefined)).toEqual({});
  });
});
