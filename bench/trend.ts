/**
 * Growth over a run from per-minute figures, robust to single bad minutes. A soak's per-minute RSS and p99
 * on a shared machine move ±10–30 % minute to minute (a collection cycle, a broker fsync, the load generator
 * taking the core), so first-minute vs last-minute compares two noisy points. The Theil–Sen line (slope: the
 * median of the slopes between every pair of minutes; intercept: the median of y − slope·x) is the standard
 * robust trend: up to ~29 % of the minutes can be outliers without moving it. Growth is that line's change
 * from the first measured minute to the last, relative to its value at the first.
 */
export interface Trend {
  slopePerMinute: number;
  /** the line's value at the first and at the last minute */
  first: number;
  last: number;
  growthPct: number;
}

const median = (values: number[]): number => {
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function theilSenTrend(minutes: readonly number[], values: readonly number[]): Trend {
  if (minutes.length !== values.length || minutes.length === 0) throw new RangeError('a trend needs as many values as minutes, at least one');
  const slopes: number[] = [];
  for (let i = 0; i < minutes.length; i++) {
    for (let j = i + 1; j < minutes.length; j++) if (minutes[j] !== minutes[i]) slopes.push((values[j]! - values[i]!) / (minutes[j]! - minutes[i]!));
  }
  const slope = slopes.length ? median(slopes) : 0;
  const intercept = median(values.map((v, i) => v - slope * minutes[i]!));
  const first = intercept + slope * minutes[0]!;
  const last = intercept + slope * minutes[minutes.length - 1]!;
  return { slopePerMinute: slope, first, last, growthPct: +((100 * (last - first)) / Math.max(Math.abs(first), 1e-9)).toFixed(1) };
}
