/**
 * Feature standardization: (x − mean) / std per column. Statistics are computed on the training range only
 * (the caller passes those rows) and travel in the model card; serving applies the same numbers.
 */
import type { Matrix } from './matrix.ts';

export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Per-column mean and population standard deviation over `m`. A constant column gets std 1 so it maps to 0
 * instead of dividing by zero (a one-hot level absent from the training range is such a column).
 */
export function fitStandardization(m: Matrix): Standardization {
  const { rows, cols, data } = m;
  if (rows === 0) throw new RangeError('cannot standardize an empty training range');
  const mean = new Float64Array(cols);
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c]! += data[r * cols + c]!;
  for (let c = 0; c < cols; c++) mean[c]! /= rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sq[c]! += (data[r * cols + c]! - mean[c]!) ** 2;
  const std = Array.from(sq, (s) => {
    const sd = Math.sqrt(s / rows);
    return sd > 1e-12 ? sd : 1;
  });
  return { mean: Array.from(mean), std };
}

/** Standardizes one row into `out` (which may be `raw` itself). */
export function standardizeRow(raw: ArrayLike<number>, s: Standardization, out: Float32Array | Float64Array): void {
  for (let c = 0; c < s.mean.length; c++) out[c] = ((raw[c] as number) - s.mean[c]!) / s.std[c]!;
}

/** A standardized copy of a whole matrix. */
export function standardizeMatrix(m: Matrix, s: Standardization): Matrix {
  if (m.cols !== s.mean.length) throw new RangeError(`matrix has ${m.cols} columns, standardization ${s.mean.length}`);
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) standardizeRow(m.data.subarray(r * m.cols, (r + 1) * m.cols), s, out.subarray(r * m.cols, (r + 1) * m.cols));
  return { data: out, rows: m.rows, cols: m.cols };
}
