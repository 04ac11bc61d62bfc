/**
 * The intent forward pass's SIMD kernels (kernels.wat, assembled into the committed kernels.wasm), one
 * instance per loaded model: each instance owns a linear memory that the model lays out once (weights as
 * float32 rows padded to 16 bytes, scratch vectors) and every scored row reuses.
 */
import { readFileSync } from 'node:fs';

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface KernelExports {
  memory: WasmMemory;
  entry(terms: number, count: number, bias: number, out: number, bytes: number): void;
  activate(src: number, dst: number, count: number, kind: number): void;
  dense(kernel: number, bias: number, input: number, inBytes: number, out: number, units: number, kind: number): void;
  backprop(kernel: number, inBytes: number, units: number, up: number, y: number, kind: number, below: number): void;
  gradient(up: number, y: number, count: number, kind: number, dst: number): void;
  contributions(terms: number, featureOf: number, count: number, dEntry: number, bytes: number, meanShare: number, features: number, out: number): void;
}

let compiled: object | undefined;

/** A fresh kernel instance whose memory holds at least `bytes`. */
export function instantiateKernels(bytes: number): KernelExports {
  compiled ??= new wasm.Module(readFileSync(new URL('./kernels.wasm', import.meta.url)));
  const exports = new wasm.Instance(compiled).exports as unknown as KernelExports;
  const missing = bytes - exports.memory.buffer.byteLength;
  if (missing > 0) exports.memory.grow(Math.ceil(missing / 65_536));
  return exports;
}

/** Bump allocation of 16-byte-aligned blocks, to lay out a memory before it exists. */
export class Layout {
  private next = 0;
  /** Byte offset of a new block of `floats` float32 values, rounded up to whole 16-byte lanes. */
  floats(floats: number): number {
    const at = this.next;
    this.next += padBytes(floats);
    return at;
  }
  get bytes(): number {
    return this.next;
  }
}

/** Bytes of `floats` float32 values rounded up to a multiple of 16 (one SIMD vector). */
export const padBytes = (floats: number): number => Math.ceil(floats / 4) * 16;
