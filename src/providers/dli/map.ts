/**
 * DLI `ShowSqlJobStatus` body → DliJob. Pure. Every field of
 * https://support.huaweicloud.com/intl/en-us/api-dli/dli_02_0021.html plus the SDK's
 * result_format/result_path/execution_details_path (docs/providers.md#dli-job-status). Durations and counts stay
 * JS numbers (GraphQL Long); `detail` is kept raw and also parsed into result columns.
 */
import { commonJobFields, missingField, stateFrom } from '../job-fields.js';
import { isTerminalState, type DliJob, type JobKey, type JobState } from '../types.js';
import { asArray, asBoolean, asDate, asInteger, asObject, asString, tryParseJson } from '../wire.js';

/**
 * `status` → state (doc above). SCALING is documented but missing from the SDK enums; a scaling
 * queue is still running the job.
 */
export const DLI_STATUS: Readonly<Record<string, JobState>> = {
  LAUNCHING: 'PENDING',
  RUNNING: 'RUNNING',
  SCALING: 'RUNNING',
  FINISHED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
};

type DliColumn = NonNullable<DliJob['columns']>[number];
type DliTag = DliJob['tags'][number];

/**
 * The Spark struct schema in `detail` (`{"type":"struct","fields":[{name,type,nullable,metadata}]}`)
 * as columns; null when absent or not such a struct. Never throws. A nested type (array, map,
 * struct) is returned as its JSON text.
 */
export function parseDliColumns(detail: unknown): DliColumn[] | null {
  const schema = asObject(typeof detail === 'string' ? tryParseJson(detail) : detail);
  if (!schema || !Array.isArray(schema.fields) || (schema.type !== undefined && schema.type !== 'struct')) return null;
  const columns: DliColumn[] = [];
  for (const f of schema.fields as unknown[]) {
    const field = asObject(f);
    const name = asString(field?.name);
    if (!field || name === null) continue;
    const type =
      typeof field.type === 'string' ? field.type : field.type === undefined ? 'unknown' : JSON.stringify(field.type);
    columns.push({ name, type, nullable: asBoolean(field.nullable), metadata: field.metadata ?? null });
  }
  return columns;
}

function parseTags(value: unknown): DliTag[] {
  const tags: DliTag[] = [];
  for (const t of asArray(value) ?? []) {
    const tag = asObject(t);
    const key = asString(tag?.key);
    if (tag && key !== null) tags.push({ key, value: asString(tag.value) });
  }
  return tags;
}

/** A JSON-in-a-string field kept verbatim; an object sent instead is re-serialized. */
function rawJsonText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : null;
}

/** @throws JobError PROVIDER_BAD_RESPONSE when the body is not an object or has no `status`. */
export function mapDliJob(key: JobKey, body: unknown, requestId: string | null): DliJob {
  const b = asObject(body);
  const status = asString(b?.status);
  if (!b || status === null || status === '') {
    throw missingField('DLI', 'a job status', requestId);
  }
  const state = stateFrom(DLI_STATUS, status);
  const terminal = isTerminalState(state);
  const startTime = asDate(b.start_time);
  const durationMs = asInteger(b.duration);
  return {
    provider: 'DLI',
    ...commonJobFields(
      key,
      status,
      state,
      {
        startedAt: startTime,
        finishedAt: terminal && startTime && durationMs !== null ? new Date(startTime.getTime() + durationMs) : null,
      },
      requestId,
    ),
    // A 200 carrying a status is a successful lookup even if the flag is missing.
    isSuccess: asBoolean(b.is_success) ?? true,
    message: asString(b.message),
    jobType: asString(b.job_type),
    jobMode: asString(b.job_mode),
    queueName: asString(b.queue_name),
    owner: asString(b.owner),
    startTime,
    durationMs,
    status,
    inputRowCount: asInteger(b.input_row_count),
    badRowCount: asInteger(b.bad_row_count),
    inputSizeBytes: asInteger(b.input_size),
    resultCount: asInteger(b.result_count),
    databaseName: asString(b.database_name),
    tableName: asString(b.table_name),
    detail: rawJsonText(b.detail),
    columns: parseDliColumns(b.detail),
    statement: asString(b.statement),
    tags: parseTags(b.tags),
    userConf: rawJsonText(b.user_conf),
    resultFormat: asString(b.result_format),
    resultPath: asString(b.result_path),
    executionDetailsPath: asString(b.execution_details_path),
  };
}
