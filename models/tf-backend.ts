/**
 * Picks the TF.js backend once per process: tfjs-node (native libtensorflow) when it installed, else the
 * wasm backend, else the plain JS cpu backend.
 *
 * Why this order: tfjs-node is an optional dependency whose install downloads a binary that many machines
 * cannot reach; wasm trains ~3.7× faster than cpu on a 2-core machine. Only training and parity checks call
 * this: serving runs the pure-TypeScript forward pass and never loads TF.js on the request path.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface TfBackend {
  tf: typeof tf;
  name: TfBackendName;
  /** Why a faster backend was not used (empty when the first choice loaded). */
  fallbacks: string[];
}

let chosen: Promise<TfBackend> | undefined;

/** The backend in use, chosen on first call. Every later call returns the same answer. */
export function tfBackend(): Promise<TfBackend> {
  chosen ??= choose();
  return chosen;
}

async function choose(): Promise<TfBackend> {
  const fallbacks: string[] = [];
  try {
    // A variable specifier: the package is optional and has no typings when absent.
    const nodeBinding = '@tensorflow/tfjs-node';
    await import(nodeBinding);
    if (await tf.setBackend('tensorflow')) return { tf, name: 'tensorflow', fallbacks };
    fallbacks.push('tfjs-node loaded but its backend did not initialize');
  } catch (err) {
    fallbacks.push(`tfjs-node unavailable (${firstLine(err)})`);
  }
  try {
    // In Node the wasm backend cannot locate its .wasm files by URL: point it at the package's dist/ folder.
    const require = createRequire(import.meta.url);
    setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
    const restore = keepProcessErrorHandlers();
    const ok = await tf.setBackend('wasm');
    if (ok) await tf.ready();
    restore();
    if (ok) return { tf, name: 'wasm', fallbacks };
    fallbacks.push('wasm backend did not initialize');
  } catch (err) {
    fallbacks.push(`wasm unavailable (${firstLine(err)})`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, name: 'cpu', fallbacks };
}

/**
 * The wasm module's Emscripten glue installs process-wide `uncaughtException`/`unhandledRejection` handlers
 * that rethrow, so a crash anywhere later prints a screen of minified glue code instead of the real stack
 * (its own clean-up of those handlers is broken). Remove whatever it added.
 */
function keepProcessErrorHandlers(): () => void {
  const events = ['uncaughtException', 'unhandledRejection'];
  const listeners = (e: string): Array<(...args: unknown[]) => void> => process.listeners(e as 'exit') as Array<(...args: unknown[]) => void>;
  const before = events.map((e) => new Set(listeners(e)));
  return () =>
    events.forEach((e, i) => {
      for (const listener of listeners(e)) if (!before[i]!.has(listener)) process.removeListener(e, listener);
    });
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? '';
}
