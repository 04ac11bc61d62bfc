/** `iob bench` — see bench/run.ts. Extra `key=value` arguments tune a benchmark (e.g. events=500000). */
import type { Command } from 'commander';

export function register(program: Command) {
  program
    .command('bench')
    .description('run benchmarks (ingest …) and print figures side by side with their baselines')
    .argument('[names...]', 'benchmarks to run, and key=value settings')
    .option('--json', 'print the ratios as JSON on the last line')
    .action(async (names: string[], opts) => {
      const { runBenchmarks } = await import('../bench/run.ts');
      const args = Object.fromEntries(names.filter((n) => n.includes('=')).map((n) => n.split('=', 2) as [string, string]));
      await runBenchmarks(names.filter((n) => !n.includes('=')), args, Boolean(opts.json));
      process.exit(0);
    });
}
