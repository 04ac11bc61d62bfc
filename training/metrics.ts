/**
 * Binary-classification metrics for scores and probabilities: ROC-AUC, PR-AUC (average precision), best F1,
 * Brier score and a calibration curve, plus the curves the report plots.
 *
 * Every ranking metric walks one sort of the scores, grouping tied scores into a single threshold: a tie is
 * one step of the curve (a diagonal segment of ROC), never an arbitrary order. The definitions match
 * scikit-learn's `roc_auc_score`, `average_precision_score` and `brier_score_loss`, so our numbers compare
 * with published tables.
 */

export interface CurvePoint {
  /** Scores ≥ threshold are called positive. */
  threshold: number;
  tp: number;
  fp: number;
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean predicted probability in the bin; null when the bin is empty. */
  meanPredicted: number | null;
  /** Observed fraction of positives in the bin; null when the bin is empty. */
  fractionPositive: number | null;
}

export interface BinaryMetrics {
  roc_auc: number;
  pr_auc: number;
  f1: number;
  /** The threshold that gives `f1`. */
  f1_threshold: number;
  brier: number;
}

/** Counts of positives and negatives; throws when one class is missing (every ranking metric is undefined then). */
export function classCounts(labels: ArrayLike<number>): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const negatives = labels.length - positives;
  return { positives, negatives };
}

function requireBothClasses(labels: ArrayLike<number>, scores: ArrayLike<number>): { positives: number; negatives: number } {
  if (labels.length !== scores.length) throw new RangeError(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
  const counts = classCounts(labels);
  if (counts.positives === 0 || counts.negatives === 0) {
    throw new RangeError('ranking metrics need both classes; the labels hold only one');
  }
  return counts;
}

/**
 * One point per distinct score, from the highest threshold down: cumulative true and false positives when
 * every score ≥ threshold is called positive.
 */
export function thresholdCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): CurvePoint[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const points: CurvePoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (labels[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) points.push({ threshold: scores[i] as number, tp, fp });
  }
  return points;
}

/** Area under the ROC curve; tied scores count one half (trapezoids over threshold groups). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives, negatives } = requireBothClasses(labels, scores);
  let area = 0;
  let tpPrev = 0;
  let fpPrev = 0;
  for (const { tp, fp } of thresholdCurve(labels, scores)) {
    area += ((fp - fpPrev) * (tp + tpPrev)) / 2;
    tpPrev = tp;
    fpPrev = fp;
  }
  return area / (positives * negatives);
}

/** Average precision: Σ (Rₙ − Rₙ₋₁)·Pₙ over thresholds, the step-wise PR-AUC (no interpolation). */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { positives } = requireBothClasses(labels, scores);
  let ap = 0;
  let recallPrev = 0;
  for (const { tp, fp } of thresholdCurve(labels, scores)) {
    const recall = tp / positives;
    ap += (recall - recallPrev) * (tp / (tp + fp));
    recallPrev = recall;
  }
  return ap;
}

/** The highest F1 over all thresholds (scores ≥ threshold are positive), and that threshold. */
export function bestF1(labels: ArrayLike<number>, scores: ArrayLike<number>): { f1: number; threshold: number } {
  const { positives } = requireBothClasses(labels, scores);
  let best = { f1: 0, threshold: Number.POSITIVE_INFINITY };
  for (const { threshold, tp, fp } of thresholdCurve(labels, scores)) {
    const f1 = (2 * tp) / (2 * tp + fp + (positives - tp));
    if (f1 > best.f1) best = { f1, threshold };
  }
  return best;
}

/** Mean squared difference between predicted probability and outcome. */
export function brierScore(labels: ArrayLike<number>, probabilities: ArrayLike<number>): number {
  if (labels.length !== probabilities.length || labels.length === 0) throw new RangeError('brier score needs equal, non-empty inputs');
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += ((probabilities[i] as number) - (labels[i] as number)) ** 2;
  return sum / labels.length;
}

/** Reliability diagram on equal-width bins over [0, 1]; the last bin includes 1. */
export function calibrationCurve(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i] as number;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]!++;
    sumP[b]! += p;
    sumY[b]! += labels[i] as number;
  }
  return count.map((n, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: n,
    meanPredicted: n === 0 ? null : sumP[b]! / n,
    fractionPositive: n === 0 ? null : sumY[b]! / n,
  }));
}

/** ROC-AUC, PR-AUC, best F1 and Brier score of probabilities against labels. */
export function binaryMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>): BinaryMetrics {
  const f1 = bestF1(labels, probabilities);
  return {
    roc_auc: rocAuc(labels, probabilities),
    pr_auc: averagePrecision(labels, probabilities),
    f1: f1.f1,
    f1_threshold: f1.threshold,
    brier: brierScore(labels, probabilities),
  };
}

/** ROC curve points (fpr, tpr) from (0, 0) to (1, 1), for plotting. */
export function rocPoints(labels: ArrayLike<number>, scores: ArrayLike<number>): Array<[number, number]> {
  const { positives, negatives } = requireBothClasses(labels, scores);
  return [[0, 0], ...thresholdCurve(labels, scores).map(({ tp, fp }): [number, number] => [fp / negatives, tp / positives])];
}

/** Precision–recall curve points (recall, precision), from the highest threshold down, for plotting. */
export function prPoints(labels: ArrayLike<number>, scores: ArrayLike<number>): Array<[number, number]> {
  const { positives } = requireBothClasses(labels, scores);
  const curve = thresholdCurve(labels, scores).map(({ tp, fp }): [number, number] => [tp / positives, tp / (tp + fp)]);
  return [[0, curve[0]?.[1] ?? 1], ...curve];
}
