import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { ClusterHub } from '../../src/coordination/cluster-hub.js';
import { PollEngine, type WatchEvent } from '../../src/polling/engine.js';
import { MemoryCoordinator } from '../helpers/memory-coordinator.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { nlbKey, ScriptedClient } from '../helpers/scripted-client.js';

/** Three replicas in one process: separate engines and hubs, one coordinator, one provider. */
function cluster(n = 3, leaseMs = 3_000) {
  const clock = new ManualClock();
  const client = new ScriptedClient();
  const coordinator = new MemoryCoordinator(() => clock.now());
  const replicas = Array.from({ length: n }, (_, i) => {
    const engine = new PollEngine({ registry: new ProviderRegistry({ clients: { NLB: client } }), clock, minIntervalMs: 1000, maxIntervalMs: 4000, random: () => 0.5 });
    const hub = new ClusterHub({ engine, coordinator, replicaId: `r${i}`, clock, leaseMs });
    return { engine, hub };
  });
  const settle = async () => {
    for (let k = 0; k < 3; k++) {
      await new Promise((r) => setImmediate(r));
      await Promise.all(replicas.map((r) => r.engine.whenIdle()));
      await Promise.all(replicas.map((r) => r.hub.whenSettled()));
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
  const seen = () => events.map((e) => (e.kind === 'status' ? `${e.previous?.rawStatus ?? '∅'}→${e.job.rawStatus}#${e.seq}` : `error:${e.error.code}`));
  return { events, seen, watcher: (e: WatchEvent) => events.push(e) };
}

describe('ClusterHub', () => {
  it('polls each job once cluster-wide and gives every watcher on every replica each transition once, in order', async () => {
    const c = cluster();
    stops.push(...c.replicas.map((r) => () => r.hub.stop()));
    c.client.script('job', 'processing', 'processing', 'Processing', 'processing', 'Succeeded');
    const watchers = c.replicas.flatMap((r) => Array.from({ length: 4 }, () => {
      const w = collect();
      r.hub.watch(nlbKey('job'), w.watcher);
      return w;
    }));
    await c.settle();
    await c.advance(30_000);
    expect(c.client.callsFor('job')).toBe(5);
    expect(c.replicas.reduce((n, r) => n + r.engine.fetches, 0)).toBe(5);
    for (const w of watchers) expect(w.seen()).toEqual(['∅→processing#1', 'processing→Processing#2', 'Processing→processing#3', 'processing→Succeeded#4']);
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
    c.client.script('long', 'processing', 'processing', 'Processing', 'Processing', 'PROCESSING', 'PROCESSING', 'PROCESSING', 'Succeeded');
    const perReplica = c.replicas.map((r) => {
      const w = collect();
      r.hub.watch(nlbKey('long'), w.watcher);
      return w;
    });
    await c.settle();
    await c.advance(2_500);
    const leader = c.replicas.findIndex((r) => r.hub.leading === 1);
    expect(leader).toBeGreaterThanOrEqual(0);
    c.replicas[leader]!.hub.abandon();
    c.replicas[leader]!.engine.stop();
    const survivors = c.replicas.filter((_, i) => i !== leader);
    stops.push(...survivors.map((r) => () => r.hub.stop()));
    const callsAtDeath = c.client.calls.length;
    await c.advance(3_000 + 1_100); // lease expiry + one upkeep period
    expect(survivors.filter((r) => r.hub.leading === 1)).toHaveLength(1);
    expect(c.client.calls.length).toBeGreaterThan(callsAtDeath);
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
    expect(c.replicas.every((r) => r.hub.leading === 0 && r.engine.activePollers === 0)).toBe(true);
  });
});
