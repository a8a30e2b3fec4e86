/**
 * Query and entity resolvers. Every job lookup goes through the request's loader, so `jobs`,
 * nested selections and federation `_entities` share one deduplicating batch.
 */
import { GraphQLError } from 'graphql';
import { GraphQLDateTime, GraphQLJSON, GraphQLLong } from 'graphql-scalars';
import { ERRORS, JobError, isJobError, type ClientErrorCode } from '../errors.js';
import { loadJob } from '../loaders/jobs.js';
import { fromGlobalId } from '../providers/job-id.js';
import { fetchedAtOf } from '../providers/observed.js';
import { cloudOf, type ProviderJob, type ProviderName } from '../providers/types.js';
import { resolveJobRef, validateJobKey } from '../refs.js';
import type { RequestContext } from '../context.js';
import { createJobStatusStream, type StreamItem, type WatchTarget } from '../subscriptions/job-status-stream.js';
import { hintJob, nested } from './cache-hints.js';
import { toGraphQLError } from './format-error.js';
import type { Resolvers } from './generated.js';

/** GraphQL object type of each provider's jobs. */
export const TYPENAME: Record<ProviderName, 'DataWorksJob' | 'NlbJob' | 'CfwJob' | 'DliJob' | 'WorkspaceJob'> = {
  DATAWORKS: 'DataWorksJob',
  NLB: 'NlbJob',
  CFW: 'CfwJob',
  DLI: 'DliJob',
  WORKSPACE: 'WorkspaceJob',
};

function resolveType(job: { provider: ProviderName }) {
  return TYPENAME[job.provider];
}

/**
 * Runs a lookup whose validation may throw, as one promise: in a list (or `_entities`) a bad ref
 * must become a rejected item at its own index, not a throw that fails the whole field.
 */
function settle<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return lookup();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Sets the field's cache hint from the job once it is loaded (long for finished jobs, none else). */
function hinted<T extends ProviderJob>(loading: Promise<T>, info: unknown): Promise<T> {
  return loading.then((job) => {
    hintJob(info, job);
    return job;
  });
}

/**
 * Resolves a federation representation `{ id }` of one provider's type through the loader. An id
 * that is malformed or belongs to another type is BAD_USER_INPUT at that representation's index.
 */
function referenceResolver<P extends ProviderName>(provider: P) {
  const typename = TYPENAME[provider];
  return (ref: { id?: unknown }, ctx: RequestContext, info?: unknown): Promise<Extract<ProviderJob, { provider: P }>> =>
    settle(() => {
      if (typeof ref.id !== 'string')
        throw new JobError('BAD_USER_INPUT', `${typename} representation needs a string id`);
      const decoded = fromGlobalId(ref.id);
      if (decoded.provider !== provider) {
        throw new JobError('BAD_USER_INPUT', `id belongs to ${TYPENAME[decoded.provider]}, not ${typename}`, {
          provider: decoded.provider,
        });
      }
      return validateJobKey(decoded, ctx.services.defaults).then((key) =>
        hinted(loadJob(ctx.loader, key) as Promise<Extract<ProviderJob, { provider: P }>>, info),
      );
    });
}

/** A job's key holds null for the cloud's default account; clients see its name. */
/** When this process fetched the snapshot (src/providers/observed.ts); null for another replica's. */
function observedAt(job: ProviderJob): Date | null {
  const at = fetchedAtOf(job);
  return at === undefined ? null : new Date(at);
}

function accountName(job: ProviderJob, _args: unknown, ctx: RequestContext): string {
  return ctx.services.defaults.accounts.nameOf(cloudOf(job.provider), job.account);
}

export const resolvers = {
  DateTime: GraphQLDateTime,
  Long: GraphQLLong,
  JSON: GraphQLJSON,
  Query: {
    job: (_parent, { ref }, ctx, info) =>
      resolveJobRef(ref, ctx.services.defaults).then((key) => hinted(loadJob(ctx.loader, key), info)),
    jobs: (_parent, { refs }, ctx, info) => {
      if (refs.length > ctx.services.maxRefs) {
        throw new JobError('BAD_USER_INPUT', `jobs accepts at most ${ctx.services.maxRefs} refs, got ${refs.length}`);
      }
      // A promise per item: a failed ref becomes null at its own index with its own error.
      return refs.map((ref) =>
        resolveJobRef(ref, ctx.services.defaults).then((key) => hinted(loadJob(ctx.loader, key), info)),
      );
    },
  },
  Subscription: {
    jobStatusChanged: {
      subscribe: async (_parent, { refs }, ctx) => {
        const max = ctx.services.maxRefs;
        if (refs.length === 0 || refs.length > max) {
          throw new JobError('BAD_USER_INPUT', `jobStatusChanged takes 1 to ${max} refs, got ${refs.length}`);
        }
        const targets: WatchTarget[] = await Promise.all(
          refs.map((ref) =>
            resolveJobRef(ref, ctx.services.defaults).then(
              (key): WatchTarget => ({ ref, key }),
              (err: unknown): WatchTarget => {
                if (isJobError(err)) return { ref, error: err };
                throw err;
              },
            ),
          ),
        );
        // One stream per distinct operation: the WebSocket transport shares it between identical
        // subscribers and counts them (jobs_subscriptions_active).
        return createJobStatusStream(ctx.services.watcher, targets);
      },
      // A per-ref error becomes a `next` message with data null and the coded error; the
      // subscription itself goes on with the other refs.
      resolve: (item: StreamItem | undefined) => {
        // Over HTTP a subscription operation is executed once, without an event.
        if (item === undefined) {
          throw new GraphQLError('subscriptions are served over WebSocket (graphql-transport-ws) on /graphql', {
            extensions: {
              code: 'BAD_REQUEST' satisfies ClientErrorCode,
              http: { status: ERRORS.BAD_REQUEST.httpStatus },
            },
          });
        }
        if (item.kind === 'change') return item.change;
        const err = toGraphQLError(item.error);
        Object.assign(err.extensions, { ref: { provider: item.ref.provider, jobId: item.ref.jobId } });
        throw err;
      },
    },
  },
  Job: { __resolveType: resolveType },
  CloudJob: { __resolveType: resolveType },
  DataWorksJob: { __resolveReference: referenceResolver('DATAWORKS'), account: accountName, observedAt },
  NlbJob: { __resolveReference: referenceResolver('NLB'), account: accountName, observedAt },
  CfwJob: { __resolveReference: referenceResolver('CFW'), account: accountName, observedAt },
  DliJob: {
    __resolveReference: referenceResolver('DLI'),
    account: accountName,
    observedAt,
    columns: nested('columns'),
    tags: nested('tags'),
  },
  WorkspaceJob: {
    __resolveReference: referenceResolver('WORKSPACE'),
    account: accountName,
    observedAt,
    subJobs: nested('subJobs'),
  },
  WorkspaceSubJob: { entities: nested('entities') },
} satisfies Resolvers;
