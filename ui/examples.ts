/**
 * What GraphiQL opens with: one tab per example operation (a query per provider, a `jobs` query
 * across all five, a subscription) and the simulator's job-id rules, shown in the page's notice bar
 * and as a comment at the top of the first tab. Kept free of DOM and React so the test suite can
 * validate every example against the real schema (test/ui/examples.test.ts).
 */
// The validator's own rule (refs.ts), so the page cannot state another one.
import { JOB_ID_RULE } from '../src/job-id-syntax.js';

export interface SimulatorRule {
  /** Substring of the job id (case-insensitive); null for "anything else". */
  contains: string | null;
  /** What the simulator does with such a job. */
  outcome: string;
  /** The same, short enough for a comment line in the editor. */
  short: string;
}

/** The simulator's job-id rules, in the order they are checked (see README "The simulator's job-id rules"). */
export const SIMULATOR_RULES: readonly SimulatorRule[] = [
  { contains: 'notfound', outcome: "the provider's not-found error → JOB_NOT_FOUND", short: 'error JOB_NOT_FOUND' },
  {
    contains: 'forbidden',
    outcome: "the provider's permission error → PROVIDER_FORBIDDEN",
    short: 'error PROVIDER_FORBIDDEN',
  },
  { contains: 'fail', outcome: 'runs, then ends FAILED', short: 'runs, then FAILED' },
  {
    contains: 'cancel',
    outcome: 'runs, then ends CANCELLED (FAILED where the provider has no cancel state)',
    short: 'runs, then CANCELLED*',
  },
  { contains: null, outcome: 'runs, then ends SUCCEEDED', short: 'runs, then SUCCEEDED' },
];

/** One-line lifecycle facts shown next to the rules. */
export const SIMULATOR_NOTES: readonly string[] = [
  'A job starts when first asked for and moves one step every 3 s (JOBS_SIMULATOR_STEP_MS).',
  JOB_ID_RULE,
  'Regions and the Huawei project default on the simulator.',
];

export interface Example {
  /** The operation name, which GraphiQL shows as the tab title. */
  name: string;
  kind: 'query' | 'subscription';
  query: string;
  variables?: string;
}

/** Comment block at the top of the first tab; lines fit a half-width editor. */
export const RULES_COMMENT = [
  '# jobs-subgraph: a typed, live view of async cloud jobs.',
  '# Each tab is an example: run it with ▶ (Ctrl+Enter).',
  '# Schema docs: the book icon on the left.',
  '#',
  '# On the simulator (JOBS_MODE=simulator, the default)',
  "# a job's lifecycle follows from its id:",
  ...SIMULATOR_RULES.map(
    (r) => `#   ${(r.contains === null ? 'anything else' : `contains "${r.contains}"`).padEnd(21)}${r.short}`,
  ),
  '#   (* FAILED where the provider has no cancel state)',
  '# A job starts when first asked for, one step every 3 s.',
  '',
].join('\n');

const CLOUD_JOB = `... on CloudJob {
      id state rawStatus terminal
      startedAt finishedAt providerRequestId
    }`;

const TRY_RULES = '# Edit jobId (or set it in Variables) to try the\n# simulator rules (first tab).';

