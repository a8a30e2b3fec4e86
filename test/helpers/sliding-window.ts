/** Rate assertions: how many events a sliding window of time holds at most. */

/** The most of `times` (epoch or virtual ms, any order) within any interval [t, t + 1000). */
export function mostInAnySecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
