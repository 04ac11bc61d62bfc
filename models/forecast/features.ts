/**
 * The forecast model's inputs, computed the same way for training rows and for serving: one function,
 * `writeFeatures`, from a series' history up to an origin period. Everything is divided by the series'
 * scale, so one network serves series selling 2 units a week and 2,000 a day.
 *
 * For an origin t (the last observed period) and horizon H the features are, in order:
 * - lag_1..lag_L: the last L values (lag_1 = y[t]);
 * - mean_w: rolling means over the last w periods, for each window;
 * - profile_1..profile_m (daily only): for the k-th period ahead, the mean of the same weekday over the
 *   last few weeks; aligned with the targets so the network need not learn to rotate a weekly pattern;
 * - day of week one-hot of the first target period (daily);
 * - with `yearly` only: year_1..year_H, the demand around each target's date one and two years back (52
 *   and 104 weeks, so weekdays line up), averaged over ±`yearSmoothing` periods and over the years
 *   available (one year-ago value is mostly noise; a small window of two years is a seasonal profile);
 *   the year-ago means just before and just after the origin's date; flags that one and two years of
 *   history exist (all year features are 0 without a full year, so the network never sees a half-filled
 *   window it was not trained on); two yearly harmonics (sin, cos) of the first target period;
 * - the share of zeros among the lags (intermittency) and how much history there is (0..1).
 * Values before the start of the history read as 0; scaled values are clipped to [0, clip] so that one
 * freak order (the 80,995-unit line in the UCI data) cannot saturate the network.
 *
 * `yearly` is decided when training starts: only with two years of history can a network tell a yearly
 * pattern from the particular events of one year (with one year, "late November" would mean "what
 * happened last December", a Christmas closure included).
 *
 * Scale: the mean over the last `scaleWindow` periods, counted from the series' first sale (a product
 * launched last month is not diluted by the months before it existed); when that window sold nothing,
 * the mean since the first sale. A history with no sale at all has scale 0 and is forecast as zeros.
 */
import { dayOfWeek, seasonLength, yearPhase, type Freq } from './calendar.ts';

export interface FeatureSpec {
  freq: Freq;
  horizon: number;
  /** 7 for daily, 52 for weekly */
  season: number;
  lags: number;
  windows: number[];
  /** weeks averaged into the weekday profile (daily); 0 = no profile */
  profileCycles: number;
  /** periods in a year, a whole number of weeks: 364 days or 52 weeks */
  year: number;
  scaleWindow: number;
  clip: number;
  /** year-ago and yearly-calendar features (see the module comment) */
  yearly: boolean;
  /** half-width of the window the year-ago values are averaged over */
  yearSmoothing: number;
  /**
   * periods the year-ago means before and after the origin's date cover: the horizon, at least four
   * weeks. Short on purpose: a year plus this much history is needed before any year feature is non-zero.
   */
  yearSpan: number;
}

/** The spec for a frequency and horizon, given how many periods of history training will see. */
export function defaultFeatureSpec(freq: Freq, horizon: number, periods = Infinity): FeatureSpec {
  const base =
    freq === 'day'
      ? { freq, horizon, season: seasonLength(freq), lags: 56, windows: [7, 28, 91, 364], profileCycles: 8, year: 364, yearSmoothing: 3, scaleWindow: 91, clip: 20 }
      : { freq, horizon, season: seasonLength(freq), lags: 26, windows: [4, 13, 26, 52], profileCycles: 0, year: 52, yearSmoothing: 1, scaleWindow: 26, clip: 20 };
  const yearSpan = Math.max(horizon, freq === 'day' ? 28 : 4);
  return { ...base, yearSpan, yearly: periods >= 2 * base.year + horizon };
}

function profileLength(spec: FeatureSpec): number {
  return spec.profileCycles > 0 ? spec.season : 0;
}

export function featureNames(spec: FeatureSpec): string[] {
  const names: string[] = [];
  for (let i = 1; i <= spec.lags; i++) names.push(`lag_${i}`);
  for (const w of spec.windows) names.push(`mean_${w}`);
  for (let k = 1; k <= profileLength(spec); k++) names.push(`profile_${k}`);
  if (spec.freq === 'day') for (let d = 0; d < 7; d++) names.push(`dow_${d}`);
  if (spec.yearly) {
    for (let h = 1; h <= spec.horizon; h++) names.push(`year_${h}`);
    names.push('year_before', 'year_after', 'has_year', 'has_two_years', 'year_sin1', 'year_cos1', 'year_sin2', 'year_cos2');
  }
  names.push('zero_share', 'history');
  return names;
}

