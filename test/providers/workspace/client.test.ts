/**
 * What only the Workspace client has, against the fake: the v1 API (`JOBS_WORKSPACE_API=v1`).
 * The default v2 API and everything the five clients share are in ../client-contract.test.ts.
 */
import { describe, it, expect } from 'vitest';
import type { JobKey, WorkspaceJob } from '../../../src/providers/types.js';
import { createWorkspaceClient } from '../../../src/providers/workspace/client.js';
import { createWorkspaceFake } from '../../../src/simulator/workspace.js';
import { AK, PROJECT, REGION, START_MS, rejection, useHarness } from '../huawei/harness.js';

const h = useHarness(createWorkspaceFake, createWorkspaceClient);

const key = (jobId: string): JobKey => ({
  provider: 'WORKSPACE',
  account: null,
  region: REGION,
  projectId: PROJECT,
  jobId,
});
const SIGNED = new RegExp(
  `^SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$`,
);

describe('Workspace client (v1 API) against the fake', () => {
  it('calls v1 GET /v1/{project_id}/job/{job_id} when configured', async () => {
    const job = (await h.client({ apiVersion: 'v1' }).fetchJob(key('575768277444198400'))) as WorkspaceJob;
    expect(h.fake.requests[0]!.path).toBe(`/v1/${PROJECT}/job/575768277444198400`);
    expect(h.fake.requests[0]!.headers.authorization).toMatch(SIGNED);
    expect(job).toMatchObject({ apiVersion: 'V1', rawStatus: '3', jobStatusCode: 3, state: 'PENDING', jobTypeCode: 1 });
  });

  it('follows a v1 job from 3 to 2 to 1 with its sub-job and entity', async () => {
    const client = h.client({ apiVersion: 'v1' });
    const seen: WorkspaceJob[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push((await client.fetchJob(key('ws-v1-ok'))) as WorkspaceJob);
      h.clock.ms += 1_000;
    }
    expect(seen.map((j) => j.rawStatus)).toEqual(['3', '2', '1']);
    expect(seen.map((j) => j.state)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    const done = seen[2]!;
    expect(done).toMatchObject({ terminal: true, executeCode: '0', executeMessage: 'success' });
    expect(done.finishedAt).toEqual(new Date(START_MS + 2_000));
    expect(done.subJobs[0]).toMatchObject({ jobTypeCode: 2, jobStatusCode: 1, state: 'SUCCEEDED' });
    expect(done.subJobs[0]!.entities[0]).toMatchObject({
      isMainResource: true,
      specType: { shareable: false },
      measure: 17,
    });
  });

  it('maps the fake not-found (404 WKS) and forbidden (403) answers on v1', async () => {
    expect((await rejection(h.client({ apiVersion: 'v1' }).fetchJob(key('ws-notfound')))).code).toBe('JOB_NOT_FOUND');
    expect((await rejection(h.client({ apiVersion: 'v1' }).fetchJob(key('ws-forbidden')))).code).toBe(
      'PROVIDER_FORBIDDEN',
    );
  });
});
