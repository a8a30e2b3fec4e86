import { describe, it, expect } from 'vitest';
import { DLI_STATUS, mapDliJob, parseDliColumns } from '../../../src/providers/dli/map.js';
import type { JobKey } from '../../../src/providers/types.js';

const key: JobKey = {
  provider: 'DLI',
  account: null,
  region: 'cn-north-4',
  projectId: '48cc2c48765f481480c7db940d6409d1',
  jobId: '208b08d4-0dc2-4dd7-8879-ddd4c020d7aa',
};

const DETAIL =
  '{"type":"struct","fields":[{"name":"id","type":"integer","nullable":true,"metadata":{}},{"name":"name","type":"string","nullable":true,"metadata":{}}]}';

/** The API page's example response, verbatim (docs/providers.md#dli-job-status). */
const SEED = {
  is_success: true,
  message: '',
  job_id: '208b08d4-0dc2-4dd7-8879-ddd4c020d7aa',
  job_type: 'QUERY',
  job_mode: 'async',
  queue_name: 'default',
  owner: 'test',
  start_time: 1509335108918,
  duration: 2523,
  status: 'FINISHED',
  input_size: 22,
  result_count: 4,
  database_name: 'dbtest',
  table_name: 'tbtest',
  detail: DETAIL,
  statement: 'select * from t1',
};

describe('mapDliJob', () => {
  it('maps the seed example field by field', () => {
    expect(mapDliJob(key, SEED, 'req-9')).toEqual({
      id: 'DLI:cn-north-4:48cc2c48765f481480c7db940d6409d1:208b08d4-0dc2-4dd7-8879-ddd4c020d7aa',
      provider: 'DLI',
      account: null,
      region: 'cn-north-4',
      projectId: '48cc2c48765f481480c7db940d6409d1',
      jobId: '208b08d4-0dc2-4dd7-8879-ddd4c020d7aa',
      state: 'SUCCEEDED',
      rawStatus: 'FINISHED',
      terminal: true,
      startedAt: new Date(1509335108918),
      finishedAt: new Date(1509335108918 + 2523),
      providerRequestId: 'req-9',
      isSuccess: true,
      message: '',
      jobType: 'QUERY',
      jobMode: 'async',
      queueName: 'default',
      owner: 'test',
      startTime: new Date(1509335108918),
      durationMs: 2523,
      status: 'FINISHED',
      inputRowCount: null,
      badRowCount: null,
      inputSizeBytes: 22,
      resultCount: 4,
      databaseName: 'dbtest',
      tableName: 'tbtest',
      detail: DETAIL,
      columns: [
        { name: 'id', type: 'integer', nullable: true, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
      ],
      statement: 'select * from t1',
      tags: [],
      userConf: null,
      resultFormat: null,
      resultPath: null,
      executionDetailsPath: null,
    });
  });

  it('maps the optional documented fields: row counts, tags, user_conf and result paths', () => {
    const job = mapDliJob(
      key,
      {
        ...SEED,
        input_row_count: 9007199254740991,
        bad_row_count: 3,
        tags: [{ key: 'env', value: 'prod' }, { key: 'flag' }, { value: 'no key' }, 'junk'],
        user_conf: '{"spark.sql.shuffle.partitions":"200"}',
        result_format: 'CSV',
        result_path: 'obs://bucket/result',
        execution_details_path: 'obs://bucket/details',
      },
      null,
    );
    expect(job).toMatchObject({
      inputRowCount: 9007199254740991,
      badRowCount: 3,
      tags: [
        { key: 'env', value: 'prod' },
        { key: 'flag', value: null },
      ],
      userConf: '{"spark.sql.shuffle.partitions":"200"}',
      resultFormat: 'CSV',
      resultPath: 'obs://bucket/result',
      executionDetailsPath: 'obs://bucket/details',
    });
  });

  it.each([
    ['LAUNCHING', 'PENDING', false],
    ['RUNNING', 'RUNNING', false],
    ['SCALING', 'RUNNING', false],
    ['FINISHED', 'SUCCEEDED', true],
    ['FAILED', 'FAILED', true],
    ['CANCELLED', 'CANCELLED', true],
    ['FINISH', 'UNKNOWN', false],
  ])('maps status %s to %s (terminal %s)', (status, state, terminal) => {
    const job = mapDliJob(key, { ...SEED, status }, null);
    expect(job).toMatchObject({ state, terminal, rawStatus: status });
    expect(job.finishedAt).toEqual(terminal ? new Date(1509335108918 + 2523) : null);
  });

  it('covers every documented status in the table', () => {
    expect(Object.keys(DLI_STATUS).sort()).toEqual([
      'CANCELLED',
      'FAILED',
      'FINISHED',
      'LAUNCHING',
      'RUNNING',
      'SCALING',
    ]);
  });

  it('has no finish time when the duration is missing', () => {
    const { duration: _d, ...rest } = SEED;
    expect(mapDliJob(key, rest, null)).toMatchObject({ durationMs: null, finishedAt: null, terminal: true });
  });

  it.each([
    ['not JSON', undefined],
    ['a string', 'FINISHED'],
    ['missing status', { is_success: true, job_id: 'x' }],
  ])('rejects a body that is %s as PROVIDER_BAD_RESPONSE', (_label, body) => {
    expect(() => mapDliJob(key, body, null)).toThrow(expect.objectContaining({ code: 'PROVIDER_BAD_RESPONSE' }));
  });
});

describe('parseDliColumns', () => {
  it('returns null for an absent, unparseable or non-struct detail, never throwing', () => {
    expect(parseDliColumns(undefined)).toBeNull();
    expect(parseDliColumns('')).toBeNull();
    expect(parseDliColumns('{not json')).toBeNull();
    expect(parseDliColumns('{"type":"array","fields":[]}')).toBeNull();
    expect(parseDliColumns('{"type":"struct"}')).toBeNull();
    expect(parseDliColumns('[1,2]')).toBeNull();
  });

  it('keeps a nested type as JSON text and skips fields without a name', () => {
    const cols = parseDliColumns(
      JSON.stringify({
        type: 'struct',
        fields: [
          { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: false },
          { type: 'string' },
          7,
        ],
      }),
    );
    expect(cols).toEqual([
      {
        name: 'tags',
        type: '{"type":"array","elementType":"string","containsNull":true}',
        nullable: false,
        metadata: null,
      },
    ]);
  });
});
