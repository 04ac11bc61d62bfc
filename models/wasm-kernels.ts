/**
 * Loading the models' WebAssembly SIMD kernels (models/intent/kernels.wat, models/offers/similarity.wat,
 * assembled by `npm run build:kernels` into committed .wasm files). Each model instance gets its own
 * instance, whose linear memory it lays out once (weights or vectors as float32 rows padded to 16 bytes,
 * scratch) and reuses on every request.
 */
import { readFileSync } from 'node:fs';

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const compiled = new Map<string, object>();

/** A fresh instance of the kernel module at `url` whose memory holds at least `bytes`. */
export function instantiateWasm<T extends { memory: WasmMemory }>(url: URL, bytes: number): T {
  let module = compiled.get(url.href);
  if (!module) compiled.set(url.href, (module = new wasm.Module(readFileSync(url))));
  const exports = new wasm.Instance(module).exports as T;
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
