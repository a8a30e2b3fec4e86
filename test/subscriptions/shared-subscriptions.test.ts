import { parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { JobWatchSource } from '../../src/polling/ports.js';
import type { Watcher } from '../../src/polling/engine.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import type { JobKey } from '../../src/providers/types.js';
import { createSchema } from '../../src/schema/index.js';
import { SharedSubscriptions } from '../../src/subscriptions/shared-subscriptions.js';
import { refDefaults } from '../helpers/ref-defaults.js';
import { nlbJob, nlbKey } from '../helpers/scripted-client.js';

const schema = createSchema();
const DOC = parse(
  `subscription($refs: [JobRef!]!) { jobStatusChanged(refs: $refs) { previousRawStatus rawStatus sequence job { ... on CloudJob { jobId } } } }`,
);

/** A watch source the test drives by hand: `set` delivers a status to everyone watching the job. */
class HandWatcher implements JobWatchSource {
  readonly watchers = new Map<string, Set<Watcher>>();
  watchCalls = 0;
  #last = new Map<string, { status: string; seq: number }>();

  watch(key: JobKey, w: Watcher): () => void {
    this.watchCalls++;
    const id = toGlobalId(key);
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(w);
    return () => set.delete(w);
  }

  set(jobId: string, status: string): void {
    const id = toGlobalId(nlbKey(jobId));
    const last = this.#last.get(id);
    const seq = (last?.seq ?? 0) + 1;
    const job = nlbJob(nlbKey(jobId), status);
    this.#last.set(id, { status, seq });
    const previous = last ? { state: nlbJob(nlbKey(jobId), last.status).state, rawStatus: last.status } : null;
    for (const w of this.watchers.get(id) ?? []) w({ kind: 'status', job, previous, seq, at: Date.UTC(2026, 0, 1) });
  }

  watching(jobId: string): number {
    return this.watchers.get(toGlobalId(nlbKey(jobId)))?.size ?? 0;
  }
}

function setup() {
  const watcher = new HandWatcher();
  const sent: { channel: string; id: string; payload: Buffer; slot: string | undefined }[] = [];
  // Every execution of the selection set is formatted once: counting `format` counts executions.
  const counts = { executions: 0 };
  const shared = new SharedSubscriptions<string>({
    context: () => ({
      services: {
        watcher,
        maxRefs: 100,
        defaults: refDefaults({ alibabaRegion: 'cn-hangzhou', huaweiRegion: null, huaweiProjectId: null }),
      },
    }),
    send: (channel, id, payload, slot) => sent.push({ channel, id, payload, slot }),
    format: (r) => {
      counts.executions++;
      return r;
    },
  });
  const args = (...jobIds: string[]): ExecutionArgs => ({
    schema,
    document: DOC,
    variableValues: { refs: jobIds.map((jobId) => ({ provider: 'NLB', jobId })) },
  });
  const join = async (a: ExecutionArgs, channel: string, id = 's1') => {
    const r = await shared.subscribe(a, channel, id);
    if (!(Symbol.asyncIterator in r)) throw new Error(`expected a subscription, got ${JSON.stringify(r)}`);
    return r;
  };
  const decoded = (channel?: string) =>
    sent
      .filter((s) => channel === undefined || s.channel === channel)
      .map(
        (s) =>
          (JSON.parse(s.payload.toString()) as { data: { jobStatusChanged: Record<string, unknown> } }).data
            .jobStatusChanged,
      );
  return { watcher, sent, shared, counts, args, join, decoded };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('SharedSubscriptions', () => {
  it("names a replaceable slot per subscription and job, so a reused client id never replaces the earlier subscription's event", async () => {
    const { watcher, sent, args, join } = setup();
    const first = await join(args('slot-1', 'slot-2'), 'conn', 'same-id');
    watcher.set('slot-1', 'processing');
    watcher.set('slot-2', 'processing');
    await flush();
    await first.return!();
    await join(args('slot-1', 'slot-2'), 'conn', 'same-id');
    watcher.set('slot-1', 'Succeeded');
    watcher.set('slot-2', 'Succeeded');
    await flush();
    expect(sent.map((s) => s.id)).toEqual(['same-id', 'same-id', 'same-id', 'same-id']);
    const slots = sent.map((s) => s.slot);
    expect(new Set(slots).size).toBe(4);
    expect(slots.every((slot) => typeof slot === 'string')).toBe(true);
  });

  it('executes and serializes an event once for all identical subscriptions, and sends every subscriber the same bytes', async () => {
    const { watcher, sent, counts, args, join } = setup();
    const a = args('shared-1');
    for (let i = 0; i < 50; i++) await join(a, `conn-${i}`);
    expect(watcher.watchCalls).toBe(1);
    watcher.set('shared-1', 'processing');
    await flush();
    watcher.set('shared-1', 'Processing');
    await flush();
    expect(counts.executions).toBe(2);
    expect(sent).toHaveLength(100);
    const firstEvent = new Set(sent.slice(0, 50).map((s) => s.payload));
    expect(firstEvent.size).toBe(1);
    expect(new Set(sent.slice(0, 50).map((s) => s.channel)).size).toBe(50);
  });

  it('runs separate executions for different variables', async () => {
    const { watcher, counts, args, join } = setup();
    await join(args('x-1'), 'c1');
    await join(args('x-2'), 'c2');
    await join(args('x-1'), 'c3');
    expect(watcher.watchCalls).toBe(2); // one source stream per distinct operation
    watcher.set('x-1', 'processing');
    watcher.set('x-2', 'processing');
    await flush();
    expect(counts.executions).toBe(2);
  });

  it('gives a late subscriber the current state as a snapshot first, then only what changes next', async () => {
    const { watcher, counts, args, join, decoded } = setup();
    const a = args('late-1');
    await join(a, 'early');
    watcher.set('late-1', 'processing');
    await flush();
    watcher.set('late-1', 'Processing');
    await flush();
    await join(a, 'late');
    watcher.set('late-1', 'PROCESSING');
    await flush();
    expect(decoded('early').map((c) => `${c.previousRawStatus ?? '∅'}→${c.rawStatus}#${c.sequence}`)).toEqual([
      '∅→processing#1',
      'processing→Processing#2',
      'Processing→PROCESSING#3',
    ]);
    expect(decoded('late').map((c) => `${c.previousRawStatus ?? '∅'}→${c.rawStatus}#${c.sequence}`)).toEqual([
      '∅→Processing#2',
      'Processing→PROCESSING#3',
    ]);
    // The snapshot was executed once for the joiner; a second joiner reuses its bytes.
    const executions = counts.executions;
    await join(a, 'later');
    expect(counts.executions).toBe(executions + 1);
    await join(a, 'latest');
    expect(counts.executions).toBe(executions + 1);
  });

  it('stops watching when the last subscriber leaves, and starts afresh for the next one', async () => {
    const { watcher, args, join } = setup();
    const a = args('leave-1');
    const one = await join(a, 'c1');
    const two = await join(a, 'c2');
    expect(watcher.watching('leave-1')).toBe(1);
    await one.return!();
    expect(watcher.watching('leave-1')).toBe(1);
    await two.return!();
    await flush();
    expect(watcher.watching('leave-1')).toBe(0);
    expect(watcher.watchCalls).toBe(1);
    await join(a, 'c3');
    expect(watcher.watchCalls).toBe(2);
  });

  it('completes every subscriber when the jobs are finished', async () => {
    const { watcher, args, join } = setup();
    const a = args('end-1');
    const members = [await join(a, 'c1'), await join(a, 'c2')];
    const ends = members.map((m) => m.next());
    watcher.set('end-1', 'processing');
    watcher.set('end-1', 'Succeeded');
    await flush();
    for (const end of ends) expect(await end).toEqual({ done: true, value: undefined });
  });

  it('returns argument errors as one result and keeps no group for them', async () => {
    const { watcher, shared, args } = setup();
    const result = (await shared.subscribe(args(), 'c1', 's1')) as ExecutionResult;
    expect(result.errors?.[0]?.message).toMatch(/1 to 100 refs/);
    const again = (await shared.subscribe(args(), 'c2', 's1')) as ExecutionResult;
    expect(again.errors?.[0]?.message).toMatch(/1 to 100 refs/);
    expect(watcher.watchCalls).toBe(0);
  });
});
