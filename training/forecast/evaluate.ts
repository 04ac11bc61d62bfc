/**
 * Scores the model and the baselines on one forecast origin: every series is cut at `cut`, each method
 * sees only the periods before it, and forecasts the next H, which are compared with the actuals
 * (negatives included: returns are part of what happened).
 */
import { seasonLength } from '../../models/forecast/calendar.ts';
import { demandValue } from '../../models/forecast/features.ts';
import type { Forecaster } from '../../models/forecast/forecaster.ts';
import type { QuantileForecast } from '../../models/forecast/quantiles.ts';
import { BASELINES, BASELINE_NAMES, type BaselineName } from './baselines.ts';
import { AccuracyAccumulator, seasonalNaiveMae, type Accuracy } from './metrics.ts';
import { periodDay, type SeriesSet } from './series.ts';

export type MethodName = 'model' | BaselineName;

export interface OriginEvaluation {
  /** index of the first forecast period */
  cut: number;
  horizon: number;
  accuracy: Partial<Record<MethodName, Accuracy>>;
  /** forecasts per method, one per series in set order (for charts) */
  forecasts: Partial<Record<MethodName, QuantileForecast[]>>;
}

export function evaluateOrigin(set: SeriesSet, cut: number, horizon: number, forecaster: Forecaster | undefined, onSeries?: () => void): OriginEvaluation {
  const season = seasonLength(set.freq);
  const methods: MethodName[] = forecaster ? ['model', ...BASELINE_NAMES] : [...BASELINE_NAMES];
  const accumulators = new Map(methods.map((m) => [m, new AccuracyAccumulator()]));
  const forecasts: Partial<Record<MethodName, QuantileForecast[]>> = Object.fromEntries(methods.map((m) => [m, []]));
  const lastDay = periodDay(set, cut - 1);
  for (const s of set.series) {
    const history = Float64Array.from(s.values.subarray(0, cut), demandValue);
    const actual = s.values.subarray(cut, cut + horizon);
    const scale = seasonalNaiveMae(history, season);
    for (const method of methods) {
      const forecast = method === 'model' ? (forecaster as Forecaster).forecast(history, lastDay, horizon) : BASELINES[method](history, horizon, season);
      accumulators.get(method)?.add(actual, forecast, scale);
      forecasts[method]?.push(forecast);
    }
    onSeries?.();
  }
  const accuracy = Object.fromEntries(methods.map((m) => [m, accumulators.get(m)?.result()]));
  return { cut, horizon, accuracy, forecasts };
}
