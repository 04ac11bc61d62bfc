/**
 * `npm run soak -- --minutes 10 [--rate N] [--warmup-minutes 2] [--json]` — a long run of mixed traffic
 * against a real `iob start` process: POST /v1/events (batches of new events), POST /v1/intent (a
 * registered model) and GET /v1/features/:subject, each from its own load generator at a third of half the
 * measured maximum request rate (or --rate). After a warm-up (printed, not counted), every minute it prints
 * the process's RSS (mean of samples every 2 s), its V8 heap and external memory, and each kind's p99 and
 * p50 (exact, from every response's time); at the end, RSS growth and each kind's p99 drift from the first
 * measured minute to the last (targets: < 10 %, < 20 %), read on the Theil–Sen trend over every measured
 * minute (bench/trend.ts) with first-to-last beside it. With --json the figures are the last line.
 *
 * Subjects and items are a fixed set, so the feature state saturates: RSS growth measures what the process
 * keeps, not the size of the data. The load generator (autocannon) runs in this process, the server in its own. The measured windows are
 * paced (bench/paced-load.ts): requests leave evenly spaced, so a latency is a request's, not its burst's.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngineProcess } from '../test/helpers/cli-process.ts';
import { registerStoreIntentModel } from '../test/models/store-intent-model.ts';
import { pacedLoad, type PacedRequest } from './paced-load.ts';
import { theilSenTrend } from './trend.ts';

interface AutocannonResult {
  requests: { average: number; total: number };
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
    'warmup-minutes': { type: 'string', default: '2' },
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
/** prom-client's event-loop delay probe interval (its eventLoopMonitoringPrecision default) */
const EVENT_LOOP_PROBE_MS = 10;
const dir = mkdtempSync(join(tmpdir(), 'iob-soak-'));
const registry = join(dir, 'data', 'models');
await registerStoreIntentModel(registry, 'soak-v1', { seed: 1, promote: true });
const engine = await startEngineProcess([], {
  IOB_DATA_DIR: join(dir, 'data'),
  IOB_PORT: '0',
  IOB_LOG_LEVEL: 'warn',
  IOB_RATE_LIMIT: '0',
  IOB_FORECAST_REFRESH: 'off',
  // As the README's deployment notes run the engine (and `npm start` does): two glibc malloc arenas.
  MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
  // …and a young generation of 128 MB per semi-space (README, deployment notes).
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=128`.trim(),
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

  // Three request kinds, each from its own load generator at a third of the rate, so each has its own
  // p99: an ingest batch waits for JetStream's PubAck (the broker's disk), a score or a feature read only
  // for memory; one mixed histogram would hide which of them drifts.
  let serial = 0;
  const pick = () => subjectOf(Math.floor(Math.random() * subjects));
  const kinds: Record<'events' | 'intent' | 'features', () => PacedRequest> = {
    events: () => {
      const now = Date.now();
      const events = Array.from({ length: batch }, (_, i) => ({ id: `soak-${process.pid}-${serial++}`, ts: now - 1000, subject: pick(), type: i % 7 === 6 ? 'cart_add' : 'view', item: `i-${serial % 500}`, price: 10 }));
      return { method: 'POST', path: '/v1/events', body: JSON.stringify({ events }) };
    },
    intent: () => ({ method: 'POST', path: '/v1/intent', body: JSON.stringify({ subject: pick() }) }),
    features: () => ({ method: 'GET', path: `/v1/features/${pick()}` }),
  };
  type Kind = keyof typeof kinds;
  const kindNames = Object.keys(kinds) as Kind[];
  const perKind = Math.max(1, Math.floor(connections / kindNames.length));
  /**
   * The maximum of the mix: closed-loop autocannon whose every connection sends the kinds in turn, so the
   * mix keeps its equal thirds (independent generators would let the fast reads run ahead and put the
   * ingest share far above half of what ingest alone can take).
   */
  const maximum = async (seconds: number) => {
    const requests = kindNames.map((kind) => ({ setupRequest: (req: Record<string, unknown>) => ({ ...req, ...kinds[kind]() }) }));
    const run = await autocannon({ url: engine.url, connections, duration: seconds, headers, requests });
    return run.requests.average;
  };
  /** a steady load: each kind paced at a third of the rate, every response timed */
  const load = async (seconds: number, overallRate: number) => {
    const results = await Promise.all(
      kindNames.map((kind) => pacedLoad({ url: engine.url, rate: overallRate / kindNames.length, seconds, connections: perKind, headers, next: kinds[kind] })),
    );
    const percentile = (values: number[], q: number) => {
      const sorted = Float64Array.from(values).sort();
      return sorted.length ? +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2) : NaN;
    };
    const quantiles = (q: number) => Object.fromEntries(kindNames.map((kind, i) => [kind, percentile(results[i]!.times, q)])) as Record<Kind, number>;
    return {
      p99Ms: quantiles(0.99),
      p50Ms: quantiles(0.5),
      rps: results.reduce((n, r) => n + r.times.length, 0) / seconds,
      errors: results.reduce((n, r) => n + r.errors, 0),
      non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    };
  };

  let rate = flags.rate ? Number(flags.rate) : 0;
  if (!rate) {
    const max = await maximum(Number(flags['max-seconds']));
    rate = Math.max(kindNames.length, Math.round(max / 2));
    say(`measured maximum: ${Math.round(max)} req/s over ${flags['max-seconds']} s; soaking at half: ${rate} req/s (a third per kind)`);
  }
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${engine.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  // Heap and external memory from the engine's own /metrics, so RSS growth can be told apart: V8 heap
  // (JS objects: state, caches), external (Buffers: NATS, msgpack), the rest (code, native, allocator).
  const memory = async () => {
    const text = await (await fetch(`${engine.url}/metrics`, { headers })).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const mb = (name: string) => +(gauge(name) / 2 ** 20).toFixed(1);
    const ms = (name: string) => +(gauge(name) * 1000).toFixed(1);
    const beyondProbe = (name: string) => +Math.max(0, ms(name) - EVENT_LOOP_PROBE_MS).toFixed(1);
    // prom-client resets its event-loop delay histogram at every scrape (the max is this window's longest
    // stall) and samples with a 10 ms timer, which its figures include: the stall is what lies beyond it.
    return {
      heapMb: mb('iob_nodejs_heap_size_used_bytes'),
      heapTotalMb: mb('iob_nodejs_heap_size_total_bytes'),
      externalMb: mb('iob_nodejs_external_memory_bytes'),
      loopMaxMs: beyondProbe('iob_nodejs_eventloop_lag_max_seconds'),
      loopP99Ms: beyondProbe('iob_nodejs_eventloop_lag_p99_seconds'),
    };
  };
  interface Row {
    minute: number;
    rssMb: number;
    heapMb: number;
    heapTotalMb: number;
    externalMb: number;
    loopMaxMs: number;
    loopP99Ms: number;
    p99Ms: Record<Kind, number>;
    p50Ms: Record<Kind, number>;
    rps: number;
    errors: number;
    non2xx: number;
  }
  const window = async (seconds: number, minute: number): Promise<Row> => {
    // RSS: the mean of samples every 2 s over the window (one sample lands anywhere in a GC cycle).
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rss()), 2000);
    const r = await load(seconds, rate).finally(() => clearInterval(sampler));
    samples.push(rss());
    return {
      minute,
      rssMb: +(samples.reduce((a, b) => a + b, 0) / samples.length).toFixed(1),
      ...(await memory()),
      p99Ms: r.p99Ms,
      p50Ms: r.p50Ms,
      rps: Math.round(r.rps),
      errors: r.errors,
      non2xx: r.non2xx,
    };
  };
  const show = (label: string, row: Row) =>
    say(
      `  ${label.padStart(8)}  RSS ${row.rssMb.toFixed(1).padStart(7)} MB (heap ${row.heapMb.toFixed(1)} of ${row.heapTotalMb.toFixed(1)}, external ${row.externalMb.toFixed(1)}; event-loop delay p99 ${row.loopP99Ms} max ${row.loopMaxMs} ms)  p99 ${kindNames.map((k) => `${k} ${row.p99Ms[k]}`).join(' / ')} ms  p50 ${kindNames.map((k) => row.p50Ms[k]).join('/')} ms  ${row.rps} req/s  errors ${row.errors}  non-2xx ${row.non2xx}`,
    );
  // Warm-up: the heap, the JIT and the broker's stream files reach their working size before the first
  // measured minute; two minutes, because the broker's duplicate window (IOB_DUPLICATE_WINDOW_MS, 2 min)
  // holds every published event id that long, so its de-duplication table only stops growing after it.
  // What a soak looks for is growth after that, i.e. a leak; the warm-up's figures are printed too.
  const warmup = Number(flags['warmup-minutes']);
  if (warmup > 0) show('warm-up', await window(warmup * 60, 0));
  const rows: Row[] = [];
  const windows = Math.max(1, Math.round((minutes * 60) / windowSeconds));
  for (let w = 1; w <= windows; w++) {
    const row = await window(windowSeconds, +((w * windowSeconds) / 60).toFixed(2));
    rows.push(row);
    show(`${row.minute} min`, row);
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const pct = (a: number, b: number) => +((100 * (b - a)) / Math.max(a, 1e-9)).toFixed(1);
  const endpoints = Object.fromEntries(kindNames.map((k) => [k, pct(first.p99Ms[k], last.p99Ms[k])])) as Record<Kind, number>;
  // The targets are read on the robust trend over every measured minute (bench/trend.ts); first-to-last is
  // printed beside it.
  const minutesAt = rows.map((r) => r.minute);
  const rssTrend = theilSenTrend(minutesAt, rows.map((r) => r.rssMb));
  const drift = Object.fromEntries(kindNames.map((k) => [k, theilSenTrend(minutesAt, rows.map((r) => r.p99Ms[k])).growthPct])) as Record<Kind, number>;
  const worstDrift = Math.max(...Object.values(drift));
  const summary = {
    minutes: last.minute,
    warmup_minutes: warmup,
    rate,
    rss_first_mb: first.rssMb,
    rss_last_mb: last.rssMb,
    rss_growth_first_to_last_pct: pct(first.rssMb, last.rssMb),
    rss_trend_mb_per_minute: +rssTrend.slopePerMinute.toFixed(2),
    rss_growth_pct: rssTrend.growthPct,
    heap_first_mb: first.heapMb,
    heap_last_mb: last.heapMb,
    p99_first_ms: first.p99Ms,
    p99_last_ms: last.p99Ms,
    p99_drift_first_to_last_pct: endpoints,
    p99_drift_pct: drift,
    errors: rows.reduce((n, r) => n + r.errors, 0),
    non2xx: rows.reduce((n, r) => n + r.non2xx, 0),
  };
  say(
    `RSS growth ${summary.rss_growth_pct} % on the trend (${summary.rss_trend_mb_per_minute} MB/min; first to last ${summary.rss_growth_first_to_last_pct} %) (target < 10 %: ${summary.rss_growth_pct < 10 ? 'met' : 'missed'}); ` +
      `p99 drift on the trend ${kindNames.map((k) => `${k} ${drift[k]} %`).join(', ')} (first to last ${kindNames.map((k) => `${endpoints[k]} %`).join(' / ')}) (target < 20 % for each: ${worstDrift < 20 ? 'met' : 'missed'}); errors ${summary.errors}, non-2xx ${summary.non2xx}`,
  );
  if (flags.json) say(JSON.stringify({ soak: summary }));
} finally {
  await stop();
}
