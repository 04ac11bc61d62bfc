/** What every forecaster returns, model and baselines alike: three quantiles per horizon step 1..H. */

export const QUANTILE_LEVELS = [0.1, 0.5, 0.9] as const;

export interface QuantileForecast {
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
}

export function zeroForecast(horizon: number): QuantileForecast {
  return { p10: new Float64Array(horizon), p50: new Float64Array(horizon), p90: new Float64Array(horizon) };
}
