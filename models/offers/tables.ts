/**
 * What a trained offers model is at serving time: tables over the training vocabulary, all typed arrays.
 *
 * - `vectors`: item embeddings (item2vec), `dim` floats per item, L2-normalized (cosine = dot product);
 * - `neighbors`: each item's `neighborCount` nearest items by cosine (precomputed; −1 pads short rows);
 * - `cooc`: each item's strongest co-occurring items in training sessions (compressed rows), weights
 *   normalized by both items' frequencies;
 * - `popularity`: training steps per item.
 *
 * One ranking (ranker.ts) reads them, in evaluation and in serving.
 */

export interface SparseRows {
  /** Row r spans `offsets[r] … offsets[r + 1]`. */
  offsets: Uint32Array;
  columns: Uint32Array;
  weights: Float32Array;
}

export interface OfferTables {
  /** Table index → item id. */
  items: string[];
  dim: number;
  vectors: Float32Array;
  neighborCount: number;
  neighbors: Int32Array;
  neighborScores: Float32Array;
  cooc: SparseRows;
  popularity: Float32Array;
}

/** Item id → table index. */
export function itemIndex(tables: Pick<OfferTables, 'items'>): Map<string, number> {
  return new Map(tables.items.map((id, i) => [id, i]));
}

/** Builds compressed rows from per-row (column, weight) lists. */
export function sparseRows(rows: ReadonlyArray<ReadonlyArray<readonly [number, number]>>): SparseRows {
  const offsets = new Uint32Array(rows.length + 1);
  rows.forEach((row, r) => (offsets[r + 1] = offsets[r]! + row.length));
  const columns = new Uint32Array(offsets[rows.length]!);
  const weights = new Float32Array(offsets[rows.length]!);
  rows.forEach((row, r) =>
    row.forEach(([c, w], k) => {
      columns[offsets[r]! + k] = c;
      weights[offsets[r]! + k] = w;
    }),
  );
  return { offsets, columns, weights };
}

/** Checks the tables agree with each other; throws naming the first disagreement. */
export function checkTables(t: OfferTables): void {
  const n = t.items.length;
  const fail = (what: string): never => {
    throw new RangeError(`offers tables: ${what}`);
  };
  if (t.vectors.length !== n * t.dim) fail(`vectors hold ${t.vectors.length} floats, expected ${n} × ${t.dim}`);
  if (t.neighbors.length !== n * t.neighborCount || t.neighborScores.length !== n * t.neighborCount) fail('neighbor rows do not match the item count');
  if (t.popularity.length !== n) fail('popularity does not match the item count');
  const { offsets, columns, weights } = t.cooc;
  if (offsets.length !== n + 1 || offsets[n] !== columns.length || columns.length !== weights.length) fail('co-occurrence rows do not match the item count');
  for (let r = 0; r < n; r++) if (offsets[r + 1]! < offsets[r]!) fail('co-occurrence offsets decrease');
  for (const c of columns) if (c >= n) fail('co-occurrence names an item past the table');
  for (const c of t.neighbors) if (c >= n || c < -1) fail('a neighbor row names an item past the table');
}
