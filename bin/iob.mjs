#!/usr/bin/env node
// The `iob` command. The project runs from TypeScript sources through tsx (no build step to forget).
import { spawn } from 'node:child_process';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { register } from 'tsx/esm/api';

// Batch commands hold whole data files in memory (a training set, an offers session log), and V8's default
// heap limit (~4 GB on a 24 GB machine) ended them long before the machine's memory did. They run in a child
// process whose limit is 3/4 of physical memory, unless the caller chose a limit (flag or NODE_OPTIONS).
const BATCH_COMMANDS = new Set(['train', 'features']);
const heapMb = Math.floor((totalmem() / 2 ** 20) * 0.75);
const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'));
if (BATCH_COMMANDS.has(process.argv[2]) && !chosen && heapMb > getHeapStatistics().heap_size_limit / 2 ** 20) {
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMb}`, ...process.argv.slice(1)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  register();
  const { main } = await import('../cli/main.ts');
  await main(process.argv);
}
