/**
 * `iob bench [name…] [--json]` — committed, runnable benchmarks. Each prints its figures measured side by
 * side in one run, and ratios; with --json the ratios of all benchmarks are the last line of stdout.
 */
import { IobError } from '../engine/index.ts';
import { benchConsent } from './consent.bench.ts';
import { benchFeatures } from './features.bench.ts';
import { benchForecast } from './forecast.bench.ts';
import { benchIngest, type BenchReport } from './ingest.bench.ts';
import { benchIntent } from './intent.bench.ts';
import { benchOffers } from './offers.bench.ts';
import { benchOutage } from './outage.bench.ts';
import { benchRecovery } from './recovery.bench.ts';

export type { BenchReport };

type Say = (line: string) => void;

/**
 * The `key=value` settings of a run, read by the benchmarks' option builders before anything runs: a value
 * that is not a number, or a key no selected benchmark reads (a typo would otherwise run with the default),
 * stops the run naming it.
 */
class Settings {
  private readonly read = new Set<string>();
  constructor(private readonly args: Record<string, string>) {}

  num(key: string, fallback: number): number {
    this.read.add(key);
    const text = this.args[key];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
      throw new IobError('IOB_ERR_VALIDATION', `bench setting ${key}=${text} is not a number (0 or more)`, [{ path: key, reason: 'invalid_number', message: 'must be a number, 0 or more' }]);
    }
    return value;
  }

  list(key: string): string[] | undefined {
    this.read.add(key);
    return this.args[key]?.split(',');
  }

  requireAllRead(selected: readonly string[]): void {
    const unknown = Object.keys(this.args).filter((k) => !this.read.has(k));
    if (unknown.length > 0) {
      throw new IobError('IOB_ERR_VALIDATION', `bench setting(s) ${unknown.join(', ')} not read by ${selected.join(', ')}; they read ${[...this.read].sort().join(', ')}`, unknown.map((k) => ({ path: k, reason: 'unknown_setting', message: 'no selected benchmark reads it' })));
    }
  }
}

interface Benchmark {
  /** Reads its settings into its options (nothing runs yet); returns the run. */
  prepare(settings: Settings, say: Say): () => Promise<BenchReport>;
}

const benchmark = <O>(options: (s: Settings) => O, run: (options: O, say: Say) => Promise<BenchReport>): Benchmark => ({
  prepare(settings, say) {
    const built = options(settings);
    return () => run(built, say);
  },
});

export const BENCHMARKS: Record<string, Benchmark> = {
  ingest: benchmark((s) => {
    const only = s.list('only') as ('raw' | 'http' | 'nats')[] | undefined;
    return { events: s.num('events', 200_000), batch: s.num('batch', 1000), concurrency: s.num('concurrency', 4), rounds: s.num('rounds', 1), ...(only ? { only } : {}) };
  }, benchIngest),
  features: benchmark((s) => ({ subjects: s.num('subjects', 1e6), streamSubjects: s.num('streamSubjects', 60_000), labels: s.num('labels', 1e5), reads: s.num('reads', 1e6) }), benchFeatures),
  intent: benchmark((s) => ({ seconds: s.num('seconds', 2), connections: s.num('connections', 10), iterations: s.num('iterations', 150_000), rounds: s.num('rounds', 10) }), benchIntent),
  offers: benchmark(
    (s) => ({ items: s.num('items', 100_000), subjects: s.num('subjects', 1e6), seconds: s.num('seconds', 2), connections: s.num('connections', 10), rounds: s.num('rounds', 10), iterations: s.num('iterations', 20_000) }),
    benchOffers,
  ),
  forecast: benchmark(
    (s) => ({ series: s.num('series', 10_000), days: s.num('days', 730), horizon: s.num('horizon', 28), maxEpochs: s.num('maxEpochs', 30), seconds: s.num('seconds', 5), connections: s.num('connections', 10) }),
    benchForecast,
  ),
  recovery: benchmark((s) => ({ events: s.num('events', 1e6), kills: s.num('kills', 10), seed: s.num('seed', 11), publishRate: s.num('rate', 10_000) }), benchRecovery),
  outage: benchmark((s) => ({ outageMs: s.num('seconds', 10) * 1000, batch: s.num('batch', 50), postsPerSecond: s.num('posts', 50) }), benchOutage),
  consent: benchmark((s) => ({ subjects: s.num('subjects', 100_000), rounds: s.num('rounds', 20), erasureEvents: s.num('erasure_events', 10_000) }), benchConsent),
};

export async function runBenchmarks(names: string[], args: Record<string, string>, json: boolean): Promise<void> {
  const selected = names.length ? names : Object.keys(BENCHMARKS);
  const unknown = selected.filter((n) => !BENCHMARKS[n]);
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const say: Say = (line) => process.stdout.write(line + '\n');
  // Every selected benchmark's settings are read and checked before the first one runs.
  const settings = new Settings(args);
  const runs = selected.map((name) => [name, BENCHMARKS[name]!.prepare(settings, say)] as const);
  settings.requireAllRead(selected);
  const all: Record<string, Record<string, number>> = {};
  for (const [name, run] of runs) {
    say(`\n== bench ${name}`);
    const report = await run();
    for (const row of report.rows) say(`  ${row.label.padEnd(64)} ${String(row.value).padStart(12)} ${row.unit}`);
    for (const [k, v] of Object.entries(report.ratios)) say(`  ratio ${k.padEnd(48)} ${String(v).padStart(12)}`);
    all[name] = report.ratios;
  }
  if (json) say(JSON.stringify(all));
}
