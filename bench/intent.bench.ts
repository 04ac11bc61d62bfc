/**
 * Purchase intent, measured side by side in one run:
 *   (a) one row through the pure-TypeScript forward pass vs TF.js `model.predict` (tensor in, dataSync out)
 *       on the same network — the shape `iob train intent --events` registers (every subject and session
 *       feature of the store, the events recipe's bins and wide-and-deep members);
 *   (b) `POST /v1/intent` (auth, validation, consent, feature read, forward + contributions, response
 *       schema) vs a bare route returning a constant, both on the same Fastify app, in the same process,
 *       loaded by the same generator (autocannon, in a child process so it does not share the server's
 *       event loop). Server-side time is fastify's `reply.elapsedTime` (routing start → response written),
 *       recorded per route in an onResponse hook. The route scores the requests of an event-loop turn
 *       together (serving/turn-batch.ts); a third route answers the bare constant the same way, and its
 *       ratio says how much of the gain is the batching's rather than the scoring's.
 * Both comparisons alternate their two sides over a few rounds and report each side's best round (the
 * least disturbed on a shared machine), and each route's server CPU time per request (least of the rounds).
 * Ratios: forward speed-up over predict (target ≥ 20), intent req/s over bare req/s (target ≥ 0.8), intent
 * server-side p99 in ms (target < 1).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { createLogger, FeatureStore, loadConfig, startEngine, startNatsServer, type ApiKey, type Engine } from '../engine/index.ts';
import { forwardOf } from '../models/intent/tf-model.ts';
import { encodeRow } from '../models/piecewise-linear.ts';
import { tfBackend } from '../models/tf-backend.ts';
import { buildApp } from '../serving/app.ts';
import type { FastifyInstance } from 'fastify';
import { registerStoreIntentModel, STORE_FEATURE_STATS, storeIntentModel, type StoreIntentModelOptions } from '../test/models/store-intent-model.ts';
import { EVENTS_RECIPE_BASE } from '../training/event-intent.ts';
import { perTurnBatch } from '../serving/turn-batch.ts';
import { holdCpuLatency } from './cpu-latency.ts';
import type { BenchReport } from './ingest.bench.ts';

export interface IntentBenchOptions {
  /** seconds of load per route (after a 1 s warm-up each) */
  seconds: number;
  connections: number;
  /** forward-pass iterations (predict runs a 50th of them) */
  iterations: number;
  /** alternating bare/intent load rounds; the best round of each is reported */
  rounds: number;
}

/**
 * The shape `iob train intent --events` registers (training/event-intent.ts EVENTS_RECIPE_BASE): every
 * subject and session feature of the store, each with a piecewise-linear encoding of the recipe's bins, the
 * recipe's wide-and-deep members. This is what serving runs.
 */
const STORE = new FeatureStore();
export const SERVED_SHAPE: StoreIntentModelOptions = {
  features: [...STORE.featureNames('subject'), ...STORE.featureNames('session')],
  hidden: EVENTS_RECIPE_BASE.hidden,
  members: EVENTS_RECIPE_BASE.members,
  activation: EVENTS_RECIPE_BASE.activation,
  bins: EVENTS_RECIPE_BASE.piecewiseLinear.bins,
  binned: Infinity,
  seed: 11,
};

/** Alternating measurement rounds (forward/predict, then bare/intent); each figure is its best round. */
const ROUNDS = 3;

const quiet = () => createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() }));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The middle value, or the mean of the two middle ones. */
function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Rows around the features' typical values (seeded), so no call sees a constant input; two in five values are
 * zero, as in store records (most short-window counts of a visitor are 0).
 */
