/**
 * Loading a committed WebAssembly kernel (assembled from its .wat by `npm run build:kernels`): the
 * engine's HMAC (engine/sha256.wat) and the models' SIMD kernels (models/wasm-kernels.ts). A module is
 * compiled once per file; each caller gets its own instance, so its own linear memory.
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
export function instantiateWasm<T extends { memory: WasmMemory }>(url: URL, bytes = 0): T {
  let module = compiled.get(url.href);
  if (!module) compiled.set(url.href, (module = new wasm.Module(readFileSync(url))));
  const exports = new wasm.Instance(module).exports as T;
  const missing = bytes - exports.memory.buffer.byteLength;
  if (missing > 0) exports.memory.grow(Math.ceil(missing / 65_536));
  return exports;
}