export const EXAMPLES: readonly Example[] = [
  {
    name: 'Jobs',
    kind: 'query',
    query: `${RULES_COMMENT}
# All five providers in one request. A ref that fails
# is null, with a coded error at its index (jobs.5).
query Jobs {
  jobs(refs: [
    { provider: DATAWORKS, jobId: "70ecdaec-bf21-4c11-8ecb-4f77453ceea8" }
    { provider: NLB, jobId: "72dcd26b-f12d-4c27-b3af-18f6aed5****" }
    { provider: CFW, jobId: "f588ce71-e26c-400d-8981-f854355f6849" }
    { provider: DLI, jobId: "208b08d4-0dc2-4dd7-8879-ddd4c020d7aa" }
    { provider: WORKSPACE, jobId: "575768277444198400" }
    { provider: DLI, jobId: "missing-notfound" }
  ]) {
    __typename
    ${CLOUD_JOB}
  }
}
`,
  },
  {
    name: 'Accounts',
    kind: 'query',
    query: `# Several accounts per cloud (JOBS_ACCOUNTS_FILE). The
# simulator has default + ali-staging (Alibaba) and
# default + hw-staging (Huawei).
# One job id in two accounts is two jobs, with two ids.
# A Huawei region without a configured project has its
# project looked up in IAM (read-only, once per region).
query Accounts {
  jobs(refs: [
    { provider: NLB, jobId: "lb-7" }
    { provider: NLB, jobId: "lb-7", account: "ali-staging" }
    { provider: DLI, jobId: "etl-1", account: "hw-staging" }
    { provider: DLI, jobId: "etl-1", region: "cn-east-3" }
  ]) {
    ... on CloudJob { id account region projectId state rawStatus }
  }
}
`,
  },
  {
    name: 'DataWorksJob',
    kind: 'query',
    query: `# Alibaba Cloud DataWorks GetJobStatus:
# Running → Success (or Fail, Cancel).
${TRY_RULES}
query DataWorksJob(
  $jobId: String! = "70ecdaec-bf21-4c11-8ecb-4f77453ceea8"
) {
  job(ref: { provider: DATAWORKS, jobId: $jobId }) {
    __typename
    ${CLOUD_JOB}
    ... on DataWorksJob {
      jobType completed status error createTime
    }
  }
}
`,
  },
  {
    name: 'NlbJob',
    kind: 'query',
    query: `# Alibaba Cloud Network Load Balancer GetJobStatus:
# processing → Succeeded (or Failed). region: optional.
${TRY_RULES}
query NlbJob(
  $jobId: String! = "72dcd26b-f12d-4c27-b3af-18f6aed5****"
) {
  job(ref: { provider: NLB, jobId: $jobId, region: "cn-hangzhou" }) {
    __typename
    ${CLOUD_JOB}
    ... on NlbJob { region status }
  }
}
`,
  },
  {
    name: 'CfwJob',
    kind: 'query',
    query: `# Huawei Cloud Firewall job:
# Running → Success (or Failed).
${TRY_RULES}
query CfwJob(
  $jobId: String! = "f588ce71-e26c-400d-8981-f854355f6849"
) {
  job(ref: { provider: CFW, jobId: $jobId }) {
    __typename
    ${CLOUD_JOB}
    ... on CfwJob {
      region projectId status beginTime endTime errorCode errorMsg
    }
  }
}
`,
  },
  {
    name: 'DliJob',
    kind: 'query',
    query: `# Huawei Cloud Data Lake Insight SQL job:
# LAUNCHING → RUNNING → SCALING → RUNNING → FINISHED.
${TRY_RULES}
query DliJob(
  $jobId: String! = "208b08d4-0dc2-4dd7-8879-ddd4c020d7aa"
) {
  job(ref: { provider: DLI, jobId: $jobId }) {
    __typename
    ${CLOUD_JOB}
    ... on DliJob {
      jobType queueName owner durationMs
      inputSizeBytes resultCount statement
      columns { name type }
      tags { key value }
    }
  }
}
`,
  },
  {
    name: 'WorkspaceJob',
    kind: 'query',
    query: `# Huawei Cloud Workspace App Streaming job (v2 API by
# default): WAITING → RUNNING → SUCCESS.
${TRY_RULES}
query WorkspaceJob($jobId: String! = "575768277444198400") {
  job(ref: { provider: WORKSPACE, jobId: $jobId }) {
    __typename
    ${CLOUD_JOB}
    ... on WorkspaceJob {
      apiVersion jobType status subJobsTotal
      subJobs {
        jobId status state
        entities { resourceId resourceType }
      }
    }
  }
}
`,
  },
  {
    name: 'WatchJobs',
    kind: 'subscription',
    query: `# Live status over WebSocket (graphql-ws, /graphql):
# each job's current snapshot (previousState: null),
# then one event per status change. The response pane
# shows the latest event. It completes when every job
# is terminal; press ■ to stop watching sooner.
subscription WatchJobs {
  jobStatusChanged(refs: [
    { provider: DLI, jobId: "etl-nightly-7" }
    { provider: WORKSPACE, jobId: "575768277444198499" }
    { provider: CFW, jobId: "deploy-fail-1" }
  ]) {
    at sequence previousState state rawStatus terminal
    job { __typename ... on CloudJob { id jobId } }
  }
}
`,
  },
];

/** GraphiQL `defaultTabs`: used when the browser has no saved tabs for this page. */
export function defaultTabs(): { query: string; variables?: string | null }[] {
  return EXAMPLES.map((e) => ({ query: e.query, variables: e.variables ?? null }));
}
