/**
 * item2vec: the closed-form gradients equal TF.js autodiff of the loss; training is deterministic per seed;
 * items that share sessions end up closer than items that never do; items without a pair get no vector.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../datasets/random.ts';
import { item2vecGradients, item2vecLoss } from '../../models/offers/item2vec.ts';
import { tfBackend } from '../../models/tf-backend.ts';
import { fitItem2Vec, skipGramPairs, type Item2VecOptions } from '../../training/offers/fit-item2vec.ts';

test('closed-form gradients equal tf.grads of the loss', async () => {
  const { tf } = await tfBackend();
  const [b, k, d] = [6, 3, 4];
  const rng = new Rng(3);
  const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.between(-1, 1));
  const u = tf.tensor2d(values(b * d), [b, d]);
  const v = tf.tensor2d(values(b * d), [b, d]);
  const vn = tf.tensor3d(values(b * k * d), [b, k, d]);
  const auto = tf.grads((a: any, c: any, n: any) => item2vecLoss(tf, a, c, n))([u, v, vn]);
  const closed = item2vecGradients(tf, u, v, vn);
  // Closed form is per pair (summed); autodiff differentiates the mean: scale by the batch size.
  for (const [got, want] of [
    [closed.gu, auto[0]!],
    [closed.gv, auto[1]!],
    [closed.gvn, auto[2]!],
  ] as const) {
    const g = got.dataSync();
    const w = tf.mul(want, b).dataSync();
    assert.equal(g.length, w.length);
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i]! - w[i]!) < 1e-5, `entry ${i}: ${g[i]} vs ${w[i]}`);
  }
  assert.ok(Math.abs(closed.loss.dataSync()[0]! - item2vecLoss(tf, u, v, vn).dataSync()[0]!) < 1e-6);
  tf.dispose([u, v, vn, ...auto, closed.gu, closed.gv, closed.gvn, closed.loss]);
});

test('skip-gram pairs: every pair within the window, both directions', () => {
  const { centers, contexts } = skipGramPairs([Int32Array.from([0, 1, 2]), Int32Array.from([3])], 1);
  const pairs = Array.from(centers, (c, i) => `${c}>${contexts[i]}`);
  assert.deepEqual(pairs, ['0>1', '1>0', '1>2', '2>1']);
});

/** Mean cosine of the corpus's item pairs within a cluster and across the two (vectors are normalized). */
function clusterCosines(vectors: Float32Array): { within: number; across: number } {
  const cos = (a: number, b: number): number => {
    let dot = 0;
    for (let d = 0; d < OPTIONS.dim; d++) dot += vectors[a * OPTIONS.dim + d]! * vectors[b * OPTIONS.dim + d]!;
    return dot;
  };
  let within = 0;
  let across = 0;
  for (let a = 0; a < 12; a++) {
    for (let b = a + 1; b < 12; b++) {
      if (Math.floor(a / 6) === Math.floor(b / 6)) within += cos(a, b) / 30;
      else across += cos(a, b) / 36;
    }
  }
  return { within, across };
}

// Two clusters, 0–5 and 6–11, never in one session; item 12 only ever alone.
function corpus(): { sequences: Int32Array[]; counts: Float32Array } {
  const rng = new Rng(11);
  const sequences: Int32Array[] = [];
  for (let s = 0; s < 300; s++) {
    const base = s % 2 === 0 ? 0 : 6;
    sequences.push(Int32Array.from({ length: 5 }, () => base + rng.int(6)));
  }
  sequences.push(Int32Array.from([12]));
  const counts = new Float32Array(13);
  for (const seq of sequences) for (const i of seq) counts[i]!++;
  return { sequences, counts };
}

const OPTIONS: Item2VecOptions = { dim: 8, window: 2, negatives: 3, epochs: 8, batchSize: 256, learningRate: 0.1 };

test('training separates items that share sessions from items that never do; deterministic per seed', async () => {
  const { tf } = await tfBackend();
  const { sequences, counts } = corpus();
  const first = await fitItem2Vec(tf, sequences, counts, OPTIONS, 5);
  const again = await fitItem2Vec(tf, sequences, counts, OPTIONS, 5);
  const other = await fitItem2Vec(tf, sequences, counts, OPTIONS, 6);
  assert.deepEqual(first.vectors, again.vectors);
  assert.deepEqual(first.losses, again.losses);
  assert.notDeepEqual(first.vectors, other.vectors);
  assert.ok(first.losses.at(-1)! < first.losses[0]!, `loss falls: ${first.losses.join(', ')}`);

  const { within, across } = clusterCosines(first.vectors);
  assert.ok(within > across + 0.3, `mean cosine within clusters ${within.toFixed(3)}, across ${across.toFixed(3)}`);
  // Item 12 never had a pair: no vector, so it is similar to nothing.
  assert.deepEqual([...first.vectors.subarray(12 * OPTIONS.dim, 13 * OPTIONS.dim)], new Array(OPTIONS.dim).fill(0));
});

test('without negative samples a fit still runs (the update scratch holds a batch of centers)', async () => {
  const { tf } = await tfBackend();
  const { sequences, counts } = corpus();
  const fit = await fitItem2Vec(tf, sequences, counts, { ...OPTIONS, negatives: 0, epochs: 2 }, 5);
  assert.equal(fit.losses.length, 2);
  assert.ok(fit.vectors.some((v) => v !== 0));
});

test('subsampling: off by default (0 is the same run), deterministic, and it still separates the clusters', async () => {
  const { tf } = await tfBackend();
  const { sequences, counts } = corpus();
  const plain = await fitItem2Vec(tf, sequences, counts, OPTIONS, 5);
  const zero = await fitItem2Vec(tf, sequences, counts, { ...OPTIONS, subsample: 0 }, 5);
  assert.deepEqual(zero.vectors, plain.vectors);
  // Every item here is ~1/12 of the steps: t = 0.01 keeps about (√(f/t) + 1)·t/f ≈ 0.47 of each occurrence.
  const sub = await fitItem2Vec(tf, sequences, counts, { ...OPTIONS, subsample: 0.01 }, 5);
  const again = await fitItem2Vec(tf, sequences, counts, { ...OPTIONS, subsample: 0.01 }, 5);
  assert.deepEqual(sub.vectors, again.vectors);
  assert.notDeepEqual(sub.vectors, plain.vectors);
  assert.equal(sub.pairs, plain.pairs, 'the card records the pairs of the whole data');
  const { within, across } = clusterCosines(sub.vectors);
  assert.ok(within > across + 0.3, `mean cosine within clusters ${within.toFixed(3)}, across ${across.toFixed(3)}`);
});
