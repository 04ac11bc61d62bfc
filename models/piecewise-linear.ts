/**
 * Piecewise-linear encoding of chosen numeric features (Gorishniy et al., "On Embeddings for Numerical
 * Features in Tabular Deep Learning", 2022): bin edges at quantiles of the training range; a value becomes
 * one column per bin, 0 below the bin, 1 above it, and the fraction of the way through inside it.
 *
 * Why: the features that decide a purchase (PageValues, ExitRates, durations) act through thresholds, which
 * trees find and a small MLP on the raw scale learns slowly. The encoded columns are appended after the
 * originals, so the network sees both. Edges are fitted on the training range only and saved in the card.
 */
import type { Matrix } from './matrix.ts';

export interface PiecewiseLinearEncoding {
  kind: 'piecewise-linear';
  /** Raw feature index and its ascending, distinct bin edges (bins = edges − 1). */
  columns: Array<{ column: number; edges: number[] }>;
}

export const NO_ENCODING: PiecewiseLinearEncoding = { kind: 'piecewise-linear', columns: [] };

/** Quantile edges of each chosen column over the rows of `m`; repeated quantiles (e.g. many zeros) merge. */
export function fitPiecewiseLinear(m: Matrix, columns: readonly number[], bins: number): PiecewiseLinearEncoding {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError('piecewise-linear encoding needs at least one bin');
  if (m.rows === 0) throw new RangeError('cannot fit bin edges on an empty training range');
  return {
    kind: 'piecewise-linear',
    columns: columns.map((column) => {
      if (!(column >= 0 && column < m.cols)) throw new RangeError(`column ${column} is outside the ${m.cols} features`);
      const values = Float64Array.from({ length: m.rows }, (_, r) => m.data[r * m.cols + column]!).sort();
      const edges: number[] = [];
      for (let q = 0; q <= bins; q++) {
        const v = values[Math.round((q / bins) * (values.length - 1))]!;
        if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
      }
      return { column, edges };
    }),
  };
}

/** Number of columns the encoding appends. */
export function encodedExtra(enc: PiecewiseLinearEncoding): number {
  return enc.columns.reduce((sum, c) => sum + Math.max(0, c.edges.length - 1), 0);
}

/** Names of the appended columns, e.g. `log1p(PageValues)∈bin3`. */
export function encodedNames(features: readonly string[], enc: PiecewiseLinearEncoding): string[] {
  return [...features, ...enc.columns.flatMap(({ column, edges }) => edges.slice(1).map((_, b) => `${features[column]}∈bin${b}`))];
}

/** Which raw feature each encoded column comes from (itself for the originals). */
export function encodedSources(inputs: number, enc: PiecewiseLinearEncoding): Uint32Array {
  const out = Uint32Array.from({ length: inputs + encodedExtra(enc) }, (_, i) => i);
  let k = inputs;
  for (const { column, edges } of enc.columns) for (let b = 1; b < edges.length; b++) out[k++] = column;
  return out;
}

/** Writes the raw row followed by its encoded columns into `out` (length inputs + extra). */
export function encodeRow(raw: ArrayLike<number>, enc: PiecewiseLinearEncoding, out: Float32Array | Float64Array): void {
  const n = raw.length;
  for (let i = 0; i < n; i++) out[i] = raw[i] as number;
  let k = n;
  for (const { column, edges } of enc.columns) {
    const v = raw[column] as number;
    for (let b = 1; b < edges.length; b++) {
      const lo = edges[b - 1]!;
      const hi = edges[b]!;
      out[k++] = v <= lo ? 0 : v >= hi ? 1 : (v - lo) / (hi - lo);
    }
  }
}

export function encodeMatrix(m: Matrix, enc: PiecewiseLinearEncoding): Matrix {
  const cols = m.cols + encodedExtra(enc);
  const data = new Float32Array(m.rows * cols);
  for (let r = 0; r < m.rows; r++) encodeRow(m.data.subarray(r * m.cols, (r + 1) * m.cols), enc, data.subarray(r * cols, (r + 1) * cols));
  return { data, rows: m.rows, cols };
}
