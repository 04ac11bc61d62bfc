/**
 * item2vec (Barkan & Koenigstein 2016): skip-gram with negative sampling over sessions.
 *
 * Two tables of `dim` floats per item: input vectors (what an item means as context) and output vectors
 * (what predicts it). For a pair (center c, context o) seen in a session and K items n drawn from the
 * unigram^0.75 distribution, the loss is
 *
 *   softplus(−u_c · v_o) + Σ_n softplus(u_c · v_n)
 *
 * TF.js computes the batch loss and its gradients with respect to the batch's rows; the rows are then
 * updated in place with Adagrad. Why the tables are not TF.js variables updated by an
 * optimizer: the gradient of `gather` needs the UnsortedSegmentSum kernel, which the wasm backend (our
 * default without tfjs-node) lacks, and a dense update touches every row (O(items · dim)) for a batch that
 * touches a few thousand: on the Taobao sample (~33k items) a dense-update version took about 5× as long
 * per epoch, measured.
 *
 * The Adagrad updates run in a WebAssembly kernel (adagrad.wat) whose memory holds the four tables: float64
 * lanes two at a time, the same arithmetic as the TypeScript loop it replaced, bit for bit (a test holds
 * them equal), ~2× faster; the update was 40 % of a fit.
 *
 * The exported embedding is the input table, L2-normalized (word2vec's choice). Initialization follows
 * word2vec (inputs uniform in ±0.5/dim, outputs zero), seeded.
 */
import type * as TF from '@tensorflow/tfjs';
import { instantiateWasm, Layout, MAX_KERNEL_BYTES, type WasmMemory } from '../wasm-kernels.ts';

interface AdagradKernel {
  memory: WasmMemory;
  update(table: number, squares: number, rows: number, count: number, grads: number, dim: number, learningRate: number, epsilon: number): void;
}

export interface Item2VecTables {
  items: number;
  dim: number;
  input: Float32Array;
  output: Float32Array;
  /** Adagrad's running sums of squared gradients, per table entry. */
  inputSquares: Float32Array;
  outputSquares: Float32Array;
  /**
   * The Adagrad kernel (adagrad.wat), whose memory holds the four tables above (they are views of it) and
   * room for one update's rows and gradients (`batchRows` of them).
   */
  adagrad: { kernel: AdagradKernel; at: { input: number; output: number; inputSquares: number; outputSquares: number; rows: number; grads: number }; batchRows: number };
}

/** `batchRows`: the most rows one update applies (the larger of a batch's centers and its negatives: batch size × max(1, negatives)). */
export function initItem2Vec(tf: typeof TF, items: number, dim: number, seed: number, batchRows: number): Item2VecTables {
  const layout = new Layout();
  const at = {
    input: layout.floats(items * dim),
    output: layout.floats(items * dim),
    inputSquares: layout.floats(items * dim),
    outputSquares: layout.floats(items * dim),
    rows: layout.floats(batchRows),
    grads: layout.floats(batchRows * dim),
  };
  if (layout.bytes > MAX_KERNEL_BYTES) {
    throw new RangeError(`item2vec's tables for ${items} items × ${dim} dimensions need ${(layout.bytes / 2 ** 30).toFixed(1)} GiB; its kernel's memory holds 4 GiB (fewer dimensions fit more items)`);
  }
  const kernel = instantiateWasm<AdagradKernel>(new URL('./adagrad.wasm', import.meta.url), layout.bytes);
  const view = (offset: number): Float32Array => new Float32Array(kernel.memory.buffer, offset, items * dim);
  const input = view(at.input);
  const bound = 0.5 / dim;
  // not inside tidy: tidy walks a returned typed array element by element (a second per 10^5 items)
  const drawn = tf.randomUniform([items, dim], -bound, bound, 'float32', seed);
  input.set(drawn.dataSync() as Float32Array);
  drawn.dispose();
  // a fresh memory is zeroed: the output table and the squares start at 0
  return { items, dim, input, output: view(at.output), inputSquares: view(at.inputSquares), outputSquares: view(at.outputSquares), adagrad: { kernel, at, batchRows } };
}

/** Mean skip-gram negative-sampling loss of a batch, from its rows: u [B, d], v [B, d], vn [B, K, d]. */
export function item2vecLoss(tf: typeof TF, u: TF.Tensor2D, v: TF.Tensor2D, vn: TF.Tensor3D): TF.Scalar {
  return tf.tidy(() => {
    const positive = tf.sum(tf.mul(u, v), -1); // [B]
    const negative = tf.sum(tf.mul(tf.expandDims(u, 1), vn), -1); // [B, K]
    return tf.mean(tf.add(tf.softplus(tf.neg(positive)), tf.sum(tf.softplus(negative), -1))) as TF.Scalar;
  });
}

export interface BatchRows {
  centers: Int32Array;
  contexts: Int32Array;
  /** K per pair, pair-major. */
  negatives: Int32Array;
}

