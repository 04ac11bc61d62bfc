/**
 * `npm run soak -- --minutes 10 [--rate N] [--json]` — a long run of mixed traffic against a real `iob start`
 * process: POST /v1/events (batches of new events), POST /v1/intent (a registered model) and GET
 * /v1/features/:subject, in equal parts, at half of the measured maximum request rate (or --rate). Every
 * minute it prints the process's RSS (mean of samples every 2 s) and the window's client-side p99; at the end, RSS growth and p99 drift
 * from the first minute to the last (targets: < 10 %, < 20 %). With --json the figures are the last line.
 *
 * Subjects and items are a fixed set, so the feature state saturates: RSS growth measures what the process
 * keeps, not the size of the data. The load generator (autocannon) runs in this process, the server in its own.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngineProcess } from '../test/helpers/cli-process.ts';
import { registerStoreIntentModel } from '../test/models/store-intent-model.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string' },
    'max-seconds': { type: 'string', default: '10' },
    'window-seconds': { type: 'string', default: '60' },
    connections: { type: 'string', default: '16' },
    subjects: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const minutes = Number(flags.minutes);
const windowSeconds = Number(flags['window-seconds']);
const connections = Number(flags.connections);
const subjects = Number(flags.subjects);
const batch = Number(flags.batch);
const say = (line: string) => process.stdout.write(line + '\n');

const API_KEY = 'soak-admin-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'iob-soak-'));
const registry = join(dir, 'data', 'models');
await registerStoreIntentModel(registry, 'soak-v1', { seed: 1, promote: true });
const engine = await startEngineProcess([], {
  IOB_DATA_DIR: join(dir, 'data'),
  IOB_PORT: '0',
  IOB_LOG_LEVEL: 'warn',
  IOB_RATE_LIMIT: '0',
  IOB_FORECAST_REFRESH: 'off',
  IOB_API_KEYS: JSON.stringify([{ id: 'admin', key: API_KEY, scopes: ['admin'] }]),
});
const stop = async () => {
  engine.child.kill('SIGTERM');
  await engine.exited;
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => void stop().then(() => process.exit(130)));

try {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  const subjectOf = (n: number) => `soak-${n % subjects}`;
  say(`granting consent to ${subjects} subjects …`);
  for (let i = 0; i < subjects; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, subjects - i) }, (_, k) =>
        fetch(`${engine.url}/v1/consent/${subjectOf(i + k)}`, { method: 'PUT', headers, body: JSON.stringify({ purposes: { personalization: true, analytics: true }, source: 'soak', at: 0 }) }).then((r) => {
          if (r.status !== 200) throw new Error(`consent: ${r.status}`);
        }),
      ),
    );
  }
  const probe = await fetch(`${engine.url}/v1/intent`, { method: 'POST', headers, body: JSON.stringify({ subject: subjectOf(0) }) });
  if (probe.status !== 200) throw new Error(`POST /v1/intent answered ${probe.status}: ${await probe.text()}`);

  // Mixed requests, in turn on every connection: an ingest batch of new events, a score, a feature read.
  let serial = 0;
  const pick = () => subjectOf(Math.floor(Math.random() * subjects));
  const requests = [
    {
      method: 'POST',
      path: '/v1/events',
      setupRequest: (req: Record<string, unknown>) => {
        const now = Date.now();
        const events = Array.from({ length: batch }, (_, i) => ({ id: `soak-${process.pid}-${serial++}`, ts: now - 1000, subject: pick(), type: i % 7 === 6 ? 'cart_add' : 'view', item: `i-${serial % 500}`, price: 10 }));
        return { ...req, body: JSON.stringify({ events }) };
      },
    },
    { method: 'POST', path: '/v1/intent', setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify({ subject: pick() }) }) },
    { method: 'GET', setupRequest: (req: Record<string, unknown>) => ({ ...req, path: `/v1/features/${pick()}` }) },
  ];
  const load = (seconds: number, overallRate?: number): Promise<AutocannonResult> =>
    autocannon({ url: engine.url, connections, duration: seconds, headers, requests, ...(overallRate ? { overallRate } : {}) });

  let rate = flags.rate ? Number(flags.rate) : 0;
  if (!rate) {
    const max = await load(Number(flags['max-seconds']));
    rate = Math.max(1, Math.round(max.requests.average / 2));
    say(`measured maximum: ${Math.round(max.requests.average)} req/s (p99 ${max.latency.p99} ms) over ${flags['max-seconds']} s; soaking at half: ${rate} req/s`);
  }
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${engine.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const rows: { minute: number; rssMb: number; p99Ms: number; p50Ms: number; rps: number; errors: number; non2xx: number }[] = [];
  const windows = Math.max(1, Math.round((minutes * 60) / windowSeconds));
  for (let w = 1; w <= windows; w++) {
    // RSS: the mean of samples every 2 s over the window (one sample lands anywhere in a GC cycle).
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rss()), 2000);
    const r = await Promise.resolve(load(windowSeconds, rate)).finally(() => clearInterval(sampler));
    samples.push(rss());
    const row = { minute: +((w * windowSeconds) / 60).toFixed(2), rssMb: +(samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(1), p99Ms: r.latency.p99, p50Ms: r.latency.p50, rps: Math.round(r.requests.average), errors: r.errors, non2xx: r.non2xx };
    rows.push(row);
    say(`  ${String(row.minute).padStart(5)} min  RSS ${row.rssMb.toFixed(1).padStart(7)} MB  p99 ${String(row.p99Ms).padStart(5)} ms  p50 ${String(row.p50Ms).padStart(4)} ms  ${row.rps} req/s  errors ${row.errors}  non-2xx ${row.non2xx}`);
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const pct = (a: number, b: number) => +((100 * (b - a)) / Math.max(a, 1e-9)).toFixed(1);
  const summary = {
    minutes: last.minute,
    rate,
    rss_first_mb: first.rssMb,
    rss_last_mb: last.rssMb,
    rss_growth_pct: pct(first.rssMb, last.rssMb),
    p99_first_ms: first.p99Ms,
    p99_last_ms: last.p99Ms,
    p99_drift_pct: pct(first.p99Ms, last.p99Ms),
    errors: rows.reduce((n, r) => n + r.errors, 0),
    non2xx: rows.reduce((n, r) => n + r.non2xx, 0),
  };
  say(`RSS growth ${summary.rss_growth_pct} % (target < 10 %: ${summary.rss_growth_pct < 10 ? 'met' : 'missed'}); p99 drift ${summary.p99_drift_pct} % (target < 20 %: ${summary.p99_drift_pct < 20 ? 'met' : 'missed'}); errors ${summary.errors}, non-2xx ${summary.non2xx}`);
  if (flags.json) say(JSON.stringify({ soak: summary }));
} finally {
  await stop();
}
