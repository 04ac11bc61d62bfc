/**
 * The intent forward pass's SIMD kernels (kernels.wat, assembled into the committed kernels.wasm), one
 * instance per loaded model (models/wasm-kernels.ts).
 */
import { instantiateWasm, type WasmMemory } from '../wasm-kernels.ts';

export { Layout, padBytes } from '../wasm-kernels.ts';

export interface KernelExports {
  memory: WasmMemory;
  entry(terms: number, count: number, bias: number, out: number, bytes: number): void;
  activate(src: number, dst: number, count: number, kind: number): void;
  dense(kernel: number, bias: number, input: number, inBytes: number, out: number, units: number, kind: number): void;
  backprop(kernel: number, inBytes: number, units: number, up: number, y: number, kind: number, below: number): void;
  gradient(up: number, y: number, count: number, kind: number, dst: number): void;
  contributions(terms: number, featureOf: number, count: number, dEntry: number, bytes: number, meanShare: number, features: number, out: number): void;
}

/** A fresh kernel instance whose memory holds at least `bytes`. */
export const instantiateKernels = (bytes: number): KernelExports => instantiateWasm<KernelExports>(new URL('./kernels.wasm', import.meta.url), bytes);
