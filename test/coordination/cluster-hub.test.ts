import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { ClusterHub } from '../../src/coordination/cluster-hub.js';
import { PollEngine, type WatchEvent } from '../../src/polling/engine.js';
import { MemoryCoordinator } from '../helpers/memory-coordinator.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { counting, nlbKey, ScriptedClient } from '../helpers/scripted-client.js';

/**
 * Three replicas in one process: separate engines and hubs, one coordinator store (each replica
 * through its own connection), one provider. Each replica's provider calls are counted apart, so
 * a test sees which replica polls.
 */
function cluster(n = 3, leaseMs = 3_000) {
  const clock = new ManualClock();
  const client = new ScriptedClient();
  const coordinator = new MemoryCoordinator(() => clock.now());
  const replicas = Array.from({ length: n }, (_, i) => {
    const provider = counting(client);
    const connection = coordinator.connect();
    const engine = new PollEngine({
      registry: new ProviderRegistry({ clients: { NLB: provider } }),
      clock,
      minIntervalMs: 1000,
      maxIntervalMs: 4000,
      random: () => 0.5,
    });
    const hub = new ClusterHub({ engine, coordinator: connection, replicaId: `r${i}`, clock, leaseMs });
    return { id: `r${i}`, engine, hub, provider, connection };
  });
  const settle = async () => {
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setImmediate(r));
      await client.idle();
      await coordinator.settled();
    }
  };
  const advance = (ms: number) => clock.advance(ms, settle);
  return { clock, client, coordinator, replicas, advance, settle };
}

let stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

function collect() {
  const events: WatchEvent[] = [];
  const seen = () =>
    events.map((e) =>
      e.kind === 'status' ? `${e.previous?.rawStatus ?? '∅'}→${e.job.rawStatus}#${e.seq}` : `error:${e.error.code}`,
    );
  return { events, seen, watcher: (e: WatchEvent) => events.push(e) };
}

describe('ClusterHub', () => {
  it('polls each job once cluster-wide and gives every watcher on every replica each transition once, in order', async () => {
    const c = cluster();
    stops.push(...c.replicas.map((r) => () => r.hub.stop()));
    c.client.script('job', 'processing', 'processing', 'Processing', 'processing', 'Succeeded');
    const watchers = c.replicas.flatMap((r) =>
      Array.from({ length: 4 }, () => {
        const w = collect();
        r.hub.watch(nlbKey('job'), w.watcher);
        return w;
      }),
    );
    await c.settle();
    await c.advance(30_000);
    expect(c.client.callsFor('job')).toBe(5);
    expect(c.replicas.reduce((n, r) => n + r.provider.calls, 0)).toBe(5);
    for (const w of watchers)
      expect(w.seen()).toEqual([
        '∅→processing#1',
        'processing→Processing#2',
        'Processing→processing#3',
        'processing→Succeeded#4',
      ]);
  });

  it('gives a late watcher on another replica the stored snapshot without a provider call', async () => {
    const c = cluster(2);
    stops.push(...c.replicas.map((r) => () => r.hub.stop()));
    c.client.script('j', 'processing');
    c.replicas[0]!.hub.watch(nlbKey('j'), collect().watcher);
    await c.settle();
    await c.advance(100);
    const calls = c.client.callsFor('j');
    const late = collect();
    c.replicas[1]!.hub.watch(nlbKey('j'), late.watcher);
    await c.settle();
    expect(late.seen()).toEqual(['∅→processing#1']);
    expect(c.client.callsFor('j')).toBe(calls);
  });

  it('lets another replica take over within the lease time when the holder dies, losing and repeating nothing', async () => {
    const c = cluster(3, 3_000);
    c.client.script(
      'long',
      'processing',
      'processing',
      'Processing',
      'Processing',
      'PROCESSING',
      'PROCESSING',
      'PROCESSING',
      'Succeeded',
    );
    const perReplica = c.replicas.map((r) => {
      const w = collect();
      r.hub.watch(nlbKey('long'), w.watcher);
      return w;
    });
    await c.settle();
    await c.advance(2_500);
    // The leader is the replica whose engine polls the job.
    const leader = c.replicas.findIndex((r) => r.engine.activePollers === 1);
    expect(leader).toBeGreaterThanOrEqual(0);
    expect(c.coordinator.leaseHolder(toGlobalId(nlbKey('long')))).toBe(c.replicas[leader]!.id);
    // It crashes: its connection dies first, so stopping it releases nothing.
    const dead = c.replicas[leader]!;
    dead.connection.cut();
    await dead.hub.stop();
    dead.engine.stop();
    expect(c.coordinator.leaseHolder(toGlobalId(nlbKey('long')))).toBe(dead.id);
    const survivors = c.replicas.filter((_, i) => i !== leader);
    stops.push(...survivors.map((r) => () => r.hub.stop()));
    const callsAtDeath = c.client.calls.length;
    const deadCalls = dead.provider.calls;
    await c.advance(3_000 + 1_100); // lease expiry + one upkeep period
    expect(survivors.filter((r) => r.engine.activePollers === 1)).toHaveLength(1);
    expect(c.client.calls.length).toBeGreaterThan(callsAtDeath);
    expect(dead.provider.calls).toBe(deadCalls);
    await c.advance(60_000);
    const expected = ['∅→processing#1', 'processing→Processing#2', 'Processing→PROCESSING#3', 'PROCESSING→Succeeded#4'];
    perReplica.forEach((w, i) => {
      if (i !== leader) expect(w.seen()).toEqual(expected);
    });
  });

  it('stops polling a job when its last watcher anywhere leaves', async () => {
    const c = cluster(2);
    stops.push(...c.replicas.map((r) => () => r.hub.stop()));
    c.client.script('bye', 'processing');
    const un = c.replicas.map((r) => r.hub.watch(nlbKey('bye'), collect().watcher));
    await c.settle();
    await c.advance(5_000);
    for (const u of un) u();
    await c.settle();
    const calls = c.client.callsFor('bye');
    await c.advance(30_000);
    expect(c.client.callsFor('bye')).toBe(calls);
    // Nobody polls it, and the lease its poller held was given back.
    expect(c.replicas.every((r) => r.engine.activePollers === 0)).toBe(true);
    expect(c.coordinator.leaseHolder(toGlobalId(nlbKey('bye')))).toBeUndefined();
  });
});