function sampleRows(n: number, features: readonly string[]): Float64Array[] {
  const typical = features.map((f) => STORE_FEATURE_STATS.find(([name]) => name === f)?.[1] ?? 1);
  let s = 42;
  const rand = () => ((s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  return Array.from({ length: n }, () => Float64Array.from(typical, (m) => (rand() < 0.4 ? 0 : m * 2 * rand())));
}

async function forwardVsPredict(options: IntentBenchOptions, say: (line: string) => void) {
  const backend = await tfBackend();
  const { card, network } = await storeIntentModel('bench', SERVED_SHAPE);
  try {
    const forward = forwardOf(network, { architecture: card.architecture, standardization: card.normalization, calibration: card.calibration, encoding: card.encoding });
    const rows = sampleRows(256, card.features);
    // model.predict sees the encoded, standardized row (what the network's input is); the forward pass
    // starts from the raw row and does encoding and standardization itself, so it carries more work.
    const encodedWidth = card.architecture.inputs;
    const inputs = rows.map((r) => {
      const m = new Float32Array(encodedWidth);
      encodeRow(r, card.encoding, m);
      for (let i = 0; i < encodedWidth; i++) m[i] = (m[i]! - card.normalization.mean[i]!) / card.normalization.std[i]!;
      return m;
    });
    let sink = 0;
    const timeForward = (n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) sink += forward.score(rows[i & 255]!);
      return ((performance.now() - t0) * 1000) / n;
    };
    const contributions = new Float64Array(card.features.length);
    const timeReasons = (n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        sink += forward.explain(rows[i & 255]!, contributions) + contributions[0]!;
      }
      return ((performance.now() - t0) * 1000) / n;
    };
    const timePredict = (n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const x = tf.tensor2d(inputs[i & 255]!, [1, encodedWidth]);
        const y = network.predict(x) as tf.Tensor;
        sink += (y.dataSync() as Float32Array)[0]!;
        x.dispose();
        y.dispose();
      }
      return ((performance.now() - t0) * 1000) / n;
    };
    timeForward(options.iterations / 10);
    timeReasons(options.iterations / 10);
    timePredict(200);
    // Alternating rounds, best of each: on a shared machine the minimum is the least disturbed figure, and
    // alternation exposes both paths to the same moments of contention.
    let forwardUs = Infinity;
    let reasonsUs = Infinity;
    let predictUs = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      forwardUs = Math.min(forwardUs, timeForward(options.iterations / ROUNDS));
      reasonsUs = Math.min(reasonsUs, timeReasons(options.iterations / ROUNDS));
      predictUs = Math.min(predictUs, timePredict(Math.max(100, Math.round(options.iterations / 50 / ROUNDS))));
    }
    if (!Number.isFinite(sink)) throw new Error('non-finite scores');
    say(`one row, ${card.architecture.members} members × [${card.architecture.hidden.join(', ')}] ${card.architecture.activation}, ${card.features.length} features → ${encodedWidth} inputs; TF.js backend ${backend.name}`);
    return { forwardUs, reasonsUs, predictUs, backend: backend.name };
  } finally {
    network.dispose();
  }
}

export interface LoadResult {
  rps: number;
  clientP99Ms: number;
  errors: number;
  non2xx: number;
}

/** autocannon in a child process, JSON result. */
function autocannon(url: string, body: string, headers: Record<string, string>, seconds: number, connections: number): Promise<LoadResult> {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  const args = [bin, '-j', '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-b', body];
  for (const [k, v] of Object.entries({ 'content-type': 'application/json', ...headers })) args.push('-H', `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err.slice(-500)}`));
      const r = JSON.parse(out) as { requests: { average: number }; latency: { p99: number }; errors: number; non2xx: number };
      resolve({ rps: r.requests.average, clientP99Ms: r.latency.p99, errors: r.errors, non2xx: r.non2xx });
    });
  });
}

/**
 * `serverCpuUs`: this process's CPU time (user + system) per request answered while the path was loaded,
 * the least of the rounds. Load runs in a child process, so this is the server's work per request; on a
 * machine other jobs share it moves far less than req/s does.
 */
export type Measured = LoadResult & { serverP50Ms: number; serverP99Ms: number; serverCpuUs: number };

/** The baseline every route bench compares with: a bare route answering a constant at once. */
export const BARE = '/bench/bare';
/**
 * The same constant answered the way the scoring routes answer, at the end of the event-loop turn with the
 * turn's other requests (serving/turn-batch.ts): what deferring alone gives a route that does no work, so a
 * reader can tell the batching's gain from the scoring's cost.
 */
const BATCHED_BARE = '/bench/bare-batched';

/**
 * The served app plus `POST /bench/bare` and `POST /bench/bare-batched` answering `bareAnswer`, with each
 * request's server-side time recorded per route.
 */
export async function appWithBareRoute(
  deps: { engine: Engine; key: ApiKey; registry: string; bodyLimitBytes: number },
  route: string,
  bareAnswer: unknown,
): Promise<{ app: FastifyInstance; serverMs: Record<string, number[]> }> {
  const serverMs: Record<string, number[]> = { [route]: [], [BARE]: [], [BATCHED_BARE]: [] };
  const app = await buildApp({
    engine: deps.engine,
    apiKeys: [deps.key],
    log: quiet(),
    maxBatch: 1000,
    bodyLimitBytes: deps.bodyLimitBytes,
    registry: deps.registry,
    extend: (a) => {
      a.post(BARE, async () => bareAnswer);
      const answerInTurn = perTurnBatch(() => bareAnswer);
      a.post(BATCHED_BARE, () => answerInTurn());
      a.addHook('onResponse', async (req, reply) => {
        serverMs[req.routeOptions.url ?? '']?.push(reply.elapsedTime);
      });
    },
  });
  return { app, serverMs };
}

