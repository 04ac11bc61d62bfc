/**
 * The forecast network's shape and the meaning of its outputs, shared by the TF.js builder (training) and
 * the pure-TypeScript forward pass (serving), so a weight file fits both or neither.
 *
 * An ensemble of MLPs over the scaled features; the ensemble's raw output is the mean of its members'.
 * Each member outputs 3 numbers per horizon step h: the median, and two gaps that softplus makes
 * positive, so the quantiles can never cross: p10 = z₀ − softplus(z₁), p50 = z₀, p90 = z₀ + softplus(z₂).
 * Everything is in units of the series' scale; `decodeQuantiles` maps back to units.
 */
import type { QuantileForecast } from './quantiles.ts';

export interface ForecastArchitecture {
  kind: 'quantile-mlp-ensemble';
  inputs: number;
  horizon: number;
  hidden: number[];
  members: number;
}

/** Interval widths from held-out calibration: the p10 and p90 gaps are multiplied by these. */
export interface IntervalCalibration {
  low: number;
  high: number;
}

export const NO_CALIBRATION: IntervalCalibration = { low: 1, high: 1 };

export const OUTPUTS_PER_STEP = 3;

export function memberLayerNames(arch: ForecastArchitecture, k: number): { hidden: string[]; out: string } {
  return { hidden: arch.hidden.map((_, j) => `m${k}_hidden${j}`), out: `m${k}_out` };
}

export function validateArchitecture(arch: ForecastArchitecture): void {
  if (arch.kind !== 'quantile-mlp-ensemble') throw new RangeError(`unknown forecast architecture '${String(arch.kind)}'`);
  for (const [name, value] of Object.entries({ inputs: arch.inputs, horizon: arch.horizon, members: arch.members })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`architecture ${name} must be a positive integer`);
  }
  if (!arch.hidden.every((h) => Number.isInteger(h) && h >= 1)) throw new RangeError('hidden layer widths must be positive integers');
}

/** softplus(x) = ln(1 + eˣ), without overflow for large x. */
export function softplus(x: number): number {
  return x > 30 ? x : Math.log1p(Math.exp(x));
}

/**
 * Raw network outputs (3 per step, scaled units) → quantiles in units, clipped at zero (demand is never
 * negative), written into `out` at `[0, horizon)`.
 */
export function decodeQuantiles(raw: ArrayLike<number>, horizon: number, scale: number, calibration: IntervalCalibration, out: QuantileForecast): void {
  for (let h = 0; h < horizon; h++) {
    const mid = raw[h * OUTPUTS_PER_STEP] as number;
    const below = softplus(raw[h * OUTPUTS_PER_STEP + 1] as number) * calibration.low;
    const above = softplus(raw[h * OUTPUTS_PER_STEP + 2] as number) * calibration.high;
    out.p10[h] = Math.max(0, (mid - below) * scale);
    out.p50[h] = Math.max(0, mid * scale);
    out.p90[h] = Math.max(0, (mid + above) * scale);
  }
}
