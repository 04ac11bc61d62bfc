/**
 * Row splits for evaluation, all deterministic: stratified k-fold (seeded shuffle within each class, so
 * every fold keeps the class balance, as scikit-learn's StratifiedKFold(shuffle=True) does) and time splits
 * (the latest rows by a time key go to the later part; nothing of the later period is used before it).
 */
import { Rng } from '../datasets/random.ts';

export interface Fold {
  train: Uint32Array;
  test: Uint32Array;
}

export function shuffleInPlace<T extends { length: number; [i: number]: number }>(values: T, rng: Rng): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = values[i]!;
    values[i] = values[j]!;
    values[j] = t;
  }
  return values;
}

/** k folds; each row is in exactly one test part; class proportions match within one row per fold. */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError('k-fold needs k ≥ 2');
  const foldOf = new Uint8Array(labels.length);
  let offset = 0;
  for (const cls of [0, 1]) {
    const rows: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === cls) rows.push(i);
    if (rows.length < k) throw new RangeError(`k-fold with k=${k} needs at least ${k} rows of each class; class ${cls} has ${rows.length}`);
    shuffleInPlace(rows, new Rng(seed, cls));
    // Deal round-robin, continuing where the previous class stopped, so fold sizes differ by at most one.
    rows.forEach((r, j) => (foldOf[r] = (offset + j) % k));
    offset = (offset + rows.length) % k;
  }
  return Array.from({ length: k }, (_, f) => {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < labels.length; i++) (foldOf[i] === f ? test : train).push(i);
    return { train: Uint32Array.from(train), test: Uint32Array.from(test) };
  });
}

/**
 * Splits `rows` by time: the last `fraction` of them by `timeKey` (ties broken by row index) is `later`,
 * the rest `earlier`. Both keep time order.
 */
export function splitByTime(rows: ArrayLike<number>, timeKey: ArrayLike<number>, fraction: number): { earlier: Uint32Array; later: Uint32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError('the later fraction must be in (0, 1)');
  const sorted = Array.from(rows).sort((a, b) => (timeKey[a] as number) - (timeKey[b] as number) || a - b);
  const cut = Math.round(sorted.length * (1 - fraction));
  return { earlier: Uint32Array.from(sorted.slice(0, cut)), later: Uint32Array.from(sorted.slice(cut)) };
}
