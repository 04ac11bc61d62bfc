/**
 * Calibrating the p10–p90 interval of a network that has no held-out data of its own.
 *
 * The final ensemble is trained on every row up to the holdout, so nothing is left to check its
 * intervals on. The probe ensemble (same shape, same epochs, trained on the older rows) does have
 * validation rows. What carries over from probe to final is not the stretch factor itself (quantile heads
 * overfit by different amounts from one training run to the next: measured factors of 1.4–1.9 for the
 * same weekly data with different seeds) but how much tighter a network's interval is on the rows it
 * learned from than on new ones. So, per side:
 * 1. the probe's stretch s that makes 10% of validation actuals fall outside that side;
 * 2. the probe's miss rate m on its own training rows at that stretch (e.g. 4%);
 * 3. the final ensemble's stretch that gives the same miss rate m on its own training rows.
 * Stretches multiply the softplus gaps below p50 and above it (see architecture.ts).
 */
import { OUTPUTS_PER_STEP, softplus, type IntervalCalibration } from '../../models/forecast/architecture.ts';
import type { ForecastForward } from '../../models/forecast/forward.ts';
import type { SampleBlock } from './samples.ts';

/** Rows scored when measuring in-sample miss rates: enough for a rate, cheap in plain TypeScript. */
const MAX_SCORED_ROWS = 20_000;
const TARGET_MISS = 0.1;
const MIN_STRETCH = 0.2;
const MAX_STRETCH = 5;

export interface NeededStretches {
  /** per point, sorted: the stretch of the p10 gap that would just reach the actual (0 when at or above p50) */
  below: Float64Array;
  /** the same for the p90 gap */
  above: Float64Array;
}

/** Needed stretches of every point (up to MAX_SCORED_ROWS rows, evenly spaced) of a block, in scaled units. */
export function neededStretches(forward: ForecastForward, block: SampleBlock): NeededStretches {
  const features = forward.inputs;
  const H = forward.outputs / OUTPUTS_PER_STEP;
  const step = Math.max(1, Math.ceil(block.rows / MAX_SCORED_ROWS));
  const rows = Math.ceil(block.rows / step);
  const below = new Float64Array(rows * H);
  const above = new Float64Array(rows * H);
  const raw = new Float64Array(forward.outputs);
  let p = 0;
  for (let r = 0; r < block.rows; r += step) {
    forward.raw(block.x.subarray(r * features, (r + 1) * features), raw);
    for (let h = 0; h < H; h++) {
      const actual = block.y[r * H + h] as number;
      const mid = raw[h * OUTPUTS_PER_STEP] as number;
      const lowGap = softplus(raw[h * OUTPUTS_PER_STEP + 1] as number);
      const highGap = softplus(raw[h * OUTPUTS_PER_STEP + 2] as number);
      below[p] = actual < mid && lowGap > 0 ? (mid - actual) / lowGap : 0;
      above[p] = actual > mid && highGap > 0 ? (actual - mid) / highGap : 0;
      p++;
    }
  }
  return { below: below.subarray(0, p).sort(), above: above.subarray(0, p).sort() };
}

/** The smallest stretch leaving at most `miss` of the points outside (needed stretches sorted ascending). */
export function stretchFor(sorted: Float64Array, miss: number): number {
  if (sorted.length === 0) return 1;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((1 - miss) * sorted.length) - 1));
  return Math.min(MAX_STRETCH, Math.max(MIN_STRETCH, sorted[index] as number));
}

/** Share of points a stretch leaves outside. */
export function missRate(sorted: Float64Array, stretch: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= stretch) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length === 0 ? 0 : (sorted.length - lo) / sorted.length;
}

/** Calibration for a network scored on held-out rows directly (the probe). */
export function calibrateOn(validation: NeededStretches): IntervalCalibration {
  return { low: stretchFor(validation.below, TARGET_MISS), high: stretchFor(validation.above, TARGET_MISS) };
}

/**
 * The final network's calibration, transferred from the probe through in-sample miss rates (see the
 * module comment).
 */
export function transferCalibration(probeValidation: NeededStretches, probeTraining: NeededStretches, finalTraining: NeededStretches): IntervalCalibration {
  const probe = calibrateOn(probeValidation);
  const side = (probeTrain: Float64Array, finalTrain: Float64Array, stretch: number) => {
    // A floor on the rate: a side the probe never missed in-sample would otherwise ask for the widest stretch.
    const rate = Math.max(0.005, missRate(probeTrain, stretch));
    return stretchFor(finalTrain, rate);
  };
  return { low: side(probeTraining.below, finalTraining.below, probe.low), high: side(probeTraining.above, finalTraining.above, probe.high) };
}
