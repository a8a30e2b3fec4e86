import { describe, it, expect } from 'vitest';
import type { JobKey } from '../../../src/providers/types.js';
import { mapWorkspaceV1Job, WORKSPACE_V1_STATUS } from '../../../src/providers/workspace/map-v1.js';

const key: JobKey = {
  provider: 'WORKSPACE',
  account: null,
  region: 'ap-southeast-1',
  projectId: '29dfe82ada564ac2b927e1ff036d9a9b',
  jobId: '575768277444198400',
};

/** The v1 API page's example response, verbatim (docs/providers.md#v1-showjob). */
const SEED = {
  job: {
    job_id: '575768277444198400',
    job_type: 1,
    job_status: 0,
    sub_jobs: [
      {
        job_id: '575768277481947136',
        job_type: 2,
        job_status: 0,
        entities: [],
        begin_time: '2023-06-06T02:30:06Z',
        end_time: '2023-06-06T02:45:49Z',
      },
    ],
    begin_time: '2023-06-06T02:30:06Z',
    end_time: '2023-06-06T02:45:49Z',
    expected_end_time: '2023-06-06T15:55:57Z',
    execute_code: '',
    execute_message: '',
  },
};

/** A JobResourceInfo with every documented field. */
const ENTITY = {
  resource_id: 'server-1',
  resource_name: 'app-server-01',
  cloud_service_type: 'hws.service.type.workspace',
  resource_type: 'hws.resource.type.workspace.appstream',
  resource_spec_code: 'workspace.appstream.general.xlarge.2',
  spec_type: { shareable: true, root: false },
  spec_size: 80.5,
  measure: 17,
  processed_time: '2023-06-06T02:31:00Z',
  is_main_resource: 1,
  main_resources: [{ resource_id: 'ecs-1', resource_type: 'hws.resource.type.vm' }],
  extend_params: 'expireTime:2016-06-28T00:00:00Z',
  old_resource_id: 'server-0',
  old_cloud_service_type: 'hws.service.type.ec2',
  old_resource_type: 'hws.resource.type.vm',
};

describe('mapWorkspaceV1Job', () => {
  it('maps the seed example field by field', () => {
    expect(mapWorkspaceV1Job(key, SEED, 'rq')).toEqual({
      id: 'WORKSPACE:ap-southeast-1:29dfe82ada564ac2b927e1ff036d9a9b:575768277444198400',
      provider: 'WORKSPACE',
      account: null,
      region: 'ap-southeast-1',
      projectId: '29dfe82ada564ac2b927e1ff036d9a9b',
      jobId: '575768277444198400',
      state: 'FAILED',
      rawStatus: '0',
      terminal: true,
      startedAt: new Date('2023-06-06T02:30:06Z'),
      finishedAt: new Date('2023-06-06T02:45:49Z'),
      providerRequestId: 'rq',
      apiVersion: 'V1',
      jobTypeCode: 1,
      jobType: null,
      jobStatusCode: 0,
      status: null,
      beginTime: new Date('2023-06-06T02:30:06Z'),
      endTime: new Date('2023-06-06T02:45:49Z'),
      expectedEndTime: new Date('2023-06-06T15:55:57Z'),
      executeCode: '',
      executeMessage: '',
      subJobsTotal: null,
      subJobs: [
        {
          jobId: '575768277481947136',
          jobTypeCode: 2,
          jobType: null,
          jobStatusCode: 0,
          status: null,
          state: 'FAILED',
          entities: [],
          beginTime: new Date('2023-06-06T02:30:06Z'),
          endTime: new Date('2023-06-06T02:45:49Z'),
          expectedEndTime: null,
          executeCode: null,
          executeMessage: null,
          errorCode: null,
          failReason: null,
        },
      ],
    });
  });

  it('maps every JobResourceInfo field of an entity', () => {
    const body = { job: { ...SEED.job, sub_jobs: [{ ...SEED.job.sub_jobs[0], entities: [ENTITY, 'junk'] }] } };
    expect(mapWorkspaceV1Job(key, body, null).subJobs[0]!.entities).toEqual([
      {
        resourceId: 'server-1',
        resourceName: 'app-server-01',
        cloudServiceType: 'hws.service.type.workspace',
        resourceType: 'hws.resource.type.workspace.appstream',
        resourceSpecCode: 'workspace.appstream.general.xlarge.2',
        specType: { shareable: true, root: false },
        specSize: 80.5,
        measure: 17,
        processedTime: '2023-06-06T02:31:00Z',
        isMainResource: true,
        mainResources: [{ resource_id: 'ecs-1', resource_type: 'hws.resource.type.vm' }],
        extendParams: 'expireTime:2016-06-28T00:00:00Z',
        oldResourceId: 'server-0',
        oldCloudServiceType: 'hws.service.type.ec2',
        oldResourceType: 'hws.resource.type.vm',
      },
    ]);
  });

  it('reads is_main_resource 0 as false and an absent one as null', () => {
    const one = (v: unknown) =>
      mapWorkspaceV1Job(
        key,
        { job: { job_status: 1, sub_jobs: [{ job_status: 1, entities: [{ is_main_resource: v }] }] } },
        null,
      ).subJobs[0]!.entities[0]!.isMainResource;
    expect(one(0)).toBe(false);
    expect(one(1)).toBe(true);
    expect(one(undefined)).toBeNull();
  });

  it.each([
    [0, 'FAILED', true],
    [1, 'SUCCEEDED', true],
    [2, 'RUNNING', false],
    [3, 'PENDING', false],
    [7, 'UNKNOWN', false],
    ['2', 'RUNNING', false],
    ['queued', 'UNKNOWN', false],
  ])('maps job_status %j to %s (terminal %s) with rawStatus as decimal text', (status, state, terminal) => {
    const job = mapWorkspaceV1Job(key, { job: { ...SEED.job, job_status: status } }, null);
    expect(job).toMatchObject({ state, terminal, rawStatus: String(status) });
    expect(job.finishedAt).toEqual(terminal ? new Date('2023-06-06T02:45:49Z') : null);
  });

  it('covers every documented status in the table', () => {
    expect(Object.keys(WORKSPACE_V1_STATUS)).toEqual(['0', '1', '2', '3']);
  });

  it.each([
    ['not JSON', undefined],
    ['missing job', { job_status: 1 }],
    ['missing job_status', { job: { job_id: 'x' } }],
    ['a null job_status', { job: { job_status: null } }],
  ])('rejects a body that is %s as PROVIDER_BAD_RESPONSE', (_label, body) => {
    expect(() => mapWorkspaceV1Job(key, body, null)).toThrow(
      expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE' }),
    );
  });
});
