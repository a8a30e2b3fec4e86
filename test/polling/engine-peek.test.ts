import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { PollEngine } from '../../src/polling/engine.js';
import { toGlobalId } from '../../src/providers/job-id.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { nlbKey, ScriptedClient } from '../helpers/scripted-client.js';

let engine: PollEngine | undefined;
afterEach(() => engine?.stop());

describe('PollEngine.latest', () => {
  it('returns the latest state a poller saw, then the cached final state, and nothing for unwatched jobs', async () => {
    const clock = new ManualClock();
    const client = new ScriptedClient();
    client.script('j', 'processing', 'Succeeded');
    engine = new PollEngine({
      registry: new ProviderRegistry({ clients: { NLB: client } }),
      clock,
      minIntervalMs: 1_000,
      terminalTtlMs: 60_000,
      random: () => 0.5,
    });
    const advance = (ms: number) =>
      clock.advance(ms, async () => {
        await new Promise((r) => setImmediate(r));
        await client.idle();
      });
    const id = toGlobalId(nlbKey('j'));
    expect(engine.latest(id)).toBeUndefined();
    engine.watch(nlbKey('j'), () => {});
    await advance(10);
    expect(engine.latest(id)?.job.rawStatus).toBe('processing');
    await advance(2_000);
    expect(engine.activePollers).toBe(0);
    expect(engine.latest(id)?.job.rawStatus).toBe('Succeeded');
    expect(engine.latest(toGlobalId(nlbKey('other')))).toBeUndefined();
    const calls = client.calls.length;
    engine.latest(id);
    expect(client.calls.length).toBe(calls);
  });
});
