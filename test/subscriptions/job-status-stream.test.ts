import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { JobError } from '../../src/errors.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { PollEngine } from '../../src/polling/engine.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { createJobStatusStream, type StreamItem } from '../../src/subscriptions/job-status-stream.js';
import { nlbKey, ScriptedClient } from '../helpers/scripted-client.js';

let engine: PollEngine | undefined;
afterEach(() => engine?.stop());

function setup() {
  const clock = new ManualClock();
  const client = new ScriptedClient();
  engine = new PollEngine({
    registry: new ProviderRegistry({ clients: { NLB: client } }),
    clock,
    minIntervalMs: 1000,
    maxIntervalMs: 5000,
    random: () => 0.5,
  });
  const advance = (ms: number) =>
    clock.advance(ms, async () => {
      await new Promise((r) => setImmediate(r));
      await client.idle();
    });
  return { client, engine, advance };
}

const ref = (jobId: string) => ({ provider: 'NLB' as const, jobId });
const target = (jobId: string) => ({ ref: ref(jobId), key: nlbKey(jobId) });
const show = (item: StreamItem) =>
  item.kind === 'change'
    ? `${item.change.job.jobId}:${item.change.previousRawStatus ?? '∅'}→${item.change.rawStatus}#${item.change.sequence}`
    : `${item.ref.jobId}:${item.error.code}`;

async function drain(stream: AsyncIterableIterator<StreamItem>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of stream) out.push(show(item));
  return out;
}

describe('job status stream', () => {
  it('yields each job’s transitions and completes once every job is terminal', async () => {
    const { client, engine, advance } = setup();
    client.script('a', 'processing', 'Succeeded');
    client.script('b', 'processing', 'processing', 'Failed');
    const stream = createJobStatusStream(engine, [target('a'), target('b')]);
    const done = drain(stream);
    await advance(30_000);
    const items = await done;
    expect(items.filter((i) => i.startsWith('a:'))).toEqual(['a:∅→processing#1', 'a:processing→Succeeded#2']);
    expect(items.filter((i) => i.startsWith('b:'))).toEqual(['b:∅→processing#1', 'b:processing→Failed#2']);
  });

  it('reports a ref that cannot be watched and goes on with the others', async () => {
    const { client, engine, advance } = setup();
    client.script('ok', 'Succeeded');
    client.script('missing', new JobError('JOB_NOT_FOUND', 'nope'));
    const bad = { ref: ref('bad id'), error: new JobError('BAD_USER_INPUT', 'bad') };
    const done = drain(createJobStatusStream(engine, [bad, target('missing'), target('ok')]));
    // Not found is final once the engine's grace period for new jobs is over.
    await advance(DEFAULTS.poll.notFoundGraceMs + 5_000);
    expect((await done).sort()).toEqual(['bad id:BAD_USER_INPUT', 'missing:JOB_NOT_FOUND', 'ok:∅→Succeeded#1'].sort());
  });

  it('merges pending events of a slow reader per job and never loses the terminal one', async () => {
    const { client, engine, advance } = setup();
    client.script('fast', 'processing', 'Processing', 'PROCESSING', 'processing', 'Succeeded');
    const stream = createJobStatusStream(engine, [target('fast')]);
    // Nobody reads while the job runs through all its states.
    await advance(30_000);
    const items = await drain(stream);
    expect(items).toEqual(['fast:∅→Succeeded#5']);
  });

  it('watches a job named twice only once', async () => {
    const { client, engine, advance } = setup();
    client.script('dup', 'Succeeded');
    const done = drain(createJobStatusStream(engine, [target('dup'), target('dup')]));
    await advance(2_000);
    expect(await done).toEqual(['dup:∅→Succeeded#1']);
    expect(client.callsFor('dup')).toBe(1);
  });

  it('stops its pollers when the reader returns early', async () => {
    const { client, engine, advance } = setup();
    client.script('long', 'processing');
    const stream = createJobStatusStream(engine, [target('long')]);
    const first = stream.next();
    await advance(10);
    expect(show((await first).value as StreamItem)).toBe('long:∅→processing#1');
    await stream.return?.();
    expect(engine.activePollers).toBe(0);
    const calls = client.callsFor('long');
    await advance(60_000);
    expect(client.callsFor('long')).toBe(calls);
  });
});
