import { describe, expect, it } from 'vitest';
import { hostAllowed, isCallbackRequest, parseCallbackRequest } from '../../src/callback/request.js';

const ext = (over: Record<string, unknown> = {}) => ({
  callbackUrl: 'http://router.internal:4000/callback/abc',
  subscriptionId: 'abc',
  verifier: 'v',
  heartbeatIntervalMs: 5000,
  ...over,
});
const body = (over: Record<string, unknown> = {}) => ({
  query: 'subscription { x }',
  extensions: { subscription: ext(over) },
});

describe('callback subscription requests', () => {
  it('are recognised by extensions.subscription alone', () => {
    expect(isCallbackRequest(body())).toBe(true);
    expect(isCallbackRequest({ query: '{ a }', extensions: { persistedQuery: {} } })).toBe(false);
    expect(isCallbackRequest(null)).toBe(false);
    expect(isCallbackRequest('x')).toBe(false);
  });

  it('need every field of the extension, with the right types', () => {
    expect(parseCallbackRequest(body(), [])).toMatchObject({
      ok: true,
      request: { subscription: { subscriptionId: 'abc' } },
    });
    for (const bad of [
      { verifier: undefined },
      { heartbeatIntervalMs: -1 },
      { heartbeatIntervalMs: '5000' },
      { subscriptionId: '' },
    ]) {
      expect(parseCallbackRequest(body(bad), []), JSON.stringify(bad)).toMatchObject({
        ok: false,
        code: 'BAD_REQUEST',
      });
    }
    expect(parseCallbackRequest({ extensions: { subscription: ext() } }, [])).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
  });

  it('need an http(s) callback URL without credentials', () => {
    for (const callbackUrl of [
      'ftp://h/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'gopher://h',
      'http://u:p@h/x',
      '/relative',
    ]) {
      expect(parseCallbackRequest(body({ callbackUrl }), []), callbackUrl).toMatchObject({
        ok: false,
        code: 'CALLBACK_URL_NOT_ALLOWED',
      });
    }
    expect(parseCallbackRequest(body({ callbackUrl: 'https://r/cb/1' }), []).ok).toBe(true);
  });

  it('with an allow-list, need its host (and port, when the entry has one)', () => {
    const allowed = ['router.internal:4000', 'gw', '[::1]:8080', 'secure:443'];
    const ok = (url: string) => hostAllowed(new URL(url), allowed);
    expect(ok('http://router.internal:4000/cb')).toBe(true);
    expect(ok('http://ROUTER.internal:4000/cb')).toBe(true);
    expect(ok('http://router.internal:4001/cb')).toBe(false);
    expect(ok('http://router.internal/cb')).toBe(false); // port 80
    expect(ok('http://gw:1234/cb')).toBe(true);
    expect(ok('https://gw/cb')).toBe(true);
    expect(ok('http://[::1]:8080/cb')).toBe(true);
    expect(ok('http://[::1]:8081/cb')).toBe(false);
    expect(ok('https://secure/cb')).toBe(true); // the default port
    expect(ok('http://secure/cb')).toBe(false);
    expect(ok('http://gw.evil.example/cb')).toBe(false);
    expect(ok('http://169.254.169.254/latest')).toBe(false);
    expect(parseCallbackRequest(body({ callbackUrl: 'http://evil:4000/cb' }), allowed)).toMatchObject({
      ok: false,
      code: 'CALLBACK_URL_NOT_ALLOWED',
    });
  });
});
