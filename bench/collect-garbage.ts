/**
 * A full garbage collection on demand, for benches that report heap growth: without one, the growth
 * counts whatever garbage the step left behind. Uses the `gc` of `--expose-gc` when the process has it,
 * else turns the flag on through V8 and takes `gc` from a fresh context (where V8 installs it).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function collectGarbage(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
