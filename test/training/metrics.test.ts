import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averagePrecision, bestF1, binaryMetrics, brierScore, calibrationCurve, prPoints, rocAuc, rocPoints } from '../../training/metrics.ts';

const close = (actual: number, expected: number, eps = 1e-12): void => assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);

test('ROC-AUC counts correctly ordered positive–negative pairs', () => {
  // Pairs (pos, neg): (0.8,0.1) ✓ (0.8,0.4) ✓ (0.35,0.1) ✓ (0.35,0.4) ✗ → 3/4, as in scikit-learn's docs example.
  close(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  close(rocAuc([0, 1], [0.2, 0.9]), 1);
  close(rocAuc([0, 1], [0.9, 0.2]), 0);
});

test('ROC-AUC gives tied scores half credit', () => {
  // pos {0.5, 0.9}, neg {0.5, 0.1}: (0.5,0.5) tie = ½, (0.5,0.1) 1, (0.9,0.5) 1, (0.9,0.1) 1 → 3.5/4.
  close(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]), 0.875);
  close(rocAuc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3]), 0.5);
});

test('average precision is Σ ΔR·P over thresholds', () => {
  // scikit-learn's example: y = [0,0,1,1], s = [0.1,0.4,0.35,0.8] → AP = 0.8333…
  // thresholds 0.8 (R ½, P 1), 0.4 (R ½, P ½), 0.35 (R 1, P ⅔), 0.1: AP = ½·1 + ½·⅔ = 5/6.
  close(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 5 / 6);
  // A tie across classes is one threshold: both rows enter together (R 1, P ½).
  close(averagePrecision([1, 0], [0.5, 0.5]), 0.5);
});

test('best F1 scans every threshold', () => {
  // y = [0,0,1,1], s = [0.1,0.4,0.35,0.8]: at 0.8 F1 = 2/3; at 0.4 F1 = ½; at 0.35 F1 = 2·2/(4+1) = 0.8; at 0.1 F1 = 2/3.
  const best = bestF1([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
  close(best.f1, 0.8);
  assert.equal(best.threshold, 0.35);
});

test('Brier score is the mean squared error of probabilities', () => {
  close(brierScore([1, 0, 1], [0.9, 0.2, 0.4]), (0.01 + 0.04 + 0.36) / 3);
  close(brierScore([0, 1], [0, 1]), 0);
});

test('calibration curve bins predictions into 10 equal-width bins', () => {
  const bins = calibrationCurve([0, 1, 1, 0, 1], [0.05, 0.15, 0.12, 0.95, 1]);
  assert.equal(bins.length, 10);
  assert.deepEqual(bins[0], { lo: 0, hi: 0.1, count: 1, meanPredicted: 0.05, fractionPositive: 0 });
  assert.equal(bins[1]!.count, 2);
  close(bins[1]!.meanPredicted!, 0.135);
  assert.equal(bins[1]!.fractionPositive, 1);
  assert.equal(bins[5]!.count, 0);
  assert.equal(bins[5]!.meanPredicted, null);
  // 1.0 falls in the last bin, not past it.
  assert.equal(bins[9]!.count, 2);
  close(bins[9]!.fractionPositive!, 0.5);
});

test('curves run from the origin to (1, 1) for ROC and start at recall 0 for PR', () => {
  const roc = rocPoints([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
  assert.deepEqual(roc[0], [0, 0]);
  assert.deepEqual(roc[roc.length - 1], [1, 1]);
  const pr = prPoints([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
  assert.deepEqual(pr[0], [0, 1]);
  assert.deepEqual(pr[pr.length - 1], [1, 0.5]);
});

test('metrics refuse a single class instead of returning NaN', () => {
  assert.throws(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), /both classes/);
  assert.throws(() => averagePrecision([0, 0], [0.1, 0.2]), /both classes/);
  assert.throws(() => binaryMetrics([0, 0], [0.1, 0.2]), /both classes/);
});
