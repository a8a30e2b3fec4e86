import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { defaultEndpoint, resolveEndpoint } from '../../src/providers/endpoints.js';
import { hostFor, regionsOf, requireRegion } from '../../src/providers/regions.js';
import { PROVIDERS, type ProviderName } from '../../src/providers/types.js';

/** The JobError requireRegion throws (fails the test when it does not throw). */
function refusal(provider: ProviderName, region: string): JobError {
  try {
    requireRegion(provider, region);
  } catch (err) {
    if (err instanceof JobError) return err;
    throw err;
  }
  throw new Error(`${provider} accepted ${region}`);
}

describe('region tables (src/providers/regions.ts)', () => {
  it('hold the source tables: 31 DataWorks, 28 NLB, 28 CFW, 28 DLI and 17 Workspace App regions', () => {
    expect(regionsOf('DATAWORKS')).toHaveLength(31);
    expect(regionsOf('NLB')).toHaveLength(28);
    expect(regionsOf('CFW')).toHaveLength(28);
    expect(regionsOf('DLI')).toHaveLength(28);
    expect(regionsOf('WORKSPACE')).toHaveLength(17);
    // Regions one Huawei service has and another has not (SDK tables of 2026-08).
    expect(regionsOf('DLI')).toContain('eu-west-0');
    expect(regionsOf('CFW')).not.toContain('eu-west-0');
    expect(regionsOf('CFW')).toContain('cn-north-12');
    expect(regionsOf('DLI')).not.toContain('cn-north-12');
  });

  it.each([
    ['DATAWORKS', 'cn-hangzhou', 'dataworks.cn-hangzhou.aliyuncs.com'],
    ['DATAWORKS', 'ap-northeast-2', 'dataworks.ap-northeast-2.aliyuncs.com'],
    // Served by the central endpoint (SDK map; the endpoint pages agree for Qingdao and Hohhot).
    ['DATAWORKS', 'cn-qingdao', 'dataworks.aliyuncs.com'],
    ['DATAWORKS', 'cn-huhehaote', 'dataworks.aliyuncs.com'],
    ['DATAWORKS', 'ap-southeast-2', 'dataworks.aliyuncs.com'],
    ['NLB', 'cn-hangzhou', 'nlb.cn-hangzhou.aliyuncs.com'],
    ['NLB', 'na-south-1', 'nlb.na-south-1.aliyuncs.com'],
    ['CFW', 'cn-north-4', 'cfw.cn-north-4.myhuaweicloud.com'],
    ['CFW', 'eu-west-101', 'cfw.eu-west-101.myhuaweicloud.eu'],
    ['DLI', 'eu-west-101', 'dli.eu-west-101.myhuaweicloud.eu'],
    ['DLI', 'eu-west-0', 'dli.eu-west-0.myhuaweicloud.com'],
    ['WORKSPACE', 'cn-north-4', 'appstream.cn-north-4.myhuaweicloud.com'],
    ['WORKSPACE', 'cn-southwest-2', 'appstream.cn-southwest-2.myhuaweicloud.com'],
    ['WORKSPACE', 'ap-southeast-1', 'workspace.ap-southeast-1.myhuaweicloud.com'],
  ] as const)('%s in %s is served by %s', (provider, region, host) => {
    expect(hostFor(provider, region)).toBe(host);
    expect(defaultEndpoint(provider, region)).toBe(`https://${host}`);
    expect(resolveEndpoint(provider, region).href).toBe(`https://${host}/`);
  });

  it('never builds the SDK fallback host dataworks-public.* for any DataWorks region', () => {
    for (const region of regionsOf('DATAWORKS')) expect(hostFor('DATAWORKS', region)).toMatch(/^dataworks\./);
  });

  it('keeps every table in the region id shape refs accept', () => {
    for (const p of PROVIDERS) for (const r of regionsOf(p)) expect(r).toMatch(/^[a-z]{2,}(-[a-z0-9]+){1,4}$/);
  });
});

describe('requireRegion', () => {
  it('accepts every region of a provider table', () => {
    for (const p of PROVIDERS) for (const r of regionsOf(p)) expect(() => requireRegion(p, r)).not.toThrow();
  });

  it('refuses Workspace in eu-west-101 (in neither SDK table), naming the valid regions', () => {
    const err = refusal('WORKSPACE', 'eu-west-101');
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.details.provider).toBe('WORKSPACE');
    expect(err.message).toBe(
      `WORKSPACE is not offered in region eu-west-101; WORKSPACE regions: ${regionsOf('WORKSPACE').join(', ')}`,
    );
    expect(hostFor('WORKSPACE', 'eu-west-101')).toBeNull();
  });

  it('suggests the nearest region for a typo', () => {
    const err = refusal('CFW', 'cn-nrth-4');
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.message).toMatch(/^CFW is not offered in region cn-nrth-4 \(did you mean cn-north-4\?\); CFW regions: /);
  });

  it('names the other cloud for an NLB ref with a Huawei region, and a DLI ref with an Alibaba one', () => {
    expect(refusal('NLB', 'cn-north-4').message).toBe(
      `cn-north-4 is a region of Huawei Cloud, but NLB runs on Alibaba Cloud; NLB regions: ${regionsOf('NLB').join(', ')}`,
    );
    expect(refusal('DLI', 'cn-hangzhou').message).toMatch(
      /^cn-hangzhou is a region of Alibaba Cloud, but DLI runs on Huawei Cloud; DLI regions: ae-ad-1, /,
    );
  });

  it('does not call a region "of the other cloud" when both clouds use the id (ap-southeast-1 is in both)', () => {
    expect(refusal('DATAWORKS', 'ap-southeast-7').message).toMatch(
      /^DATAWORKS is not offered in region ap-southeast-7/,
    );
    expect(() => requireRegion('NLB', 'ap-southeast-1')).not.toThrow();
    expect(() => requireRegion('CFW', 'ap-southeast-1')).not.toThrow();
  });

  it('makes defaultEndpoint refuse a region outside the table, so no unresolvable host is ever built', () => {
    expect(() => defaultEndpoint('CFW', 'eu-west-0')).toThrow(JobError);
  });

  it('keeps an endpoint override as given, with {region} filled in (simulator, VPC endpoints)', () => {
    expect(resolveEndpoint('DATAWORKS', 'cn-qingdao', 'https://dataworks-vpc.{region}.aliyuncs.com').href).toBe(
      'https://dataworks-vpc.cn-qingdao.aliyuncs.com/',
    );
    expect(resolveEndpoint('NLB', 'cn-hangzhou', 'http://127.0.0.1:4000').href).toBe('http://127.0.0.1:4000/');
  });
});
