/**
 * Training rows for the global forecast network: one row per (series, origin), features from
 * `writeFeatures` (the serving code) and targets = the next H values divided by the series' scale at that
 * origin. Only periods before `cut` are read: the caller passes the length of the fitting range, so
 * nothing from the holdout reaches features, targets or scales.
 *
 * Origins are split by time: validation rows are the last `validationOrigins` origins whose targets still
 * end inside the fitting range; training rows are the origins whose targets end before the first
 * validation target, so early stopping and interval calibration see errors on genuinely unseen periods.
 * Large sets are sub-sampled uniformly over (series, origin), seeded: at most `maxRows` training rows and
 * a quarter of that for validation.
 */
import { Rng } from '../../datasets/random.ts';
import { demandValue, featureCount, firstSale, seriesScale, writeFeatures, type FeatureSpec } from '../../models/forecast/features.ts';
import { periodDay, type SeriesSet } from './series.ts';

export interface SampleBlock {
  rows: number;
  /** [rows × features] */
  x: Float32Array;
  /** [rows × H], in units of each row's scale */
  y: Float32Array;
  /** loss weight per row */
  w: Float32Array;
}

export interface Samples {
  train: SampleBlock;
  validation: SampleBlock;
  /** candidate training origins before sub-sampling */
  candidates: number;
}

export interface SampleOptions {
  /** periods of every series usable for fitting (index `cut` and later are held out) */
  cut: number;
  /** at most this many training rows; more candidates are sub-sampled uniformly (seeded) */
  maxRows: number;
  /** origins per series held back for validation (0: none) */
  validationOrigins: number;
  /** row weight = scale^weightPower, normalised to mean 1: 1 weighs series by volume like WAPE, 0 equally */
  weightPower: number;
  seed: number;
}

function block(rows: number, features: number, horizon: number): SampleBlock {
  return { rows, x: new Float32Array(rows * features), y: new Float32Array(rows * horizon), w: new Float32Array(rows) };
}

export function buildSamples(set: SeriesSet, spec: FeatureSpec, options: SampleOptions): Samples {
  const H = spec.horizon;
  const { cut } = options;
  const lastOrigin = cut - 1 - H; // the last origin whose targets are all inside the fitting range
  const validationFirst = options.validationOrigins > 0 ? lastOrigin - options.validationOrigins + 1 : lastOrigin + 1;
  const trainLast = options.validationOrigins > 0 ? validationFirst - H : lastOrigin;

  const histories = set.series.map((s) => Float64Array.from(s.values.subarray(0, cut), demandValue));
  const firsts = histories.map((y) => firstSale(y, cut - 1));
  // Origins are drawn without listing them all first: 10k series × 2 years would be millions of objects.
  const trainRange = (series: number): [number, number] => [firsts[series] as number, trainLast];
  const validationRange = (series: number): [number, number] => [Math.max(firsts[series] as number, validationFirst), lastOrigin];
  const candidates = countOrigins(firsts, trainRange);
  const chosen = drawOrigins(firsts, trainRange, options.maxRows / Math.max(1, candidates), new Rng(options.seed, 0x5a3));
  const validationCandidates = countOrigins(firsts, validationRange);
  const validation = drawOrigins(firsts, validationRange, options.maxRows / 4 / Math.max(1, validationCandidates), new Rng(options.seed, 0x7a1));

  const fill = (origins: { series: Uint32Array; t: Uint32Array }): SampleBlock => {
    const features = featureCount(spec);
    const out = block(origins.t.length, features, H);
    origins.t.forEach((t, r) => {
      const y = histories[origins.series[r] as number] as Float64Array;
      const scale = seriesScale(y, t, firsts[origins.series[r] as number] as number, spec);
      writeFeatures(y, t, periodDay(set, t), spec, scale, out.x, r * features);
      for (let h = 1; h <= H; h++) out.y[r * H + h - 1] = (y[t + h] as number) / scale;
      out.w[r] = scale ** options.weightPower;
    });
    let sum = 0;
    for (const w of out.w) sum += w;
    const mean = sum / Math.max(1, out.rows);
    if (mean > 0) for (let r = 0; r < out.rows; r++) out.w[r] = (out.w[r] as number) / mean;
    return out;
  };
  return { train: fill(chosen), validation: fill(validation), candidates };
}

type OriginRange = (series: number) => [number, number];

function countOrigins(firsts: number[], range: OriginRange): number {
  let count = 0;
  firsts.forEach((first, series) => {
    if (first < 0) return;
    const [from, to] = range(series);
    count += Math.max(0, to - from + 1);
  });
  return count;
}

/** Each origin in range with probability `keep` (all of them when keep ≥ 1), in series then time order. */
function drawOrigins(firsts: number[], range: OriginRange, keep: number, rng: Rng): { series: Uint32Array; t: Uint32Array } {
  const series: number[] = [];
  const times: number[] = [];
  firsts.forEach((first, s) => {
    if (first < 0) return;
    const [from, to] = range(s);
    for (let t = from; t <= to; t++) {
      if (keep >= 1 || rng.float() < keep) {
        series.push(s);
        times.push(t);
      }
    }
  });
  return { series: Uint32Array.from(series), t: Uint32Array.from(times) };
}
