/**
 * The committed WebAssembly kernels (intent, offers similarity) are what their text sources assemble to (the binary is what runs; the
 * .wat is what reviewers read), and the activations built on their float32 exponential agree with Math's
 * within float32 rounding in absolute terms (near 0, e^x − 1 in float32 loses relative precision, as in TF.js).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { instantiateKernels } from '../../models/intent/kernels.ts';
import { instantiateWasm, type WasmMemory } from '../../models/wasm-kernels.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('each committed .wasm is what its .wat assembles to', () => {
  const r = spawnSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the kernels activate like Math: elu and tanh within float32 rounding, relu and linear exactly', () => {
  const k = instantiateKernels(4096);
  const f32 = new Float32Array(k.memory.buffer);
  // 7 values: one SIMD vector and a scalar tail of 3
  const xs = [-90, -20, -3.5, -0.25, -1e-4, 0, 2.5];
  const expected: Record<number, (x: number) => number> = { 0: (x) => x, 1: (x) => Math.max(0, x), 2: (x) => (x > 0 ? x : Math.expm1(x)), 3: Math.tanh };
  for (const [kind, fn] of Object.entries(expected)) {
    f32.set(xs, 0);
    k.activate(0, 64, xs.length, Number(kind));
    xs.forEach((x, i) => {
      const want = Math.fround(fn(Math.fround(x)));
      const got = f32[16 + i]!;
      assert.ok(Math.abs(got - want) <= 2e-7 * Math.max(1, Math.abs(want)), `kind ${kind}, x = ${x}: ${got} vs ${want}`);
    });
  }
});

test('the offers similarity kernel: dot products of any width (SIMD lanes, unaligned rows, scalar tail) within float32 rounding', () => {
  let seed = 5;
  const rand = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296) - 0.5;
  for (const dim of [1, 3, 4, 7, 8, 13, 32]) {
    const n = 50;
    const items = [0, 49, 17, 17, 3];
    // memory: query at 0, items at 1024, out at 2048, vectors at 4096 (rows of 4·dim bytes, unaligned when dim % 4 ≠ 0)
    const k = instantiateWasm<{ memory: WasmMemory; dots(q: number, v: number, dim: number, items: number, count: number, out: number): void }>(
      new URL('../../models/offers/similarity.wasm', import.meta.url),
      4096 + n * dim * 4,
    );
    const query = new Float32Array(k.memory.buffer, 0, dim);
    const vectors = new Float32Array(k.memory.buffer, 4096, n * dim);
    query.forEach((_, d) => (query[d] = rand()));
    vectors.forEach((_, i) => (vectors[i] = rand()));
    new Int32Array(k.memory.buffer, 1024, items.length).set(items);
    k.dots(0, 4096, dim, 1024, items.length, 2048);
    const got = new Float32Array(k.memory.buffer, 2048, items.length);
    items.forEach((j, c) => {
      let want = 0;
      for (let d = 0; d < dim; d++) want += query[d]! * vectors[j * dim + d]!;
      assert.ok(Math.abs(got[c]! - want) <= 1e-6 * dim, `dim ${dim}, item ${j}: ${got[c]} vs ${want}`);
    });
  }
});

test('the item2vec Adagrad kernel: the TypeScript update it replaced, bit for bit (pairs of float64 lanes, odd widths, repeated rows)', () => {
  let seed = 11;
  const rand = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296) - 0.5;
  for (const dim of [1, 2, 3, 8, 13, 32]) {
    const n = 40;
    const rows = Int32Array.from([0, 39, 7, 7, 12, 7, 0]);
    const lr = 0.1;
    const eps = 1e-8;
    // memory: rows at 0, grads at 1024, table at 8192, squares after it
    const tableAt = 8192;
    const squaresAt = tableAt + n * dim * 4;
    const k = instantiateWasm<{ memory: WasmMemory; update(table: number, squares: number, rows: number, count: number, grads: number, dim: number, lr: number, eps: number): void }>(
      new URL('../../models/offers/adagrad.wasm', import.meta.url),
      squaresAt + n * dim * 4,
    );
    const table = new Float32Array(k.memory.buffer, tableAt, n * dim);
    const squares = new Float32Array(k.memory.buffer, squaresAt, n * dim);
    const grads = new Float32Array(k.memory.buffer, 1024, rows.length * dim);
    table.forEach((_, i) => (table[i] = rand()));
    squares.forEach((_, i) => (squares[i] = i % 5 === 0 ? 0 : Math.abs(rand()) * 1e-3));
    grads.forEach((_, i) => (grads[i] = rand() * (i % 3 === 0 ? 1e-6 : 0.2)));
    const before = Float32Array.from(table);
    const wantTable = Float32Array.from(table);
    const wantSquares = Float32Array.from(squares);
    // the TypeScript loop the kernel replaced
    for (let r = 0; r < rows.length; r++) {
      const o = rows[r]! * dim;
      for (let d = 0; d < dim; d++) {
        const g = grads[r * dim + d]!;
        wantSquares[o + d]! += g * g;
        wantTable[o + d]! -= (lr * g) / (Math.sqrt(wantSquares[o + d]!) + eps);
      }
    }
    new Int32Array(k.memory.buffer, 0, rows.length).set(rows);
    k.update(tableAt, squaresAt, 0, rows.length, 1024, dim, lr, eps);
    assert.deepEqual(squares, wantSquares, `dim ${dim}: squares`);
    assert.deepEqual(table, wantTable, `dim ${dim}: table`);
    assert.notDeepEqual(table, before, 'the rows moved');
  }
});