/**
 * Loads each path in turn (1 s warm-up each, then `rounds` rounds of `seconds` per path, the order alternating
 * between rounds), with the server-side times an onResponse hook collects into `serverMs[path]`; each path's
 * best round by req/s. The host's speed varies by up to 2× over fractions of a second (a plain multiply
 * loop shows it), and only ever downwards: many short rounds give each side its undisturbed best.
 */
async function alternateRoutes(
  base: string,
  paths: readonly string[],
  body: string,
  auth: Record<string, string>,
  options: { seconds: number; connections: number; rounds: number },
  serverMs: Record<string, number[]>,
  say: (line: string) => void,
): Promise<{ best: Record<string, Measured>; failed: number; pairedMedian: (path: string, against?: string) => number }> {
  const best: Record<string, Measured> = {};
  /** per round, each path's req/s */
  const perRound: Array<Record<string, number>> = [];
  let failed = 0;
  for (const path of paths) await autocannon(`${base}${path}`, body, auth, 1, options.connections);
  for (let r = 0; r < options.rounds; r++) {
    perRound.push({});
    // A slow stretch of the host (other tenants) lasts about as long as a round: alternating which path goes
    // first (ABBA) keeps a drift within a pair from always favouring the same side.
    for (const path of r % 2 === 0 ? paths : [...paths].reverse()) {
      serverMs[path]!.length = 0;
      const cpu0 = process.cpuUsage();
      const load = await autocannon(`${base}${path}`, body, auth, options.seconds, options.connections);
      const cpu = process.cpuUsage(cpu0);
      const times = serverMs[path]!;
      const cpuUs = (cpu.user + cpu.system) / Math.max(1, times.length);
      const measured = { ...load, serverP50Ms: percentile(times, 50), serverP99Ms: percentile(times, 99), serverCpuUs: Math.min(cpuUs, best[path]?.serverCpuUs ?? Infinity) };
      failed += load.errors + load.non2xx;
      perRound[r]![path] = load.rps;
      if (!best[path] || measured.rps > best[path].rps) best[path] = measured;
      else best[path].serverCpuUs = measured.serverCpuUs;
      say(`${path.padEnd(12)} ${Math.round(load.rps)} req/s, client p99 ${load.clientP99Ms} ms, server p50 ${round(measured.serverP50Ms, 3)} ms / p99 ${round(measured.serverP99Ms, 3)} ms, ${round(cpuUs, 1)} µs CPU each over ${times.length} requests (${load.errors} errors, ${load.non2xx} non-2xx)`);
    }
  }
  // The ratio of a path's req/s to the first path's (or another's) within each round (the loaded moments
  // apart), median over the rounds: less moved by one lucky or unlucky round than the best of each side.
  const paired = (path: string, against = paths[0]!) => perRound.map((r) => r[path]! / r[against]!);
  const pairedMedian = (path: string, against?: string) => median(paired(path, against));
  // Every round's ratio, so a reader sees the spread the host adds (±0.15 between rounds on a shared VM).
  const byRound = (path: string, against: string) => say(`${path} / ${against} by round: ${paired(path, against).map((x) => round(x, 2)).join(', ')} (median ${round(pairedMedian(path, against), 3)})`);
  for (const path of paths.slice(1)) byRound(path, paths[0]!);
  if (paths.includes(BATCHED_BARE)) for (const path of paths) if (path !== BARE && path !== BATCHED_BARE) byRound(path, BATCHED_BARE);
  return { best, failed, pairedMedian };
}

export type RouteComparison = Awaited<ReturnType<typeof alternateRoutes>>;

/**
 * Runs `measure` while this process holds a 0 µs CPU wake-up latency limit (bench/cpu-latency.ts): idle CPUs
 * poll instead of halting, so the server's answers no longer pay for waking the co-located load generator's
 * halted vCPU, which a caller on another machine would not cost it. Both sides of the comparison run under
 * it. Undefined, with the reason said, when the limit cannot be held (not root, not Linux).
 */
