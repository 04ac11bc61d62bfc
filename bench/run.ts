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

/** A numeric `key=value` setting: a number, or the run stops naming the setting (it went on with NaN). */
function num(args: Record<string, string>, key: string, fallback: number): number {
  const text = args[key];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new IobError('IOB_ERR_VALIDATION', `bench setting ${key}=${text} is not a number (0 or more)`, [{ path: key, reason: 'invalid_number', message: 'must be a number, 0 or more' }]);
  return value;
}

export const BENCHMARKS: Record<string, (say: (line: string) => void, args: Record<string, string>) => Promise<BenchReport>> = {
  ingest: (say, args) =>
    benchIngest({ events: num(args, 'events', 200_000), batch: num(args, 'batch', 1000), concurrency: num(args, 'concurrency', 4), rounds: num(args, 'rounds', 1), ...(args.only ? { only: args.only.split(',') as ('raw' | 'http' | 'nats')[] } : {}) }, say),
  features: (say, a) =>
    benchFeatures({ subjects: num(a, 'subjects', 1e6), streamSubjects: num(a, 'streamSubjects', 60_000), labels: num(a, 'labels', 1e5), reads: num(a, 'reads', 1e6) }, say),
  intent: (say, a) => benchIntent({ seconds: num(a, 'seconds', 3), connections: num(a, 'connections', 10), iterations: num(a, 'iterations', 150_000), rounds: num(a, 'rounds', 4) }, say),
  offers: (say, a) =>
    benchOffers({ items: num(a, 'items', 100_000), subjects: num(a, 'subjects', 1e6), seconds: num(a, 'seconds', 3), connections: num(a, 'connections', 10), rounds: num(a, 'rounds', 4), iterations: num(a, 'iterations', 20_000) }, say),
  forecast: (say, a) =>
    benchForecast({ series: num(a, 'series', 10_000), days: num(a, 'days', 730), horizon: num(a, 'horizon', 28), maxEpochs: num(a, 'maxEpochs', 30), seconds: num(a, 'seconds', 5), connections: num(a, 'connections', 10) }, say),
  recovery: (say, a) => benchRecovery({ events: num(a, 'events', 1e6), kills: num(a, 'kills', 10), seed: num(a, 'seed', 11), publishRate: num(a, 'rate', 10_000) }, say),
  outage: (say, a) => benchOutage({ outageMs: num(a, 'seconds', 10) * 1000, batch: num(a, 'batch', 50), postsPerSecond: num(a, 'posts', 50) }, say),
  consent: (say, args) => benchConsent({ subjects: num(args, 'subjects', 100_000), rounds: num(args, 'rounds', 20), erasureEvents: num(args, 'erasure_events', 10_000) }, say),
};

export async function runBenchmarks(names: string[], args: Record<string, string>, json: boolean): Promise<void> {
  const selected = names.length ? names : Object.keys(BENCHMARKS);
  const unknown = selected.filter((n) => !BENCHMARKS[n]);
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const say = (line: string) => process.stdout.write(line + '\n');
  const all: Record<string, Record<string, number>> = {};
  for (const name of selected) {
    say(`\n== bench ${name}`);
    const report = await BENCHMARKS[name]!(say, args);
    for (const row of report.rows) say(`  ${row.label.padEnd(48)} ${String(row.value).padStart(12)} ${row.unit}`);
    for (const [k, v] of Object.entries(report.ratios)) say(`  ratio ${k.padEnd(42)} ${String(v).padStart(12)}`);
    all[name] = report.ratios;
  }
  if (json) say(JSON.stringify(all));
}
