import { describe, expect, it } from 'vitest';
import type { JobError } from '../../src/errors.js';
import { toAlibabaError } from '../../src/providers/alibaba/errors.js';
import { toHuaweiError } from '../../src/providers/huawei/errors.js';
import { safeIdentifier, SUMMARIES } from '../../src/providers/provider-message.js';
import { mulberry32 } from '../helpers/prng.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Everything a provider error message may be: provider, a fixed summary, the status, an identifier. */
const ALLOWED = new RegExp(
  `^(NLB|DLI) (${Object.values(SUMMARIES).map(escape).join('|')}): HTTP \\d{3}( \\([A-Za-z0-9._-]{1,80}\\))?$`,
);

const FREE_TEXT = 'leak: X-Auth-Token MIIxyz canonicalRequest GET|/v1| 10.0.0.7 other-tenant-job';

const alibaba = (status: number, code: unknown, requestId: unknown = 'R-1') =>
  toAlibabaError(
    'NLB',
    status,
    {},
    JSON.stringify({ RequestId: requestId, Code: code, Message: FREE_TEXT, Recommend: FREE_TEXT }),
  );
const huawei = (status: number, code: unknown, requestId: unknown = 'R-1') =>
  toHuaweiError('DLI', status, {}, { error_code: code, error_msg: FREE_TEXT, request_id: requestId });

function expectAllowListed(e: JobError): void {
  expect(e.message).toMatch(ALLOWED);
  for (const word of ['leak', 'MIIxyz', 'canonical', '10.0.0.7', 'tenant']) expect(e.message).not.toContain(word);
  for (const v of [e.details.providerCode, e.details.requestId])
    if (v !== undefined) expect(v).toMatch(/^[A-Za-z0-9._-]{1,80}$/);
}

describe('one allow-list for what provider error answers show clients, for both vendors', () => {
  const codes = [
    'Throttling.User',
    'SignatureDoesNotMatch',
    'InvalidTimeStamp.Expired',
    'Forbidden.RAM',
    'ResourceNotFound.JobId',
    'InvalidParameter',
    'InternalError',
    'Throttling.Api.Risk',
    'Forbidden.Not.Server',
    'Weird.Code',
  ];
  const hwCodes = [
    'APIGW.0301',
    'APIGW.0303',
    'APIGW.0302',
    'APIGW.0308',
    'APIGW.0101',
    'DLI.0002',
    'DLI.0001',
    'DLI.0999',
    'DLI.0009',
    'DLI.0016',
    'CFW.00109004',
    'WKS.00010404',
    'X.1',
  ];

  it.each([200, 302, 400, 401, 403, 404, 405, 429, 500, 503])(
    'never copies provider text into a message (HTTP %i)',
    (status) => {
      for (const code of codes) expectAllowListed(alibaba(status, code));
      for (const code of hwCodes) expectAllowListed(huawei(status, code));
      expectAllowListed(alibaba(status, undefined));
      expectAllowListed(huawei(status, undefined));
    },
  );

  it('cuts codes and request ids to identifier characters for both vendors', () => {
    for (const e of [
      alibaba(400, 'Throttling <b>x</b>', 'id with spaces/../'),
      huawei(400, 'APIGW.0308 <b>x</b>', 'id with spaces/../'),
    ]) {
      expect(e.details.providerCode).toMatch(/^(Throttling|APIGW\.0308)bxb$/);
      expect(e.details.requestId).toBe('idwithspaces..');
      expectAllowListed(e);
    }
  });

  it('classifies a code the same after cutting it (Huawei reads the cut code too)', () => {
    expect(huawei(400, ' APIGW.0308\n').code).toBe('PROVIDER_THROTTLED');
    expect(huawei(400, 'DLI.0002"').details.providerCode).toBe('DLI.0002');
  });

  it('explains clock skew in the same words for both vendors', () => {
    const ali = alibaba(400, 'InvalidTimeStamp.Expired');
    const hw = huawei(401, 'APIGW.0303');
    expect(ali.message).toContain(SUMMARIES.clockSkew);
    expect(hw.message).toContain(SUMMARIES.clockSkew);
  });

  it('keeps the allow-list on random bodies', () => {
    const r = mulberry32(16);
    const alphabet = 'abcXYZ019._- <>/|:=\n"\'{}\\';
    const text = () => Array.from({ length: r.int(0, 40) }, () => alphabet[r.int(0, alphabet.length - 1)]).join('');
    for (let i = 0; i < 500; i++) {
      const status = r.pick([200, 400, 401, 403, 404, 429, 500, 502]);
      expectAllowListed(alibaba(status, text(), text()));
      expectAllowListed(huawei(status, text(), text()));
    }
  });
});

describe('safeIdentifier', () => {
  it('keeps identifier characters, at most 80, and gives null for nothing left', () => {
    expect(safeIdentifier('Throttling.User')).toBe('Throttling.User');
    expect(safeIdentifier('a'.repeat(100))).toHaveLength(80);
    expect(safeIdentifier('<>')).toBeNull();
    expect(safeIdentifier('')).toBeNull();
    expect(safeIdentifier(null)).toBeNull();
    expect(safeIdentifier(undefined)).toBeNull();
  });
});
