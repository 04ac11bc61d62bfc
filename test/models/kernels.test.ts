/**
 * The committed WebAssembly kernels are what their text source assembles to (the binary is what runs; the
 * .wat is what reviewers read), and the activations built on their float32 exponential agree with Math's
 * within float32 rounding in absolute terms (near 0, e^x − 1 in float32 loses relative precision, as in TF.js).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { instantiateKernels } from '../../models/intent/kernels.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('kernels.wasm is what kernels.wat assembles to', () => {
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
