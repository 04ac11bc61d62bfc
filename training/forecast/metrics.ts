/**
 * Forecast accuracy, the same for the model and every baseline:
 * - WAPE: Σ|actual − p50| / Σ|actual| over every series and step (big series weigh more, as they do for stock);
 * - MASE: per series, the mean |actual − p50| over the horizon divided by the in-sample MAE of seasonal
 *   naive; averaged over the series where that MAE is not zero (a constant history has no scale);
 * - pinball loss at 0.1 / 0.5 / 0.9, averaged over every point (in units), and their mean;
 * - coverage_80: share of actuals with p10 ≤ actual ≤ p90 (the target is 0.8).
 * A metric with nothing to average over is NaN (JSON null).
 */
import type { QuantileForecast } from '../../models/forecast/quantiles.ts';
import { seasonalResiduals } from './baselines.ts';

export interface PinballLoss {
  p10: number;
  p50: number;
  p90: number;
  mean: number;
}

export interface Accuracy {
  wape: number;
  mase: number;
  coverage_80: number;
  pinball: PinballLoss;
}

/** Pinball (quantile) loss of one forecast `f` of quantile `q` for actual `a`. */
export function pinball(q: number, actual: number, forecast: number): number {
  const diff = actual - forecast;
  return diff >= 0 ? q * diff : (q - 1) * diff;
}

/** In-sample MAE of seasonal naive over a history: the MASE scale (0 when it cannot be computed). */
export function seasonalNaiveMae(history: ArrayLike<number>, season: number): number {
  const errors = seasonalResiduals(history, season);
  if (errors.length === 0) return 0;
  let sum = 0;
  for (const e of errors) sum += Math.abs(e);
  return sum / errors.length;
}

/** Sums over series as they come; `result()` turns them into metrics. */
export class AccuracyAccumulator {
  private absError = 0;
  private absActual = 0;
  private points = 0;
  private covered = 0;
  private readonly loss = { p10: 0, p50: 0, p90: 0 };
  private scaledErrorSum = 0;
  private scaledSeries = 0;

  /**
   * Adds one series: its actuals over the forecast steps, the forecast, and its MASE scale (the
   * seasonal-naive in-sample MAE of its history; 0 leaves it out of MASE).
   */
  add(actual: ArrayLike<number>, forecast: QuantileForecast, maseScale: number): void {
    let seriesAbsError = 0;
    for (let i = 0; i < actual.length; i++) {
      const a = actual[i] as number;
      const lo = forecast.p10[i] as number;
      const mid = forecast.p50[i] as number;
      const hi = forecast.p90[i] as number;
      seriesAbsError += Math.abs(a - mid);
      this.absActual += Math.abs(a);
      this.loss.p10 += pinball(0.1, a, lo);
      this.loss.p50 += pinball(0.5, a, mid);
      this.loss.p90 += pinball(0.9, a, hi);
      if (a >= lo && a <= hi) this.covered++;
    }
    this.absError += seriesAbsError;
    this.points += actual.length;
    if (maseScale > 0 && actual.length > 0) {
      this.scaledErrorSum += seriesAbsError / actual.length / maseScale;
      this.scaledSeries++;
    }
  }

  result(): Accuracy {
    const perPoint = (sum: number) => (this.points > 0 ? sum / this.points : Number.NaN);
    const p10 = perPoint(this.loss.p10);
    const p50 = perPoint(this.loss.p50);
    const p90 = perPoint(this.loss.p90);
    return {
      wape: this.absActual > 0 ? this.absError / this.absActual : Number.NaN,
      mase: this.scaledSeries > 0 ? this.scaledErrorSum / this.scaledSeries : Number.NaN,
      coverage_80: perPoint(this.covered),
      pinball: { p10, p50, p90, mean: (p10 + p50 + p90) / 3 },
    };
  }
}