export function featureCount(spec: FeatureSpec): number {
  return spec.lags + spec.windows.length + profileLength(spec) + (spec.freq === 'day' ? 7 : 0) + (spec.yearly ? spec.horizon + 8 : 0) + 2;
}

/**
 * The value fitting and features read for an actual: demand is never negative, so a period where returns
 * outweighed sales reads as 0 (the actuals keep the negative; metrics score against it).
 */
export function demandValue(actual: number): number {
  return actual > 0 ? actual : 0;
}

/** Index of the first non-zero value at or before `t`, or -1. */
export function firstSale(y: ArrayLike<number>, t: number): number {
  for (let i = 0; i <= t; i++) if ((y[i] as number) > 0) return i;
  return -1;
}

/** The series' scale at origin t (see the module comment); `first` is `firstSale(y, t)`. */
export function seriesScale(y: ArrayLike<number>, t: number, first: number, spec: FeatureSpec): number {
  if (first < 0 || first > t) return 0;
  const recent = windowMean(y, Math.max(first, t - spec.scaleWindow + 1), t);
  return recent > 0 ? recent : windowMean(y, first, t);
}

/** Mean of y[from..to] (inclusive), reading indices below 0 as absent. */
function windowMean(y: ArrayLike<number>, from: number, to: number): number {
  const start = Math.max(0, from);
  if (to < start) return 0;
  let sum = 0;
  for (let i = start; i <= to; i++) sum += y[i] as number;
  return sum / (to - start + 1);
}

/**
 * Writes the features of origin `t` into `out` from `offset`. `y` is the fitted history (no negatives),
 * `originDay` the epoch day of period t, `scale` > 0 from `seriesScale`. Values after t are never read.
 */
export function writeFeatures(y: ArrayLike<number>, t: number, originDay: number, spec: FeatureSpec, scale: number, out: Float32Array, offset: number): void {
  const inv = 1 / scale;
  const clip = spec.clip;
  const at = (i: number): number => (i >= 0 && i <= t ? Math.min(clip, (y[i] as number) * inv) : 0);
  let o = offset;

  let zeros = 0;
  for (let i = 0; i < spec.lags; i++) {
    const v = at(t - i);
    out[o++] = v;
    if (t - i >= 0 && v === 0) zeros++;
  }
  for (const w of spec.windows) out[o++] = Math.min(clip, windowMean(y, t - w + 1, t) * inv);

  const m = profileLength(spec);
  for (let k = 1; k <= m; k++) {
    let sum = 0;
    let count = 0;
    for (let j = 1; j <= spec.profileCycles; j++) {
      const i = t + k - m * j;
      if (i < 0) break;
      sum += at(i);
      count++;
    }
    out[o++] = count > 0 ? sum / count : 0;
  }

  const step = spec.freq === 'day' ? 1 : 7;
  const firstTarget = originDay + step;
  if (spec.freq === 'day') {
    const dow = dayOfWeek(firstTarget);
    for (let d = 0; d < 7; d++) out[o++] = d === dow ? 1 : 0;
  }
  const span = spec.yearSpan;
  if (spec.yearly) {
    const yearAgo = t - spec.year;
    const hasYear = yearAgo - span + 1 >= 0;
    const w = spec.yearSmoothing;
    for (let h = 1; h <= spec.horizon; h++) {
      let sum = 0;
      let count = 0;
      for (let k = 1; k <= 2 && hasYear; k++) {
        const centre = t + h - k * spec.year;
        if (centre - w < 0) break;
        for (let i = centre - w; i <= Math.min(t, centre + w); i++) {
          sum += at(i);
          count++;
        }
      }
      out[o++] = count > 0 ? sum / count : 0;
    }
    out[o++] = hasYear ? Math.min(clip, windowMean(y, yearAgo - span + 1, yearAgo) * inv) : 0;
    out[o++] = hasYear ? Math.min(clip, windowMean(y, yearAgo + 1, yearAgo + span) * inv) : 0;
    out[o++] = hasYear ? 1 : 0;
    out[o++] = hasYear && t + 1 - 2 * spec.year - w >= 0 ? 1 : 0;
    const phase = 2 * Math.PI * yearPhase(firstTarget);
    out[o++] = Math.sin(phase);
    out[o++] = Math.cos(phase);
    out[o++] = Math.sin(2 * phase);
    out[o++] = Math.cos(2 * phase);
  }
  const observed = Math.min(spec.lags, t + 1);
  out[o++] = observed > 0 ? zeros / observed : 0;
  out[o++] = Math.min(1, (t + 1) / (spec.year + span));
}
