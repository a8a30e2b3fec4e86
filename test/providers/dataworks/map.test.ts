import { describe, it, expect } from 'vitest';
import { DATAWORKS_STATES, mapDataWorksJob } from '../../../src/providers/dataworks/map.js';
import type { JobKey } from '../../../src/providers/types.js';

const KEY: JobKey = {
  provider: 'DATAWORKS',
  account: null,
  region: 'cn-hangzhou',
  projectId: null,
  jobId: '70ecdaec-bf21-4c11-8ecb-4f77453ceea8',
};

/** The API page's sample success response, verbatim (docs/providers.md#dataworks-getjobstatus). */
const SEED = `{
"RequestId": "5E2BFE96-C0E0-5A98-85C8-633EC803198D",
"JobStatus": {
"JobId": "C664CDE3-9C0B-5792-B17F-6C543783BBBC",
"JobType": "Create",
"Completed": "False",
"Status": "Success",
"Error": "Not Found",
"CreateTime": 1729063449802
}
}`;

function body(jobStatus: Record<string, unknown>): string {
  return JSON.stringify({
    RequestId: 'R-1',
    JobStatus: { JobType: 'Create', Completed: 'False', Status: 'Running', ...jobStatus },
  });
}

describe('mapDataWorksJob', () => {
  it('maps the seed example field by field', () => {
    const job = mapDataWorksJob(KEY, SEED, null);
    expect(job).toEqual({
      provider: 'DATAWORKS',
      id: 'DATAWORKS:cn-hangzhou:-:70ecdaec-bf21-4c11-8ecb-4f77453ceea8',
      account: null,
      region: 'cn-hangzhou',
      projectId: null,
      jobId: '70ecdaec-bf21-4c11-8ecb-4f77453ceea8',
      state: 'SUCCEEDED',
      rawStatus: 'Success',
      terminal: true,
      startedAt: new Date(1729063449802),
      finishedAt: null,
      providerRequestId: '5E2BFE96-C0E0-5A98-85C8-633EC803198D',
      jobType: 'Create',
      completed: false,
      status: 'Success',
      error: 'Not Found',
      createTime: new Date(1729063449802),
    });
  });

  it('takes the request id passed in over the body RequestId', () => {
    expect(mapDataWorksJob(KEY, SEED, 'HEADER-ID').providerRequestId).toBe('HEADER-ID');
  });

  it.each([
    ['Running', 'RUNNING', false],
    ['Success', 'SUCCEEDED', true],
    ['Fail', 'FAILED', true],
    ['Cancel', 'CANCELLED', true],
  ] as const)('maps Status %s to %s (terminal %s) with Completed "False"', (status, state, terminal) => {
    const job = mapDataWorksJob(KEY, body({ Status: status }), null);
    expect(job.state).toBe(state);
    expect(job.terminal).toBe(terminal);
    expect(job.rawStatus).toBe(status);
  });

  it('covers every documented status in the table', () => {
    expect(Object.keys(DATAWORKS_STATES).sort()).toEqual(['Cancel', 'Fail', 'Running', 'Success']);
  });

  it('maps an unknown status to UNKNOWN, not terminal, keeping the raw value', () => {
    const job = mapDataWorksJob(KEY, body({ Status: 'Queued', Completed: 'True' }), null);
    expect(job).toMatchObject({
      state: 'UNKNOWN',
      terminal: false,
      rawStatus: 'Queued',
      status: 'Queued',
      completed: true,
    });
  });

  it('matches statuses exactly, so a differently cased one is UNKNOWN', () => {
    expect(mapDataWorksJob(KEY, body({ Status: 'success' }), null).state).toBe('UNKNOWN');
  });

  it('keeps a job running while Status says Running, even when Completed already says "True"', () => {
    const job = mapDataWorksJob(KEY, body({ Status: 'Running', Completed: 'True' }), null);
    expect(job).toMatchObject({ state: 'RUNNING', terminal: false, completed: true });
  });

  it('leaves completed null when Completed is absent or unparseable', () => {
    expect(mapDataWorksJob(KEY, body({ Completed: undefined }), null).completed).toBeNull();
    expect(mapDataWorksJob(KEY, body({ Completed: 'maybe' }), null).completed).toBeNull();
  });

  it.each([
    ['an ms number', 1729063449802],
    ['a numeric string', '1729063449802'],
    ['an ISO string', '2024-10-16T07:24:09.802Z'],
  ])('parses CreateTime given as %s', (_label, value) => {
    const job = mapDataWorksJob(KEY, body({ CreateTime: value }), null);
    expect(job.createTime?.toISOString()).toBe('2024-10-16T07:24:09.802Z');
    expect(job.startedAt).toEqual(job.createTime);
  });

  it('keeps a Success with an Error as SUCCEEDED and terminal, the error exposed (not a clean success)', () => {
    const flagged = mapDataWorksJob(KEY, body({ Status: 'Success', Completed: 'True', Error: 'Not Found' }), null);
    expect(flagged).toMatchObject({ state: 'SUCCEEDED', terminal: true, error: 'Not Found' });
    const clean = mapDataWorksJob(KEY, body({ Status: 'Success', Completed: 'True', Error: '' }), null);
    expect(clean).toMatchObject({ state: 'SUCCEEDED', terminal: true, error: null });
  });

  it.each([
    ['empty', ''],
    ['blank', '  '],
    ['absent', undefined],
    ['not a string', 42],
  ])('gives error null when Error is %s, so non-null always means the provider reported one', (_label, value) => {
    expect(mapDataWorksJob(KEY, body({ Status: 'Success', Error: value }), null).error).toBeNull();
  });

  it('keeps the failure text of a failed job as sent', () => {
    expect(mapDataWorksJob(KEY, body({ Status: 'Fail', Error: ' quota of tables exceeded ' }), null)).toMatchObject({
      state: 'FAILED',
      error: ' quota of tables exceeded ',
    });
  });

  it('gives null for absent optional fields', () => {
    const job = mapDataWorksJob(KEY, JSON.stringify({ JobStatus: { Status: 'Running' } }), null);
    expect(job).toMatchObject({
      jobType: null,
      completed: null,
      error: null,
      createTime: null,
      startedAt: null,
      providerRequestId: null,
    });
  });

  it.each([
    ['not JSON', 'not json'],
    ['not an object', '[1,2]'],
    ['without JobStatus', '{"RequestId":"x"}'],
    ['with JobStatus not an object', '{"JobStatus":"Success"}'],
    ['without Status', '{"JobStatus":{"JobId":"x"}}'],
    ['with a non-string Status', '{"JobStatus":{"Status":1}}'],
  ])('rejects a body %s as PROVIDER_BAD_RESPONSE', (_label, text) => {
    expect(() => mapDataWorksJob(KEY, text, 'R-9')).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE', details: { provider: 'DATAWORKS', requestId: 'R-9' } }),
    );
  });
});
