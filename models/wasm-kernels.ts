/**
 * The models' WebAssembly SIMD kernels (models/intent/kernels.wat, models/offers/similarity.wat,
 * models/offers/adagrad.wat), loaded through the engine's loader (engine/wasm-module.ts). Each model
 * instance (or item2vec fit) gets its own instance, whose
 * linear memory it lays out once (weights or vectors as float32 rows padded to 16 bytes, scratch) and
 * reuses on every request.
 */
import { instantiateWasm, type WasmMemory } from '../engine/index.ts';

export { instantiateWasm, type WasmMemory };

/** What a 32-bit WebAssembly memory can hold (65,536 pages of 64 KiB): the most a kernel's layout may take. */
export const MAX_KERNEL_BYTES = 2 ** 32;

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
