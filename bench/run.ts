/**
 * `iob bench [name…] [--json]` — committed, runnable benchmarks. Each prints its figures measured side by
 * side in one run, and ratios; with --json the ratios of all benchmarks are the last line of stdout.
 */
import { benchConsent } from './consent.bench.ts';
import { benchFeatures } from './features.bench.ts';
import { benchForecast } from './forecast.bench.ts';
import { benchIngest, type BenchReport } from './ingest.bench.ts';
import { benchIntent } from './intent.bench.ts';
import { benchOffers } from './offers.bench.ts';
import { benchOutage } from './outage.bench.ts';
import { benchRecovery } from './recovery.bench.ts';

export type { BenchReport };

export const BENCHMARKS: Record<string, (say: (line: string) => void, args: Record<string, string>) => Promise<BenchReport>> = {
  ingest: (say, args) =>
    benchIngest({ events: Number(args.events ?? 200_000), batch: Number(args.batch ?? 1000), concurrency: Number(args.concurrency ?? 4), rounds: Number(args.rounds ?? 1), ...(args.only ? { only: args.only.split(',') as ('raw' | 'http' | 'nats')[] } : {}) }, say),
  features: (say, a) =>
    benchFeatures({ subjects: +(a.subjects ?? 1e6), streamSubjects: +(a.streamSubjects ?? 60_000), labels: +(a.labels ?? 1e5), reads: +(a.reads ?? 1e6) }, say),
  intent: (say, a) => benchIntent({ seconds: +(a.seconds ?? 3), connections: +(a.connections ?? 10), iterations: +(a.iterations ?? 150_000), rounds: +(a.rounds ?? 4) }, say),
  offers: (say, a) =>
    benchOffers({ items: +(a.items ?? 100_000), subjects: +(a.subjects ?? 1e6), seconds: +(a.seconds ?? 3), connections: +(a.connections ?? 10), rounds: +(a.rounds ?? 4), iterations: +(a.iterations ?? 20_000) }, say),
  forecast: (say, a) =>
    benchForecast({ series: +(a.series ?? 10_000), days: +(a.days ?? 730), horizon: +(a.horizon ?? 28), maxEpochs: +(a.maxEpochs ?? 30), seconds: +(a.seconds ?? 5), connections: +(a.connections ?? 10) }, say),
  recovery: (say, a) => benchRecovery({ events: +(a.events ?? 1e6), kills: +(a.kills ?? 10), seed: +(a.seed ?? 11), publishRate: +(a.rate ?? 10_000) }, say),
  outage: (say, a) => benchOutage({ outageMs: +(a.seconds ?? 10) * 1000, batch: +(a.batch ?? 50), postsPerSecond: +(a.posts ?? 50) }, say),
  consent: (say, args) => benchConsent({ subjects: Number(args.subjects ?? 100_000), rounds: Number(args.rounds ?? 20), erasureEvents: Number(args.erasure_events ?? 10_000) }, say),
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
