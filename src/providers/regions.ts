/**
 * The regions each provider's API is offered in, and the host that serves it there. A ref naming
 * another region (a typo such as `cn-nrth-4`, a region of the other cloud, a region the service
 * never reached) is BAD_USER_INPUT before any call: in live mode its host would not resolve, or
 * would be the wrong gateway (docs/providers.md#regions).
 *
 * The tables are taken from each provider's official SDK region list, read at these versions:
 * - DATAWORKS: aliyun/alibabacloud-typescript-sdk `dataworks-public-20240518/src/client.ts`, the
 *   constructor's `_endpointMap` (commit 08b30d48). The map sends some regions to the central host
 *   `dataworks.aliyuncs.com`; the 2020-05-18 and 2024-05-18 endpoint pages agree for cn-qingdao and
 *   cn-huhehaote. Map entries that are Alibaba-internal cells or test regions (`*-pop`, `*-inner`,
 *   `*-internal-*`, `*-test-*`, `*-nebula*`, `*-b01`-style cells, `cn-edge-1`, `cn-yushanfang`,
 *   `cn-zhangbei`, `eu-west-1-oxs`) are left out: no customer can hold a job there.
 * - NLB: the SDK has no map (`nlb-20220430/src/client.ts` uses the bare regional rule), so the
 *   table is the product page "Regions that support NLB"
 *   (https://www.alibabacloud.com/help/en/slb/network-load-balancer/product-overview/regions-that-support-nlb),
 *   whose region names are turned into ids with Alibaba's region id tables; the three finance
 *   regions come from the older Chinese page https://help.aliyun.com/document_detail/472054.html .
 * - CFW, DLI, WORKSPACE: huaweicloud/huaweicloud-sdk-nodejs-v3 `services/cfw/v1/CfwRegion.ts`,
 *   `services/dli/v1/DliRegion.ts`, `services/workspaceapp/v1/WorkspaceAppRegion.ts` (commit
 *   b081640b, 2026-08-06). Neither the Node nor the Go (`services/workspaceapp/v1/region/region.go`)
 *   table of Workspace App lists `eu-west-101`, and no Workspace endpoint page shows it there, so it
 *   is rejected (the Workspace *desktop* SDK's `.com` host there is another service).
 */
import { JobError } from '../errors.js';
import { cloudOf, PROVIDERS, type Cloud, type ProviderName } from './types.js';

/** DataWorks regions with their own host, `dataworks.{region}.aliyuncs.com`. */
const DATAWORKS_REGIONAL = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-3',
  'ap-southeast-5',
  'cn-beijing',
  'cn-beijing-finance-1',
  'cn-chengdu',
  'cn-hangzhou',
  'cn-hongkong',
  'cn-north-2-gov-1',
  'cn-shanghai',
  'cn-shanghai-finance-1',
  'cn-shenzhen',
  'cn-shenzhen-finance-1',
  'cn-wulanchabu',
  'cn-zhangjiakou',
  'eu-central-1',
  'eu-west-1',
  'me-central-1',
  'me-east-1',
  'us-east-1',
  'us-west-1',
];

/** DataWorks regions the SDK map serves from the central host. */
const DATAWORKS_CENTRAL = [
  'ap-south-1',
  'ap-southeast-2',
  'cn-beijing-gov-1',
  'cn-fujian',
  'cn-hangzhou-finance',
  'cn-huhehaote',
  'cn-qingdao',
  'cn-wuhan',
];

const NLB = [
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'cn-beijing',
  'cn-beijing-finance-1',
  'cn-chengdu',
  'cn-guangzhou',
  'cn-hangzhou',
  'cn-heyuan',
  'cn-hongkong',
  'cn-qingdao',
  'cn-shanghai',
  'cn-shanghai-finance-1',
  'cn-shenzhen',
  'cn-shenzhen-finance-1',
  'cn-wulanchabu',
  'cn-zhangjiakou',
  'eu-central-1',
  'eu-west-1',
  'me-central-1',
  'me-east-1',
  'na-south-1',
  'us-east-1',
  'us-west-1',
];

const CFW = [
  'af-north-1',
  'af-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'cn-east-2',
  'cn-east-3',
  'cn-east-4',
  'cn-east-5',
  'cn-north-11',
  'cn-north-12',
  'cn-north-4',
  'cn-north-9',
  'cn-south-1',
  'cn-south-2',
  'cn-south-4',
  'cn-southwest-2',
  'cn-southwest-3',
  'eu-west-101',
  'la-north-2',
  'la-south-2',
  'me-east-1',
  'my-kualalumpur-1',
  'ru-moscow-1',
  'sa-brazil-1',
  'tr-west-1',
];

