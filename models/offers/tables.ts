/**
 * What a trained offers model is at serving time: tables over the training vocabulary, all typed arrays.
 *
 * - `vectors`: item embeddings (item2vec), `dim` floats per item, L2-normalized (cosine = dot product);
 * - `neighbors`: each item's nearest items by cosine (precomputed, up to `neighborCount`, best first; items
 *   too rare for a meaningful vector have none), as compressed rows with the cosine as weight;
 * - `cooc`: each item's strongest co-occurring items in training sessions (compressed rows), weights
 *   normalized by both items' frequencies;
 * - `bought`: each item's strongest bought-together items: purchase and cart co-occurrence of one subject's
 *   items (compressed rows, weights normalized like `cooc`); rows of items bought too rarely to say stay
 *   empty, and their candidates come from co-view (`cooc`) alone. Absent in versions trained before it.
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
  /** The most neighbours any item has. */
  neighborCount: number;
  neighbors: SparseRows;
  cooc: SparseRows;
  bought?: SparseRows;
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
  if (t.popularity.length !== n) fail('popularity does not match the item count');
  const rowTables: Array<readonly [string, SparseRows]> = [['co-occurrence', t.cooc], ['neighbor', t.neighbors]];
  if (t.bought) rowTables.push(['bought-together', t.bought]);
  for (const [what, rows] of rowTables) {
    const { offsets, columns, weights } = rows;
    if (offsets.length !== n + 1 || offsets[0] !== 0 || offsets[n] !== columns.length || columns.length !== weights.length) fail(`${what} rows do not match the item count`);
    for (let r = 0; r < n; r++) if (offsets[r + 1]! < offsets[r]!) fail(`${what} offsets decrease`);
    for (const c of columns) if (c >= n) fail(`a ${what} row names an item past the table`);
  }
  for (let r = 0; r < n; r++) if (t.neighbors.offsets[r + 1]! - t.neighbors.offsets[r]! > t.neighborCount) fail(`an item has more than ${t.neighborCount} neighbors`);
}