async function withIdleCpusPolling<T>(measure: () => Promise<T>, say: (line: string) => void): Promise<T | undefined> {
  let hold: ReturnType<typeof holdCpuLatency>;
  try {
    hold = holdCpuLatency(0);
  } catch (err) {
    say(`idle CPUs polling: not measured (${(err as Error).message})`);
    return undefined;
  }
  try {
    say('the same rounds with idle CPUs polling (a 0 µs CPU wake-up latency limit held, bench/cpu-latency.ts):');
    return await measure();
  } finally {
    hold.release();
  }
}

/**
 * `route` beside both bare routes (BARE first: the ratios' reference), in alternating rounds as the host is,
 * then with idle CPUs polling when the bench may hold the limit.
 */
export async function routeBesideBare(
  base: string,
  route: string,
  body: string,
  auth: Record<string, string>,
  options: { seconds: number; connections: number; rounds: number },
  serverMs: Record<string, number[]>,
  say: (line: string) => void,
): Promise<{ host: RouteComparison; polling: RouteComparison | undefined }> {
  const paths = [BARE, route, BATCHED_BARE];
  const host = await alternateRoutes(base, paths, body, auth, options, serverMs, say);
  const polling = await withIdleCpusPolling(() => alternateRoutes(base, paths, body, auth, options, serverMs, say), say);
  return { host, polling };
}

/**
 * The polling rounds' rows and ratios for `route` beside `/bench/bare` (none when they were not measured):
 * `<name>_vs_bare_rps_paired_median_idle_polling` and `<name>_server_p99_ms_idle_polling`.
 */
export function pollingFigures(name: string, route: string, label: string, polling: RouteComparison | undefined): Pick<BenchReport, 'rows' | 'ratios'> {
  if (polling === undefined) return { rows: [], ratios: {} };
  const served = polling.best[route]!;
  const bare = polling.best[BARE]!;
  return {
    rows: [
      { label: `idle CPUs polling: ${label}`, value: Math.round(served.rps), unit: 'req/s' },
      { label: 'idle CPUs polling: bare route', value: Math.round(bare.rps), unit: 'req/s' },
      { label: `idle CPUs polling: POST ${route} server-side p99`, value: round(served.serverP99Ms, 3), unit: 'ms' },
      { label: `idle CPUs polling: POST ${route} server CPU per request`, value: round(served.serverCpuUs, 1), unit: 'µs' },
      { label: 'idle CPUs polling: bare route server CPU per request', value: round(bare.serverCpuUs, 1), unit: 'µs' },
    ],
    ratios: {
      [`${name}_vs_bare_rps_paired_median_idle_polling`]: round(polling.pairedMedian(route), 3),
      [`${name}_server_p99_ms_idle_polling`]: round(served.serverP99Ms, 3),
    },
  };
}

/**
 * `route` beside the bare route answered per turn (BATCHED_BARE), under both conditions: its rows, and
 * `<name>_vs_batched_bare_rps_paired_median` (with `_idle_polling` when measured). The target compares with
 * the plain bare route; this says how much of the ratio is the batching's rather than the scoring's.
 */
export function batchedBareFigures(name: string, route: string, host: RouteComparison, polling: RouteComparison | undefined): Pick<BenchReport, 'rows' | 'ratios'> {
  const batched = host.best[BATCHED_BARE]!;
  return {
    rows: [
      { label: 'bare route answered per turn (as the scoring routes)', value: Math.round(batched.rps), unit: 'req/s' },
      { label: 'bare route answered per turn, server CPU per request', value: round(batched.serverCpuUs, 1), unit: 'µs' },
      ...(polling ? [{ label: 'idle CPUs polling: bare route answered per turn', value: Math.round(polling.best[BATCHED_BARE]!.rps), unit: 'req/s' }] : []),
    ],
    ratios: {
      [`${name}_vs_batched_bare_rps_paired_median`]: round(host.pairedMedian(route, BATCHED_BARE), 3),
      ...(polling ? { [`${name}_vs_batched_bare_rps_paired_median_idle_polling`]: round(polling.pairedMedian(route, BATCHED_BARE), 3) } : {}),
    },
  };
}

