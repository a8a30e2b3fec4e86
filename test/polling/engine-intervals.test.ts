import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { collect, harness, keyOf, stopEngines } from './harness.js';

afterEach(stopEngines);

describe('PollEngine per-provider intervals', () => {
  it('polls DataWorks at its own default intervals and other providers at the global ones', async () => {
    expect(DEFAULTS.poll.providers.DATAWORKS.minIntervalMs).toBe(15_000);
    expect(DEFAULTS.poll).toMatchObject({ minIntervalMs: 1_000, maxIntervalMs: 30_000 });
    const { engine, callsOf, advance } = harness({ minIntervalMs: undefined, maxIntervalMs: undefined });
    engine.watch(keyOf('dw', 'DATAWORKS'), collect().watcher);
    engine.watch(keyOf('nlb', 'NLB'), collect().watcher);
    await advance(60_000);
    // 15 s growing ×1.5: 15 s, 22.5 s, then 33.75 s (past the minute).
    expect(callsOf('dw')).toEqual([0, 15_000, 37_500]);
    expect(callsOf('nlb').slice(0, 3)).toEqual([0, 1_000, 2_500]);
  });

  it('takes the intervals given per provider, up to their own maximum', async () => {
    const { engine, callsOf, advance } = harness({
      providerIntervals: { NLB: { minIntervalMs: 5_000, maxIntervalMs: 6_000 } },
    });
    engine.watch(keyOf('nlb', 'NLB'), collect().watcher);
    engine.watch(keyOf('cfw', 'CFW'), collect().watcher);
    await advance(20_000);
    expect(callsOf('nlb')).toEqual([0, 5_000, 11_000, 17_000]);
    expect(callsOf('cfw').slice(0, 2)).toEqual([0, 1_000]);
  });

  it('lets a global pair it is given override the built-in per-provider defaults', async () => {
    const { engine, callsOf, advance } = harness({ minIntervalMs: 2_000, maxIntervalMs: 2_000 });
    engine.watch(keyOf('dw', 'DATAWORKS'), collect().watcher);
    await advance(5_000);
    expect(callsOf('dw')).toEqual([0, 2_000, 4_000]);
  });
});
