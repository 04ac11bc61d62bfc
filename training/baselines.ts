/**
 * Baselines every intent model is reported beside, trained on the same rows as the model:
 * - prior: every row gets the training positive rate (the score to beat at all; ROC-AUC 0.5);
 * - logistic regression: L2-regularized, on features standardized with the training rows' statistics, fitted
 *   by Newton's method (IRLS) with a Cholesky solve. Exact and deterministic — no learning rate, no random
 *   start — and d is small (≤ ~100), so a d×d solve per step is cheap.
 */
import { sigmoid } from '../models/calibration.ts';
import type { Matrix } from '../models/matrix.ts';
import { fitStandardization, standardizeMatrix, type Standardization } from '../models/standardize.ts';
import { requireBothClasses } from './single-class.ts';

export interface Scorer {
  name: string;
  /** Probabilities of the positive class, one per row. */
  predict(m: Matrix): Float32Array;
}

export function fitPrior(labels: ArrayLike<number>): Scorer & { rate: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  const rate = positives / labels.length;
  return { name: 'prior', rate, predict: (m) => new Float32Array(m.rows).fill(rate) };
}

export interface LogisticRegression extends Scorer {
  standardization: Standardization;
  /** Coefficients on standardized features. */
  weights: Float64Array;
  intercept: number;
  iterations: number;
}

export interface LogregOptions {
  /** Penalty λ in Σ log-loss + λ/2 ‖w‖² (scikit-learn's 1/C; its default C = 1). The intercept is not penalized. */
  l2?: number;
  maxIterations?: number;
  tolerance?: number;
}

export function fitLogisticRegression(x: Matrix, labels: ArrayLike<number>, options: LogregOptions = {}): LogisticRegression {
  const { l2 = 1, maxIterations = 100, tolerance = 1e-9 } = options;
  requireBothClasses(labels, 'logistic regression');
  const standardization = fitStandardization(x);
  const z = standardizeMatrix(x, standardization);
  const n = z.rows;
  const d = z.cols;
  const p = d + 1; // parameter d is the intercept
  const beta = new Float64Array(p);
  const margin = new Float64Array(n);

  const objective = (b: Float64Array): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let m = b[d]!;
      for (let c = 0; c < d; c++) m += z.data[i * d + c]! * b[c]!;
      const y = labels[i] as number;
      sum += Math.max(m, 0) + Math.log1p(Math.exp(-Math.abs(m))) - y * m;
    }
    for (let c = 0; c < d; c++) sum += (l2 / 2) * b[c]! ** 2;
    return sum;
  };

  let current = objective(beta);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const grad = new Float64Array(p);
    const hess = new Float64Array(p * p);
    for (let i = 0; i < n; i++) {
      const row = z.data.subarray(i * d, (i + 1) * d);
      let m = beta[d]!;
      for (let c = 0; c < d; c++) m += row[c]! * beta[c]!;
      margin[i] = m;
      const prob = sigmoid(m);
      const r = prob - (labels[i] as number);
      const w = Math.max(prob * (1 - prob), 1e-12);
      for (let a = 0; a < d; a++) {
        const xa = row[a]!;
        if (xa === 0) continue;
        grad[a]! += r * xa;
        const wa = w * xa;
        for (let b = 0; b <= a; b++) hess[a * p + b]! += wa * row[b]!;
        hess[d * p + a]! += wa;
      }
      grad[d]! += r;
      hess[d * p + d]! += w;
    }
    for (let a = 0; a < d; a++) {
      grad[a]! += l2 * beta[a]!;
      hess[a * p + a]! += l2;
    }
    // Mirror the lower triangle filled above.
    for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) hess[b * p + a] = hess[a * p + b]!;
    const step = choleskySolve(hess, grad, p);
    let scale = 1;
    let trial = beta.map((v, k) => v - step[k]!);
    let next = objective(trial);
    while (next > current && scale > 1e-8) {
      scale /= 2;
      trial = beta.map((v, k) => v - scale * step[k]!);
      next = objective(trial);
    }
    if (next > current) break;
    beta.set(trial);
    const gain = current - next;
    current = next;
    if (gain <= tolerance * Math.max(1, current)) {
      iterations++;
      break;
    }
  }

  const weights = beta.slice(0, d);
  const intercept = beta[d]!;
  return {
    name: 'logreg',
    standardization,
    weights,
    intercept,
    iterations,
    predict(m: Matrix): Float32Array {
      const s = standardizeMatrix(m, standardization);
      const out = new Float32Array(m.rows);
      for (let i = 0; i < m.rows; i++) {
        let v = intercept;
        for (let c = 0; c < d; c++) v += s.data[i * d + c]! * weights[c]!;
        out[i] = sigmoid(v);
      }
      return out;
    },
  };
}

/** Solves A·x = b for symmetric positive-definite A (row-major p×p). */
export function choleskySolve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * p + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        // A tiny floor: a column that is constant in the training rows leaves only the ridge on its diagonal.
        l[i * p + i] = Math.sqrt(Math.max(sum, 1e-12));
      } else {
        l[i * p + j] = sum / l[j * p + j]!;
      }
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * p + k]! * y[k]!;
    y[i] = sum / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < p; k++) sum -= l[k * p + i]! * x[k]!;
    x[i] = sum / l[i * p + i]!;
  }
  return x;
}