async function routeVsBare(options: IntentBenchOptions, say: (line: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'iob-bench-intent-'));
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  try {
    const registry = join(dir, 'models');
    await registerStoreIntentModel(registry, 'bench-v1', { ...SERVED_SHAPE, promote: true });
    const config = loadConfig({}, { natsUrl: server.url, dataDir: join(dir, 'data'), pseudonymKey: 'b'.repeat(32), logLevel: 'warn' });
    const key = { id: 'bench', key: 'bench-key-0123456789abcdef', scopes: ['score' as const, 'ingest' as const] };
    const engine = await startEngine({ config, log: quiet() });
    const { app, serverMs } = await appWithBareRoute({ engine, key, registry, bodyLimitBytes: config.bodyLimitBytes }, '/v1/intent', { score: 0.5 });
    try {
      // One consented shopper with a live session: the personalized path (features, forward, reasons).
      await engine.subjects.updateConsent('bench-shopper', { purposes: { personalization: true }, source: 'bench', at: 0 }, 'bench');
      const now = Date.now() - 5 * 60_000;
      const report = await engine.ingest(
        ['view', 'view', 'cart_add', 'view', 'search', 'view'].map((type, i) => ({ id: `bench-${i}`, ts: now + i * 20_000, subject: 'bench-shopper', session: 'bench-s', type, item: `sku-${i}`, price: 12, quantity: 1 })),
      );
      await engine.waitForSeq(report.lastSeq, 30_000);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const body = JSON.stringify({ subject: 'bench-shopper', session: 'bench-s' });
      const auth = { authorization: `Bearer ${key.key}` };
      const check = await fetch(`${base}/v1/intent`, { method: 'POST', body, headers: { ...auth, 'content-type': 'application/json' } });
      const answer = (await check.json()) as { personalized?: boolean; reasons?: unknown[] };
      if (!answer.personalized) throw new Error(`the bench request is not personalized: ${JSON.stringify(answer)}`);

      const { host, polling } = await routeBesideBare(base, '/v1/intent', body, auth, options, serverMs, say);
      return { intent: host.best['/v1/intent']!, bare: host.best[BARE]!, pairedRps: host.pairedMedian('/v1/intent'), failed: host.failed + (polling?.failed ?? 0), host, polling };
    } finally {
      await app.close();
      await engine.close();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchIntent(options: IntentBenchOptions, say: (line: string) => void): Promise<BenchReport> {
  const one = await forwardVsPredict(options, say);
  const http = await routeVsBare(options, say);
  const failed = http.failed;
  const polled = pollingFigures('intent', '/v1/intent', 'POST /v1/intent', http.polling);
  const batched = batchedBareFigures('intent', '/v1/intent', http.host, http.polling);
  return {
    name: 'intent',
    rows: [
      { label: 'pure-TS forward pass, one row', value: round(one.forwardUs, 2), unit: 'µs' },
      { label: 'pure-TS forward + reasons (what the route runs)', value: round(one.reasonsUs, 2), unit: 'µs' },
      { label: `TF.js model.predict, one row (${one.backend})`, value: round(one.predictUs, 1), unit: 'µs' },
      { label: 'POST /v1/intent', value: Math.round(http.intent.rps), unit: 'req/s' },
      { label: 'bare route (constant)', value: Math.round(http.bare.rps), unit: 'req/s' },
      { label: 'POST /v1/intent client p99 (whole ms, as autocannon records)', value: http.intent.clientP99Ms, unit: 'ms' },
      { label: 'bare route client p99 (whole ms, as autocannon records)', value: http.bare.clientP99Ms, unit: 'ms' },
      { label: 'POST /v1/intent server-side p50', value: round(http.intent.serverP50Ms, 3), unit: 'ms' },
      { label: 'POST /v1/intent server-side p99', value: round(http.intent.serverP99Ms, 3), unit: 'ms' },
      { label: 'bare route server-side p99', value: round(http.bare.serverP99Ms, 3), unit: 'ms' },
      { label: 'POST /v1/intent server CPU per request', value: round(http.intent.serverCpuUs, 1), unit: 'µs' },
      { label: 'bare route server CPU per request', value: round(http.bare.serverCpuUs, 1), unit: 'µs' },
      ...polled.rows,
      ...batched.rows,
      { label: 'failed requests (errors + non-2xx)', value: failed, unit: '' },
    ],
    ratios: {
      forward_vs_predict: round(one.predictUs / one.forwardUs, 1),
      forward_with_reasons_vs_predict: round(one.predictUs / one.reasonsUs, 1),
      intent_vs_bare_rps: round(http.intent.rps / http.bare.rps, 3),
      // the same per round (intent's round over the bare round beside it), median of the rounds
      intent_vs_bare_rps_paired_median: round(http.pairedRps, 3),
      // the same comparison in server CPU per request (bare / intent), which other jobs on the machine move less
      intent_vs_bare_server_cpu: round(http.bare.serverCpuUs / http.intent.serverCpuUs, 3),
      intent_server_p99_ms: round(http.intent.serverP99Ms, 3),
      ...polled.ratios,
      ...batched.ratios,
    },
  };
}
