/** Small statistics for the bench: percentiles, medians, and grouping requests into poll ticks. */

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * Provider calls per job per poll tick: each job's calls are split into ticks wherever two calls
 * are further apart than `gapMs`. One poller per job (cluster-wide) never calls twice within a
 * tick, since its interval is at least min × (1 − jitter); duplicate pollers (one per subscriber,
 * or one per replica) show up as several calls per tick.
 */
export function callsPerTick(
  callTimes: Record<string, number[]>,
  gapMs: number,
): { calls: number; ticks: number; ratio: number } {
  let calls = 0;
  let ticks = 0;
  for (const times of Object.values(callTimes)) {
    const sorted = [...times].sort((a, b) => a - b);
    calls += sorted.length;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i]! - sorted[i - 1]! > gapMs) ticks++;
  }
  return { calls, ticks, ratio: ticks === 0 ? NaN : calls / ticks };
}
