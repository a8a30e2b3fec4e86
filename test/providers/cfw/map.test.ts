import { describe, it, expect } from 'vitest';
import { CFW_STATUS, mapCfwJob } from '../../../src/providers/cfw/map.js';
import type { JobKey } from '../../../src/providers/types.js';

const key: JobKey = {
  provider: 'CFW',
  account: null,
  region: 'cn-north-4',
  projectId: '09bb24e6fe80d23d2fa2c010b53b418c',
  jobId: 'f588ce71-e26c-400d-8981-f854355f6849',
};

describe('mapCfwJob', () => {
  it('maps the seed example field by field (epoch-ms numbers for times)', () => {
    const seed = {
      data: {
        begin_time: 1641370501000,
        end_time: 1641370515000,
        id: 'f588ce71-e26c-400d-8981-f854355f6849',
        status: 'Success',
      },
    };
    expect(mapCfwJob(key, seed, 'req-1')).toEqual({
      id: 'CFW:cn-north-4:09bb24e6fe80d23d2fa2c010b53b418c:f588ce71-e26c-400d-8981-f854355f6849',
      provider: 'CFW',
      account: null,
      region: 'cn-north-4',
      projectId: '09bb24e6fe80d23d2fa2c010b53b418c',
      jobId: 'f588ce71-e26c-400d-8981-f854355f6849',
      state: 'SUCCEEDED',
      rawStatus: 'Success',
      terminal: true,
      startedAt: new Date(1641370501000),
      finishedAt: new Date(1641370515000),
      providerRequestId: 'req-1',
      status: 'Success',
      beginTime: new Date(1641370501000),
      endTime: new Date(1641370515000),
      errorCode: null,
      errorMsg: null,
    });
  });

  it('reads the documented string times, including the +0800 offset form', () => {
    const job = mapCfwJob(
      key,
      { data: { status: 'Failed', begin_time: '2022-01-05T16:15:01+0800', end_time: '2022-01-05T08:15:15Z' } },
      null,
    );
    expect(job.beginTime).toEqual(new Date('2022-01-05T08:15:01Z'));
    expect(job.endTime).toEqual(new Date('2022-01-05T08:15:15Z'));
  });

  it('maps the top-level error_code, error_msg some regions send with data', () => {
    const job = mapCfwJob(
      key,
      { error_code: 'CFW.00000000', error_msg: 'ok', trace_id: 't', data: { status: 'Running' } },
      null,
    );
    expect(job).toMatchObject({ errorCode: 'CFW.00000000', errorMsg: 'ok' });
  });

  it.each([
    ['Running', 'RUNNING', false],
    ['Success', 'SUCCEEDED', true],
    ['Failed', 'FAILED', true],
    ['Pending', 'UNKNOWN', false],
    ['success', 'UNKNOWN', false],
  ])('maps status %s to %s (terminal %s)', (status, state, terminal) => {
    const job = mapCfwJob(key, { data: { status, begin_time: 1, end_time: 2 } }, null);
    expect(job).toMatchObject({ state, terminal, rawStatus: status, status });
    expect(job.finishedAt).toEqual(terminal ? new Date(2) : null);
  });

  it('covers every documented status in the table', () => {
    expect(Object.keys(CFW_STATUS).sort()).toEqual(['Failed', 'Running', 'Success']);
  });

  it.each([
    ['not JSON', undefined],
    ['an array', [{ data: { status: 'Success' } }]],
    ['missing data', { error_code: 'CFW.00200005' }],
    ['missing status', { data: { id: 'x' } }],
    ['a non-string status', { data: { status: 1 } }],
  ])('rejects a body that is %s as PROVIDER_BAD_RESPONSE', (_label, body) => {
    expect(() => mapCfwJob(key, body, 'r')).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE', details: expect.objectContaining({ requestId: 'r' }) }),
    );
  });
});
