/**
 * The provider layer's model. Job shapes are the plain object types codegen writes from
 * schema.graphql into model.generated.ts, so what a client can select and what a mapper must fill
 * can never drift apart. That file imports nothing: providers depend on no GraphQL, resolver or
 * request-context module (the resolver types in ../schema/generated.ts do, and only the schema
 * layer uses them).
 */
import type {
  CfwJob as CfwJobGql,
  DataWorksJob as DataWorksJobGql,
  DliJob as DliJobGql,
  JobProvider,
  JobState,
  NlbJob as NlbJobGql,
  WorkspaceJob as WorkspaceJobGql,
  WorkspaceSubJob as WorkspaceSubJobGql,
} from './model.generated.js';

export type { JobProvider, JobState };
export type ProviderName = JobProvider;

export const PROVIDERS: readonly ProviderName[] = ['DATAWORKS', 'NLB', 'CFW', 'DLI', 'WORKSPACE'];
export const HUAWEI_PROVIDERS: readonly ProviderName[] = ['CFW', 'DLI', 'WORKSPACE'];

/** The two clouds; an account belongs to one and reads the jobs of that cloud's providers. */
export type Cloud = 'alibaba' | 'huawei';

export function cloudOf(provider: ProviderName): Cloud {
  return HUAWEI_PROVIDERS.includes(provider) ? 'huawei' : 'alibaba';
}

/**
 * A generated object type as the mappers build it: every field present, no `__typename`, and
 * `account` as the key has it (null: the cloud's default account, which the schema layer names).
 */
// `observedAt` is not the provider's: the schema resolves it from when this process fetched the
// snapshot (src/providers/observed.ts).
type Model<T> = Required<Omit<T, '__typename' | 'account' | 'observedAt'>> & { account: string | null };
/** A generated type that has no account (a part of a job). */
type Part<T> = Required<Omit<T, '__typename'>>;

/** Keys shared by every job; the provider-specific fields come on top. */
export type DataWorksJob = Model<DataWorksJobGql> & { provider: 'DATAWORKS' };
export type NlbJob = Model<NlbJobGql> & { provider: 'NLB' };
export type CfwJob = Model<CfwJobGql> & { provider: 'CFW' };
export type DliJob = Model<DliJobGql> & { provider: 'DLI' };
export type WorkspaceSubJob = Part<WorkspaceSubJobGql>;
export type WorkspaceJob = Omit<Model<WorkspaceJobGql>, 'subJobs'> & {
  provider: 'WORKSPACE';
  subJobs: WorkspaceSubJob[];
};

/** The names codegen maps the schema's job types to (src/schema/generated.ts). */
export type DataWorksJobModel = DataWorksJob;
export type NlbJobModel = NlbJob;
export type CfwJobModel = CfwJob;
export type DliJobModel = DliJob;
export type WorkspaceJobModel = WorkspaceJob;

/** One snapshot of a job as a provider reported it, mapped field by field. */
export type ProviderJob = DataWorksJob | NlbJob | CfwJob | DliJob | WorkspaceJob;

/**
 * A fully resolved reference to one job: defaults applied and validated. `projectId` is null for
 * Alibaba providers (their jobs are scoped by the credentials' account). `account` names a
 * configured account; null is the cloud's default account, so that a ref naming the default and one
 * naming none are one key (and one id, in today's format: see ./job-id.ts).
 */
export interface JobKey {
  provider: ProviderName;
  account: string | null;
  region: string;
  projectId: string | null;
  jobId: string;
}

/** Anything that fetches one job: a client, the registry, or the query path's job source in front of it. */
export interface JobFetcher {
  /** `requestId`: the HTTP request the call is made for, for its log line (none for polls). */
  fetchJob(key: JobKey, signal?: AbortSignal, requestId?: string): Promise<ProviderJob>;
}

/** Talks to one provider API. Implementations do I/O only; mapping and signing are pure modules. */
export interface ProviderClient {
  readonly provider: ProviderName;
  /**
   * Fetches one job's current status.
   * @throws JobError with a code (JOB_NOT_FOUND, PROVIDER_* …); never a raw body or credential.
   */
  fetchJob(key: JobKey, signal?: AbortSignal): Promise<ProviderJob>;
}

/** Alibaba Cloud AccessKey (optionally an STS triple). */
export interface AlibabaCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string | undefined;
}

/** Huawei Cloud auth: AK/SK signing (preferred) or a static IAM token. */
export type HuaweiAuth =
  { kind: 'aksk'; ak: string; sk: string; securityToken?: string | undefined } | { kind: 'token'; token: string };

/** Terminal states never change again. */
export function isTerminalState(state: JobState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
}
