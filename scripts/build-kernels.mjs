#!/usr/bin/env node
/**
 * Assembles the WebAssembly kernels from their text source (engine/sha256.wat, models/intent/kernels.wat, models/offers/similarity.wat, models/offers/adagrad.wat → .wasm beside each).
 * The binary is committed so installs without dev dependencies run it; `--check` exits 1 when the committed
 * binary is not what the source assembles to (test/models/kernels.test.ts runs the same comparison).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

export const KERNEL_SOURCES = ['engine/sha256.wat', 'models/intent/kernels.wat', 'models/offers/similarity.wat', 'models/offers/adagrad.wat'];

const root = fileURLToPath(new URL('..', import.meta.url));

/** The binary a .wat file assembles to (no debug names, so the bytes depend on the source alone). */
export async function assemble(watPath) {
  const wabt = await initWabt();
  const module = wabt.parseWat(watPath, readFileSync(watPath, 'utf8'), { simd: true, bulk_memory: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const source of KERNEL_SOURCES) {
    const wat = root + source;
    const wasm = wat.replace(/\.wat$/, '.wasm');
    const bytes = await assemble(wat);
    if (check) {
      let committed;
      try {
        committed = readFileSync(wasm);
      } catch {
        committed = Buffer.alloc(0);
      }
      if (!committed.equals(bytes)) {
        console.error(`${source}: its .wasm is not what the source assembles to; run npm run build:kernels`);
        stale++;
      }
    } else {
      writeFileSync(wasm, bytes);
      console.log(`${source} → ${wasm.slice(root.length)} (${bytes.length} bytes)`);
    }
  }
  process.exit(stale ? 1 : 0);
}
