/**
 * The intent forward pass's SIMD kernels (kernels.wat, assembled into the committed kernels.wasm), one
 * instance per loaded model (models/wasm-kernels.ts).
 */
import { instantiateWasm, type WasmMemory } from '../wasm-kernels.ts';

export { Layout, padBytes } from '../wasm-kernels.ts';

export interface KernelExports {
  memory: WasmMemory;
  /** dst = act(src) for `count` floats (the activations' accuracy test reads it directly) */
  activate(src: number, dst: number, count: number, kind: number): void;
  /** entry, every member (descriptors at `table`) and, with `grad` ≠ 0, the backward pass and contributions: the sum of the members' logits */
  network(
    terms: number,
    count: number,
    bias: number,
    entry: number,
    bytes: number,
    table: number,
    members: number,
    grad: number,
    featureOf: number,
    meanShare: number,
    features: number,
    out: number,
  ): number;
}

/** A fresh kernel instance whose memory holds at least `bytes`. */
export const instantiateKernels = (bytes: number): KernelExports => instantiateWasm<KernelExports>(new URL('./kernels.wasm', import.meta.url), bytes);
