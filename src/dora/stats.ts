/**
 * The `q` quantile of `values` by linear interpolation between the closest ranks: the sorted
 * values' position `q·(n−1)`, as Prometheus' `quantile_over_time` and numpy's default do. So the
 * median of an even count is the mean of the two middle values, and p90 of 10 values lies a tenth
 * of the way from the 9th to the 10th. Null for no values.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const below = Math.floor(rank);
  const low = sorted[below] as number;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return low + (rank - below) * (high - low);
}

/** Milliseconds to seconds, keeping null. */
export function seconds(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}
