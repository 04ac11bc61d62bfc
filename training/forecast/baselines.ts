/**
 * The baselines every forecast is reported beside: seasonal naive, exponential smoothing and the
 * historical mean. Each gives p10/p50/p90: the point forecast plus the 10th and 90th percentiles of its own
 * in-sample errors, widened with the horizon the way the method's error grows (seasonal naive: √(seasons
 * ahead); smoothing: its variance factor; the mean: not at all). Empirical quantiles rather than a normal
 * interval because demand errors are skewed, and the model's coverage should be compared with an honest
 * interval of the same kind. Forecasts are clipped at zero: demand is never negative.
 *
 * Histories passed in are what fitting sees (`fitValue`: returns clipped to zero).
 */
import { quantileSorted } from 'simple-statistics';
import { zeroForecast, type QuantileForecast } from '../../models/forecast/quantiles.ts';
import { etsForecast, etsVarianceFactors, fitEts } from './exponential-smoothing.ts';

export type BaselineName = 'snaive' | 'ets' | 'mean';
export const BASELINE_NAMES: readonly BaselineName[] = ['snaive', 'ets', 'mean'];

/** A baseline: history (oldest first) → quantile forecasts for steps 1..horizon. */
export type Baseline = (history: Float64Array, horizon: number, season: number) => QuantileForecast;

export const BASELINES: Record<BaselineName, Baseline> = {
  snaive: seasonalNaive,
  ets: exponentialSmoothing,
  mean: historicalMean,
};

/** y_t − y_{t−m} for t ≥ m: the in-sample errors of seasonal naive (also the MASE scale). */
export function seasonalResiduals(history: ArrayLike<number>, season: number): Float64Array {
  const out = new Float64Array(Math.max(0, history.length - season));
  for (let t = season; t < history.length; t++) out[t - season] = (history[t] as number) - (history[t - season] as number);
  return out;
}

/** 10th and 90th percentiles of errors (0 when there are none). */
function errorBand(errors: Float64Array): { low: number; high: number } {
  if (errors.length === 0) return { low: 0, high: 0 };
  const sorted = Float64Array.from(errors).sort();
  const values = Array.from(sorted);
  return { low: quantileSorted(values, 0.1), high: quantileSorted(values, 0.9) };
}

/** Point forecasts with a band widened by `spread(h)` (h = 1..horizon), all clipped at zero. */
function withBand(points: Float64Array, errors: Float64Array, spread: (h: number) => number): QuantileForecast {
  const { low, high } = errorBand(errors);
  const out = zeroForecast(points.length);
  for (let i = 0; i < points.length; i++) {
    const point = points[i] as number;
    const width = spread(i + 1);
    out.p10[i] = Math.max(0, point + low * width);
    out.p50[i] = Math.max(0, point);
    out.p90[i] = Math.max(0, point + high * width);
  }
  return out;
}

/**
 * The value one season back. With less than a season of history it repeats the last value (naive), the
 * nearest thing that can be computed.
 */
export function seasonalNaive(history: Float64Array, horizon: number, season: number): QuantileForecast {
  const n = history.length;
  if (n === 0) return zeroForecast(horizon);
  const m = n >= season ? season : 1;
  const points = new Float64Array(horizon);
  for (let h = 1; h <= horizon; h++) points[h - 1] = history[n - m + ((h - 1) % m)] as number;
  return withBand(points, seasonalResiduals(history, m), (h) => Math.sqrt(Math.floor((h - 1) / m) + 1));
}

/** Holt-Winters / damped Holt / simple smoothing, whichever the history supports. */
export function exponentialSmoothing(history: Float64Array, horizon: number, season: number): QuantileForecast {
  const fit = fitEts(history, season);
  if (fit.kind === 'constant') return withBand(new Float64Array(horizon).fill(fit.level), new Float64Array(0), () => 1);
  const variance = etsVarianceFactors(fit, horizon);
  return withBand(etsForecast(fit, horizon), fit.residuals, (h) => Math.sqrt(variance[h - 1] as number));
}

/** The mean of the whole history; its band is the spread of the history around it. */
export function historicalMean(history: Float64Array, horizon: number): QuantileForecast {
  if (history.length === 0) return zeroForecast(horizon);
  let sum = 0;
  for (const value of history) sum += value;
  const average = sum / history.length;
  return withBand(new Float64Array(horizon).fill(average), history.map((value) => value - average), () => 1);
}