const DLI = [
  'ae-ad-1',
  'af-north-1',
  'af-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'cn-east-2',
  'cn-east-3',
  'cn-east-4',
  'cn-east-5',
  'cn-north-1',
  'cn-north-2',
  'cn-north-4',
  'cn-north-9',
  'cn-south-1',
  'cn-southwest-2',
  'eu-west-0',
  'eu-west-101',
  'la-north-2',
  'la-south-2',
  'me-east-1',
  'my-kualalumpur-1',
  'na-mexico-1',
  'ru-moscow-1',
  'ru-northwest-2',
  'sa-brazil-1',
  'tr-west-1',
];

/** Workspace App regions served from `appstream.{region}…`. */
const WORKSPACE_APPSTREAM = ['cn-east-3', 'cn-north-4', 'cn-north-9', 'cn-south-1', 'cn-southwest-2'];
/** Workspace App regions served from `workspace.{region}…`. */
const WORKSPACE_OTHER = [
  'af-north-1',
  'af-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'cn-east-5',
  'cn-north-11',
  'la-north-2',
  'la-south-2',
  'me-east-1',
  'sa-brazil-1',
  'tr-west-1',
];

/** Huawei's EU sovereign region lives under its own domain (the SDK tables' `.eu` hosts). */
function huaweiDomain(region: string): string {
  return region === 'eu-west-101' ? 'myhuaweicloud.eu' : 'myhuaweicloud.com';
}

function table(entries: readonly (readonly [readonly string[], (region: string) => string])[]) {
  const hosts = new Map<string, string>();
  for (const [regions, host] of entries) for (const r of regions) hosts.set(r, host(r));
  return hosts;
}

/** Region → default host, per provider. */
const HOSTS: Readonly<Record<ProviderName, ReadonlyMap<string, string>>> = {
  DATAWORKS: table([
    [DATAWORKS_REGIONAL, (r) => `dataworks.${r}.aliyuncs.com`],
    [DATAWORKS_CENTRAL, () => 'dataworks.aliyuncs.com'],
  ]),
  NLB: table([[NLB, (r) => `nlb.${r}.aliyuncs.com`]]),
  CFW: table([[CFW, (r) => `cfw.${r}.${huaweiDomain(r)}`]]),
  DLI: table([[DLI, (r) => `dli.${r}.${huaweiDomain(r)}`]]),
  WORKSPACE: table([
    [WORKSPACE_APPSTREAM, (r) => `appstream.${r}.${huaweiDomain(r)}`],
    [WORKSPACE_OTHER, (r) => `workspace.${r}.${huaweiDomain(r)}`],
  ]),
};

/** Every region of a cloud's providers in these tables, to tell "other cloud" from "no such region". */
const CLOUD_REGIONS: Readonly<Record<Cloud, ReadonlySet<string>>> = {
  alibaba: new Set(PROVIDERS.filter((p) => cloudOf(p) === 'alibaba').flatMap((p) => [...HOSTS[p].keys()])),
  huawei: new Set(PROVIDERS.filter((p) => cloudOf(p) === 'huawei').flatMap((p) => [...HOSTS[p].keys()])),
};

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { alibaba: 'Alibaba Cloud', huawei: 'Huawei Cloud' };

/** The regions a provider's API is offered in, sorted. */
export function regionsOf(provider: ProviderName): readonly string[] {
  return [...HOSTS[provider].keys()].sort();
}

/** The documented host of a provider in a region; null when the provider is not offered there. */
export function hostFor(provider: ProviderName, region: string): string | null {
  return HOSTS[provider].get(region) ?? null;
}

/**
 * Checks that a provider is offered in a region.
 * @throws JobError BAD_USER_INPUT naming the region, why it is refused and the valid regions.
 */
export function requireRegion(provider: ProviderName, region: string): void {
  if (HOSTS[provider].has(region)) return;
  const cloud = cloudOf(provider);
  const other: Cloud = cloud === 'alibaba' ? 'huawei' : 'alibaba';
  let why: string;
  if (CLOUD_REGIONS[other].has(region) && !CLOUD_REGIONS[cloud].has(region)) {
    why = `${region} is a region of ${CLOUD_NAMES[other]}, but ${provider} runs on ${CLOUD_NAMES[cloud]}`;
  } else {
    const guess = closest(region, regionsOf(provider));
    why = `${provider} is not offered in region ${region}${guess ? ` (did you mean ${guess}?)` : ''}`;
  }
  throw new JobError('BAD_USER_INPUT', `${why}; ${provider} regions: ${regionsOf(provider).join(', ')}`, {
    provider,
  });
}

/** The nearest candidate within two edits of `input` (a typo), or null when none is, or several tie. */
function closest(input: string, candidates: readonly string[]): string | null {
  const scored = candidates.map((c) => ({ c, d: editDistance(input, c) })).filter((x) => x.d <= 2);
  const best = Math.min(...scored.map((x) => x.d));
  const nearest = scored.filter((x) => x.d === best);
  return nearest.length === 1 ? nearest[0]!.c : null;
}

/** Levenshtein distance (region ids are short: the quadratic table is a few hundred cells). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
