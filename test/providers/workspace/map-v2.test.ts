import { describe, it, expect } from 'vitest';
import type { JobKey } from '../../../src/providers/types.js';
import {
  mapWorkspaceV2Job,
  WORKSPACE_V2_STATUS,
  WORKSPACE_V2_SUB_STATUS,
} from '../../../src/providers/workspace/map-v2.js';

const key: JobKey = { provider: 'WORKSPACE', account: null, region: 'cn-north-4', projectId: 'p', jobId: 'j-1' };

/** A ShowJobDetail body in the go-v3 SDK shape (job_resource_info, error_message). */
const BODY = {
  id: 'j-1',
  job_type: 'CREATE_SERVER',
  begin_time: '2024-03-01T10:00:00Z',
  end_time: '2024-03-01T10:05:00Z',
  status: 'FAILED',
  sub_jobs_total: 2,
  sub_jobs: [
    {
      id: 'j-1-a',
      job_type: 'CREATE_SERVER',
      job_resource_info: { resource_id: 'srv-a', spec_type: { root: true }, is_main_resource: 0 },
      begin_time: '2024-03-01T10:00:01Z',
      end_time: '2024-03-01T10:04:00Z',
      status: 'ABNORMAL',
      error_code: 'WKS.00010500',
      error_message: 'quota exceeded',
      project_id: 'p',
      job_id: 'j-1',
    },
    { id: 'j-1-b', status: 'SUCCESS', entities: [{ resource_id: 'srv-b' }], fail_reason: '' },
  ],
};

describe('mapWorkspaceV2Job', () => {
  it('maps a ShowJobDetail body field by field', () => {
    const job = mapWorkspaceV2Job(key, BODY, 'rq2');
    expect(job).toMatchObject({
      id: 'WORKSPACE:cn-north-4:p:j-1',
      jobId: 'j-1',
      state: 'FAILED',
      rawStatus: 'FAILED',
      terminal: true,
      startedAt: new Date('2024-03-01T10:00:00Z'),
      finishedAt: new Date('2024-03-01T10:05:00Z'),
      providerRequestId: 'rq2',
      apiVersion: 'V2',
      jobTypeCode: null,
      jobType: 'CREATE_SERVER',
      jobStatusCode: null,
      status: 'FAILED',
      beginTime: new Date('2024-03-01T10:00:00Z'),
      endTime: new Date('2024-03-01T10:05:00Z'),
      expectedEndTime: null,
      executeCode: null,
      executeMessage: null,
      subJobsTotal: 2,
    });
    expect(job.subJobs[0]).toEqual({
      jobId: 'j-1-a',
      jobTypeCode: null,
      jobType: 'CREATE_SERVER',
      jobStatusCode: null,
      status: 'ABNORMAL',
      state: 'FAILED',
      entities: [expect.objectContaining({ resourceId: 'srv-a', specType: { root: true }, isMainResource: false })],
      beginTime: new Date('2024-03-01T10:00:01Z'),
      endTime: new Date('2024-03-01T10:04:00Z'),
      expectedEndTime: null,
      executeCode: null,
      executeMessage: null,
      errorCode: 'WKS.00010500',
      failReason: 'quota exceeded',
    });
  });

  it('accepts sub-job entities as an array and fail_reason as the failure text', () => {
    const sub = mapWorkspaceV2Job(key, BODY, null).subJobs[1]!;
    expect(sub).toMatchObject({ jobId: 'j-1-b', state: 'SUCCEEDED', failReason: '', errorCode: null });
    expect(sub.entities.map((e) => e.resourceId)).toEqual(['srv-b']);
  });

  it('tolerates absent or malformed sub_jobs', () => {
    expect(mapWorkspaceV2Job(key, { status: 'RUNNING' }, null).subJobs).toEqual([]);
    expect(mapWorkspaceV2Job(key, { status: 'RUNNING', sub_jobs: 'x' }, null).subJobs).toEqual([]);
    expect(
      mapWorkspaceV2Job(key, { status: 'RUNNING', sub_jobs: [null, { status: 'RUNNING' }] }, null).subJobs,
    ).toHaveLength(1);
  });

  it.each([
    ['WAITING', 'PENDING', false],
    ['RUNNING', 'RUNNING', false],
    ['SUCCESS', 'SUCCEEDED', true],
    ['FAILED', 'FAILED', true],
    ['ABNORMAL', 'UNKNOWN', false],
    ['DONE', 'UNKNOWN', false],
  ])('maps job status %s to %s (terminal %s)', (status, state, terminal) => {
    const job = mapWorkspaceV2Job(key, { ...BODY, status }, null);
    expect(job).toMatchObject({ state, terminal, rawStatus: status });
    expect(job.finishedAt).toEqual(terminal ? new Date('2024-03-01T10:05:00Z') : null);
  });

  it.each([
    ['WAITING', 'PENDING'],
    ['RUNNING', 'RUNNING'],
    ['SUCCESS', 'SUCCEEDED'],
    ['FAILED', 'FAILED'],
    ['ABNORMAL', 'FAILED'],
    ['ROLLBACK', 'RUNNING'],
    ['ABORTING', 'RUNNING'],
    ['PAUSED', 'UNKNOWN'],
  ])('maps sub-job status %s to %s', (status, state) => {
    expect(mapWorkspaceV2Job(key, { status: 'RUNNING', sub_jobs: [{ status }] }, null).subJobs[0]!.state).toBe(state);
  });

  it('covers every documented status in the tables', () => {
    expect(Object.keys(WORKSPACE_V2_STATUS)).toEqual(['WAITING', 'RUNNING', 'SUCCESS', 'FAILED']);
    expect(Object.keys(WORKSPACE_V2_SUB_STATUS)).toEqual([
      'WAITING',
      'RUNNING',
      'SUCCESS',
      'FAILED',
      'ABNORMAL',
      'ROLLBACK',
      'ABORTING',
    ]);
  });

  it.each([
    ['not JSON', undefined],
    ['a v1 body', { job: { job_status: 1 } }],
    ['an empty status', { status: '' }],
  ])('rejects a body that is %s as PROVIDER_BAD_RESPONSE', (_label, body) => {
    expect(() => mapWorkspaceV2Job(key, body, null)).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE' }),
    );
  });
});
