/**
 * A dense row-major matrix of float32 features: the one shape every model, baseline and metric in the engine
 * trades in. Float32 because that is what TF.js tensors and the serving forward pass hold.
 */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export function matrix(rows: number, cols: number, data = new Float32Array(rows * cols)): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`matrix data holds ${data.length} values, not ${rows}×${cols}`);
  return { data, rows, cols };
}

/** A copy of the given rows, in the given order. */
export function selectRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  const out = new Float32Array(rows.length * m.cols);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k] as number;
    out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols);
  }
  return { data: out, rows: rows.length, cols: m.cols };
}

/** A view of row `r` (no copy). */
export function row(m: Matrix, r: number): Float32Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}

/** Picks `values[i]` for each index: labels follow their rows through a split. */
export function pick<T extends Float32Array | Uint8Array | Float64Array>(values: T, indices: ArrayLike<number>): T {
  const out = new (values.constructor as new (n: number) => T)(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = values[indices[k] as number] as number;
  return out;
}
