import { afterAll, describe, it, expect } from 'vitest';
import { HttpTransport } from '../../../src/providers/http.js';
import { buildHuaweiGet, requireProjectId } from '../../../src/providers/huawei/request.js';

const transport = new HttpTransport();
afterAll(async () => {
  await transport.close();
});
const now = () => new Date('2025-01-02T03:04:05Z');
const parts = {
  provider: 'DLI' as const,
  region: 'cn-north-4',
  projectId: 'p1',
  segments: ['v1.0', 'p1', 'jobs', 'a b:c', 'status'],
};

describe('buildHuaweiGet', () => {
  it('signs a GET with Content-Type and X-Project-Id on the documented host', () => {
    const req = buildHuaweiGet({ now }, parts, { kind: 'aksk', ak: 'AK', sk: 'SK' });
    expect(req.method).toBe('GET');
    expect(req.url.href).toBe('https://dli.cn-north-4.myhuaweicloud.com/v1.0/p1/jobs/a%20b%3Ac/status');
    expect(req.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Project-Id': 'p1',
      Host: 'dli.cn-north-4.myhuaweicloud.com',
      'X-Sdk-Date': '20250102T030405Z',
    });
    expect(req.headers.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    expect(req.body).toBeUndefined();
  });

  it('sends X-Auth-Token and no signature in token mode', () => {
    const req = buildHuaweiGet({ now }, parts, { kind: 'token', token: 'tok' });
    expect(req.headers).toEqual({ 'Content-Type': 'application/json', 'X-Auth-Token': 'tok' });
  });

  it('keeps a base path of an endpoint override and substitutes the region', () => {
    const req = buildHuaweiGet({ endpointOverride: 'http://127.0.0.1:8080/{region}/' }, parts, {
      kind: 'token',
      token: 't',
    });
    expect(req.url.href).toBe('http://127.0.0.1:8080/cn-north-4/v1.0/p1/jobs/a%20b%3Ac/status');
  });

  it('uses the Workspace appstream host in mainland regions and workspace elsewhere', () => {
    const ws = (region: string) =>
      buildHuaweiGet(
        {},
        { provider: 'WORKSPACE', region, projectId: 'p', segments: ['v2'] },
        { kind: 'token', token: 't' },
      ).url.host;
    expect(ws('cn-north-4')).toBe('appstream.cn-north-4.myhuaweicloud.com');
    expect(ws('ap-southeast-1')).toBe('workspace.ap-southeast-1.myhuaweicloud.com');
  });
});

describe('requireProjectId', () => {
  it('rejects a Huawei key without a project id as bad input', () => {
    expect(() =>
      requireProjectId({ provider: 'CFW', account: null, region: 'r', projectId: null, jobId: 'j' }),
    ).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(requireProjectId({ provider: 'CFW', account: null, region: 'r', projectId: 'p', jobId: 'j' })).toBe('p');
  });
});
