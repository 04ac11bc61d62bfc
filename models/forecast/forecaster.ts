/**
 * Forecasts for one series from its history: features → forward pass → quantiles in units. The one path
 * from a trained network to numbers, used by serving (forecast refresh) and by training's evaluation, so
 * the accuracy in a model card is the accuracy of what serves.
 */
import { decodeQuantiles, type IntervalCalibration } from './architecture.ts';
import { demandValue, featureCount, firstSale, seriesScale, writeFeatures, type FeatureSpec } from './features.ts';
import type { ForecastForward } from './forward.ts';
import { zeroForecast, type QuantileForecast } from './quantiles.ts';

export class Forecaster {
  private readonly row: Float32Array;
  private readonly raw: Float64Array;

  constructor(
    readonly spec: FeatureSpec,
    readonly forward: ForecastForward,
    readonly calibration: IntervalCalibration,
  ) {
    if (forward.inputs !== featureCount(spec)) throw new RangeError(`the network takes ${forward.inputs} features, the spec gives ${featureCount(spec)}`);
    this.row = new Float32Array(forward.inputs);
    this.raw = new Float64Array(forward.outputs);
  }

  get horizon(): number {
    return this.spec.horizon;
  }

  /**
   * Quantiles for the `horizon` periods after the history. `history` holds actuals oldest first, one per
   * period with zeros for periods without sales (negatives are read as 0); `lastDay` is the epoch day of
   * its last period. A history without any sale is forecast as zeros.
   */
  forecast(history: ArrayLike<number>, lastDay: number, horizon = this.spec.horizon): QuantileForecast {
    if (!Number.isInteger(horizon) || horizon < 1 || horizon > this.spec.horizon) {
      throw new RangeError(`horizon must be 1..${this.spec.horizon} (the model's horizon)`);
    }
    const y = Float64Array.from(history, demandValue);
    const t = y.length - 1;
    const scale = t >= 0 ? seriesScale(y, t, firstSale(y, t), this.spec) : 0;
    const out = zeroForecast(this.spec.horizon);
    if (scale > 0) {
      writeFeatures(y, t, lastDay, this.spec, scale, this.row, 0);
      this.forward.raw(this.row, this.raw);
      decodeQuantiles(this.raw, this.spec.horizon, scale, this.calibration, out);
    }
    if (horizon === this.spec.horizon) return out;
    return { p10: out.p10.slice(0, horizon), p50: out.p50.slice(0, horizon), p90: out.p90.slice(0, horizon) };
  }
}
