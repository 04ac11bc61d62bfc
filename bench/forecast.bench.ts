/**
 * Demand forecasts, measured side by side in one run:
 *   (a) series fitted + forecast per second over synthetic daily series (default 10k × 2 years, horizon
 *       28): the global network (training on all series, then one forward pass per series) beside the
 *       exponential-smoothing baseline (one Holt-Winters fit + forecast per series), on the same series;
 *   (b) `GET /v1/forecasts` (auth, query validation, lookup in the published document; the answer is
 *       serialized once per refresh and series) req/s beside a bare Fastify route sending the same bytes,
 *       both in this process, loaded by autocannon in a child process (so the load generator does not
 *       share the server's event loop).
 * Ratios: model series/s over ETS series/s; forecast-route req/s over bare req/s.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify from 'fastify';
import { Rng } from '../datasets/random.ts';
import { createLogger, loadConfig, startEngine, startNatsServer, type ForecastDocument } from '../engine/index.ts';
import { FORECAST_CARD_SCHEMA_VERSION, type ForecastModelCard } from '../models/forecast/card.ts';
import { featureNames } from '../models/forecast/features.ts';
import { Forecaster } from '../models/forecast/forecaster.ts';
import { forwardOf } from '../models/forecast/tf-model.ts';
import { tfBackend } from '../models/tf-backend.ts';
import { buildApp } from '../serving/app.ts';
import { exponentialSmoothing } from '../training/forecast/baselines.ts';
import { computeForecasts } from '../training/forecast/refresh.ts';
import { parseDay } from '../models/forecast/calendar.ts';
import type { SeriesSet } from '../training/forecast/series.ts';
import { hyperparametersSchema, trainAt } from '../training/forecast/train-forecast.ts';
import type { BenchReport } from './ingest.bench.ts';

export interface ForecastBenchOptions {
  series: number;
  days: number;
  horizon: number;
  /** most training epochs (the recipe's early stopping may use fewer) */
  maxEpochs: number;
  /** seconds of HTTP load per route */
  seconds: number;
  connections: number;
}

/** Daily demand: level × weekly profile × yearly swing × trend, Poisson noise; a fifth of series intermittent. */
export function syntheticDemand(series: number, days: number, seed = 7): SeriesSet {
  const rng = new Rng(seed, 0xf0c);
  const out: SeriesSet = { freq: 'day', start: parseDay('2023-01-02') as number, length: days, series: [], notes: [], source: `synthetic ${series} × ${days} days` };
  for (let s = 0; s < series; s++) {
    const intermittent = rng.float() < 0.2;
    const level = intermittent ? rng.between(0.1, 0.8) : Math.exp(rng.between(0, 4));
    const weekly = Array.from({ length: 7 }, () => 1 + rng.between(-0.4, 0.4));
    const swing = rng.between(0, 0.5);
    const phase = rng.between(0, 2 * Math.PI);
    const trend = rng.between(-0.5, 0.8) / days;
    const values = new Float64Array(days);
    for (let t = 0; t < days; t++) {
      const mean = level * (weekly[t % 7] as number) * (1 + swing * Math.sin((2 * Math.PI * t) / 364 + phase)) * Math.max(0.1, 1 + trend * t);
      values[t] = rng.poisson(mean);
    }
    out.series.push({ key: `item:s${s}`, values });
  }
  return out;
}

