/**
 * Platt scaling: p = σ(a·z + b) over a model's raw logit z. Class weighting during training shifts and
 * stretches the logits on purpose (to learn the rare class), so the raw σ(z) is not a probability; two numbers
 * fitted on held-out data map it back. Monotone, so ranking metrics (ROC-AUC, PR-AUC) are unchanged.
 */

export interface PlattCalibration {
  method: 'platt';
  a: number;
  b: number;
}

export const IDENTITY_CALIBRATION: PlattCalibration = { method: 'platt', a: 1, b: 0 };

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function calibrate(logit: number, c: PlattCalibration): number {
  return sigmoid(c.a * logit + c.b);
}

/**
 * Fits (a, b) by Newton's method on the log-loss, with Platt's smoothed targets ((N₊+1)/(N₊+2) and
 * 1/(N₋+2) instead of 1 and 0) so that a separable validation slice cannot push a to infinity.
 * Deterministic: no random start, a fixed iteration cap, step halving when the loss does not fall.
 */
export function fitPlatt(logits: ArrayLike<number>, labels: ArrayLike<number>): PlattCalibration {
  const n = logits.length;
  if (n !== labels.length || n === 0) throw new RangeError('calibration needs equal, non-empty logits and labels');
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (n - positives + 2);
  const target = (i: number): number => (labels[i] === 1 ? hi : lo);

  const loss = (a: number, b: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = a * (logits[i] as number) + b;
      // log(1 + e^z) − t·z, written to stay finite for large |z|.
      sum += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - target(i) * z;
    }
    return sum;
  };

  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (let i = 0; i < n; i++) {
      const z = logits[i] as number;
      const p = sigmoid(a * z + b);
      const d = p - target(i);
      const w = Math.max(p * (1 - p), 1e-12);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    // A tiny ridge keeps the 2×2 system solvable when all logits are equal.
    haa += 1e-9;
    hbb += 1e-9;
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const improved = current - next;
    current = next;
    if (improved < 1e-10 * Math.max(1, Math.abs(current))) break;
  }
  return { method: 'platt', a, b };
}
