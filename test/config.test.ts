import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../src/config.js';

describe('resolveConfig', () => {
  it('defaults to the simulator on port 4000 with the documented limits', () => {
    const c = resolveConfig({});
    expect(c.mode).toBe('simulator');
    expect(c.port).toBe(4000);
    expect(c.providerConcurrency).toBe(16);
    expect(c.maxRefs).toBe(100);
    expect(c.workspaceApi).toBe('v2');
    expect(c.poll).toEqual({ minIntervalMs: 1000, maxIntervalMs: 30000, terminalTtlMs: 300000 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('requires JOBS_MODE explicitly in production', () => {
    expect(() => resolveConfig({ NODE_ENV: 'production' })).toThrow(/JOBS_MODE/);
    expect(resolveConfig({ NODE_ENV: 'production', JOBS_MODE: 'live' }).mode).toBe('live');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['JOBS_MODE', 'mock'],
    ['JOBS_WORKSPACE_API', 'v3'],
    ['JOBS_ENDPOINT_DLI', 'not a url'],
    ['JOBS_PROVIDER_CONCURRENCY', '0'],
    ['HUAWEICLOUD_SDK_PROJECT_ID', 'not-hex'],
    ['ALIBABA_CLOUD_REGION_ID', 'Hangzhou'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    let caught: unknown;
    try {
      resolveConfig({ [name]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(name);
    expect((caught as Error).message).toContain(name);
  });

  it('rejects half an AccessKey pair without echoing the secret', () => {
    expect(() => resolveConfig({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'top-secret-value' })).toThrow(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
    try {
      resolveConfig({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'top-secret-value' });
    } catch (err) {
      expect((err as Error).message).not.toContain('top-secret-value');
    }
    expect(() => resolveConfig({ HUAWEICLOUD_SDK_AK: 'AK' })).toThrow(/HUAWEICLOUD_SDK_SK/);
  });

  it('rejects a poll maximum below the minimum', () => {
    expect(() => resolveConfig({ JOBS_POLL_MIN_INTERVAL_MS: '5000', JOBS_POLL_MAX_INTERVAL_MS: '1000' })).toThrow(/JOBS_POLL_MAX_INTERVAL_MS/);
  });

  it('reads credentials, regions and endpoint overrides with {region}', () => {
    const c = resolveConfig({
      JOBS_MODE: 'live',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'id',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret',
      ALIBABA_CLOUD_REGION_ID: 'cn-hangzhou',
      HUAWEICLOUD_AUTH_TOKEN: 'tok',
      HUAWEICLOUD_SDK_REGION: 'eu-west-101',
      HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
      JOBS_ENDPOINT_NLB: 'http://127.0.0.1:9001/{region}',
    });
    expect(c.alibaba.credentials).toMatchObject({ accessKeyId: 'id', accessKeySecret: 'secret' });
    expect(c.alibaba.region).toBe('cn-hangzhou');
    expect(c.huawei.auth).toEqual({ kind: 'token', token: 'tok' });
    expect(c.huawei.region).toBe('eu-west-101');
    expect(c.endpoints.NLB).toBe('http://127.0.0.1:9001/{region}');
  });

  it('prefers AK/SK over a token when both are configured', () => {
    const c = resolveConfig({ HUAWEICLOUD_SDK_AK: 'ak', HUAWEICLOUD_SDK_SK: 'sk', HUAWEICLOUD_AUTH_TOKEN: 'tok' });
    expect(c.huawei.auth).toMatchObject({ kind: 'aksk', ak: 'ak', sk: 'sk' });
  });
});