export async function benchForecast(options: ForecastBenchOptions, say: (line: string) => void): Promise<BenchReport> {
  const set = syntheticDemand(options.series, options.days);
  const H = options.horizon;
  say(`${options.series} synthetic daily series × ${options.days} days, horizon ${H}`);

  // (a) ETS: fit + forecast, series by series.
  const e0 = performance.now();
  let sink = 0;
  for (const s of set.series) sink += exponentialSmoothing(s.values, H, 7).p50[0] as number;
  const etsSeconds = (performance.now() - e0) / 1000;
  const etsRate = options.series / etsSeconds;
  say(`ETS (Holt-Winters, damped, seasonal): ${etsSeconds.toFixed(1)} s, ${etsRate.toFixed(0)} series/s [${sink.toFixed(0)}]`);

  // (a) the global network: one training run over every series, then a forward pass per series.
  const { tf, name: backend } = await tfBackend();
  const hyper = hyperparametersSchema.parse({ maxEpochs: options.maxEpochs });
  const noBar = { increment: () => undefined, stop: () => undefined };
  const t0 = performance.now();
  const trained = await trainAt(tf, set, H, hyper, set.length, 42, noBar as never);
  const fitSeconds = (performance.now() - t0) / 1000;
  const forecaster = new Forecaster(trained.spec, forwardOf(trained.fitted.network.ensemble, trained.fitted.architecture), trained.fitted.calibration);
  const lastDay = set.start + set.length - 1;
  const f0 = performance.now();
  for (const s of set.series) sink += forecaster.forecast(s.values, lastDay).p50[0] as number;
  const forecastSeconds = (performance.now() - f0) / 1000;
  const modelRate = options.series / (fitSeconds + forecastSeconds);
  say(`model (${backend}): training ${fitSeconds.toFixed(1)} s (${trained.rows} rows, ${trained.fitted.epochs} epochs), forecasts ${forecastSeconds.toFixed(2)} s (${(options.series / forecastSeconds).toFixed(0)} series/s); fitted + forecast ${modelRate.toFixed(0)} series/s`);

  // (b) the route beside bare Fastify, on a published document of these series.
  const card = benchCard(trained, H);
  const doc = computeForecasts(set, { card, forecaster }, { backtest: false });
  trained.fitted.network.ensemble.dispose();
  const http = await routeVsBare(doc, options, say);

  return {
    name: 'forecast',
    rows: [
      { label: 'ETS fit + forecast', value: Math.round(etsRate), unit: 'series/s' },
      { label: 'model training (all series)', value: Number(fitSeconds.toFixed(1)), unit: 's' },
      { label: 'model forecast only', value: Math.round(options.series / forecastSeconds), unit: 'series/s' },
      { label: 'model fitted + forecast', value: Math.round(modelRate), unit: 'series/s' },
      { label: 'GET /v1/forecasts', value: Math.round(http.route), unit: 'req/s' },
      { label: 'bare Fastify (same JSON)', value: Math.round(http.bare), unit: 'req/s' },
    ],
    ratios: {
      model_series_per_s_over_ets: Number((modelRate / etsRate).toFixed(3)),
      forecast_route_rps_over_bare: Number((http.route / http.bare).toFixed(3)),
    },
  };
}

function benchCard(trained: Awaited<ReturnType<typeof trainAt>>, H: number): ForecastModelCard {
  const none = { wape: null, mase: null, coverage_80: null, pinball: { p10: null, p50: null, p90: null, mean: null } };
  return {
    schemaVersion: FORECAST_CARD_SCHEMA_VERSION,
    task: 'forecast',
    version: 'bench',
    createdAt: new Date().toISOString(),
    purposes: ['forecasting'],
    features: featureNames(trained.spec),
    featureSpec: trained.spec,
    architecture: trained.fitted.architecture,
    calibration: { ...trained.fitted.calibration, fittedOn: 'bench' },
    training: { source: 'bench', dataHash: '', series: 0, samples: trained.rows, seed: 42, backend: '', seconds: 0, hyperparameters: {} },
    split: { horizon: H },
    metrics: { model: none, baselines: {} },
  };
}

async function routeVsBare(doc: ForecastDocument, options: ForecastBenchOptions, say: (line: string) => void): Promise<{ route: number; bare: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'iob-bench-forecast-'));
  const server = await startNatsServer({ storeDir: join(dir, 'nats') });
  const key = { id: 'bench', key: 'bench-forecast-key-0123456789', scopes: ['forecast:read' as const] };
  const config = loadConfig({}, { natsUrl: server.url, dataDir: join(dir, 'data'), pseudonymKey: 'f'.repeat(32), logLevel: 'warn', forecastRefresh: 'off' });
  const log = createLogger('warn');
  mkdirSync(join(config.dataDir, 'snapshots'), { recursive: true }); // the engine's close-time snapshot writes here
  const engine = await startEngine({ config, log });
  const app = await buildApp({ engine, apiKeys: [key], log, maxBatch: 1000, bodyLimitBytes: config.bodyLimitBytes });
  const bare = Fastify();
  try {
    await engine.forecasts.publish(doc);
    const id = doc.series[0]?.id as string;
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const path = `/v1/forecasts?item=${encodeURIComponent(id)}`;
    // The same bytes, already serialized: the ratio is what auth, validation and lookup cost.
    const same = (await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key.key}` } })).body;
    bare.get('/bare', async (_req, reply) => reply.type('application/json; charset=utf-8').send(same));
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    const route = await load(`${url}${path}`, { authorization: `Bearer ${key.key}` }, options);
    const plain = await load(`${bareUrl}/bare`, {}, options);
    say(`GET /v1/forecasts ${route.toFixed(0)} req/s; bare Fastify, same JSON ${plain.toFixed(0)} req/s (${options.connections} connections, ${options.seconds} s each)`);
    return { route, bare: plain };
  } finally {
    await bare.close();
    await app.close();
    await engine.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** autocannon in a child process; average req/s of 2xx answers (anything else fails the bench). */
function load(url: string, headers: Record<string, string>, options: ForecastBenchOptions): Promise<number> {
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  const args = [bin, '-j', '-c', String(options.connections), '-d', String(options.seconds)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out) as { requests: { average: number }; non2xx: number; errors: number };
      if (r.non2xx > 0 || r.errors > 0) return reject(new Error(`${url}: ${r.non2xx} non-2xx answers, ${r.errors} errors`));
      resolve(r.requests.average);
    });
  });
}