/**
 * The batch's mean loss and the loss's gradients with respect to each pair's rows, summed per pair (not
 * averaged: each pair moves its rows as in word2vec). Closed form, in TF.js ops:
 *   ∂/∂u = (σ(u·v) − 1)·v + Σ_n σ(u·v_n)·v_n,   ∂/∂v = (σ(u·v) − 1)·u,   ∂/∂v_n = σ(u·v_n)·u
 * A test holds them equal to TF.js autodiff (`tf.grads`) of `item2vecLoss`; autodiff itself took about 2–3×
 * as long per batch of 1,024 pairs on the wasm backend (4.5 ms against 1.3–2.7 ms, measured).
 */
export function item2vecGradients(tf: typeof TF, u: TF.Tensor2D, v: TF.Tensor2D, vn: TF.Tensor3D): { loss: TF.Scalar; gu: TF.Tensor2D; gv: TF.Tensor2D; gvn: TF.Tensor3D } {
  return tf.tidy(() => {
    const ue = tf.expandDims(u, 1); // [B, 1, d]
    const positive = tf.sum(tf.mul(u, v), -1, true); // [B, 1]
    const negative = tf.sum(tf.mul(ue, vn), -1, true); // [B, K, 1]
    const loss = tf.mean(tf.add(tf.squeeze(tf.softplus(tf.neg(positive)), [1]), tf.sum(tf.softplus(negative), [1, 2]))) as TF.Scalar;
    const gp = tf.sub(tf.sigmoid(positive), 1); // [B, 1]
    const gn = tf.sigmoid(negative); // [B, K, 1]
    const gu = tf.add(tf.mul(gp, v), tf.sum(tf.mul(gn, vn), 1)) as TF.Tensor2D;
    const gv = tf.mul(gp, u) as TF.Tensor2D;
    const gvn = tf.mul(gn, ue) as TF.Tensor3D;
    return { loss, gu, gv, gvn };
  });
}

/**
 * One training step on a batch: gathers its rows, lets TF.js compute the loss and the gradients with
 * respect to every gathered row, and applies Adagrad to the rows (in batch order, so repeats of a row in
 * one batch all count). Returns the loss before the step.
 */
export function item2vecStep(tf: typeof TF, tables: Item2VecTables, batch: BatchRows, learningRate: number): number {
  const { dim } = tables;
  const b = batch.centers.length;
  const k = batch.negatives.length / b;
  // tidy returns tensors, never typed arrays: it walks what it returns element by element.
  const g = tf.tidy(() => {
    const u = tf.tensor2d(gatherRows(tables.input, batch.centers, dim), [b, dim]);
    const v = tf.tensor2d(gatherRows(tables.output, batch.contexts, dim), [b, dim]);
    const vn = tf.tensor3d(gatherRows(tables.output, batch.negatives, dim), [b, k, dim]);
    return item2vecGradients(tf, u, v, vn);
  });
  const loss = g.loss.dataSync()[0]!;
  const gu = g.gu.dataSync() as Float32Array;
  const gv = g.gv.dataSync() as Float32Array;
  const gvn = g.gvn.dataSync() as Float32Array;
  tf.dispose([g.loss, g.gu, g.gv, g.gvn]);
  adagradRows(tables, 'input', batch.centers, gu, learningRate);
  adagradRows(tables, 'output', batch.contexts, gv, learningRate);
  adagradRows(tables, 'output', batch.negatives, gvn, learningRate);
  return loss;
}

export function gatherRows(table: Float32Array, rows: Int32Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  // an element loop: a subarray per row (an object each) cost more than the copy
  for (let r = 0, w = 0; r < rows.length; r++) for (let o = rows[r]! * dim, end = o + dim; o < end; o++) out[w++] = table[o]!;
  return out;
}

const ADAGRAD_EPSILON = 1e-8;

/**
 * Adagrad on the listed rows of one table, in list order (a row listed twice gets both updates):
 * squares += g², value −= lr·g / (√squares + ε), computed in float64 and stored as float32, in the kernel.
 */
function adagradRows(tables: Item2VecTables, which: 'input' | 'output', rows: Int32Array, grads: Float32Array, learningRate: number): void {
  const { kernel, at, batchRows } = tables.adagrad;
  if (rows.length > batchRows) throw new RangeError(`an update of ${rows.length} rows; the kernel holds ${batchRows}`);
  const memory = kernel.memory.buffer;
  new Int32Array(memory, at.rows, rows.length).set(rows);
  new Float32Array(memory, at.grads, grads.length).set(grads);
  const squares = which === 'input' ? at.inputSquares : at.outputSquares;
  kernel.update(at[which], squares, at.rows, rows.length, at.grads, tables.dim, learningRate, ADAGRAD_EPSILON);
}

/** The input table, each row L2-normalized (an all-zero row stays zero). */
export function normalizedVectors(values: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let o = 0; o < values.length; o += dim) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += values[o + d]! * values[o + d]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let d = 0; d < dim; d++) out[o + d] = values[o + d]! / norm;
  }
  return out;
}
