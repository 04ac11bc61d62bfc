/**
 * Forecast refresh: forecasts for every item and category with the serving model of the registry, each
 * beside a last-window backtest of the model and the baselines, published to the forecast store
 * (engine/forecast-store.ts) that every serving process follows. Run by `iob forecast refresh` and by the
 * running engine's schedule (`IOB_FORECAST_REFRESH`, cli/start.ts).
 *
 * Series come from the engine's demand history views (purpose `forecasting`: units per item and category
 * per day, summed over everyone) or from a file; nothing in this path reads or writes subject-level data.
 *
 * The per-series backtest holds out the last H periods and forecasts them from the periods before. The
 * serving model may have been trained on those periods (it is not refitted per refresh), so the figure is
 * a health check of the published numbers; the model's honest holdout accuracy is the model card's, which
 * the document carries beside it.
 */
import type { ForecastAccuracy, ForecastDocument, ForecastKind, ForecastStore, Logger, SeriesForecast } from '../../engine/index.ts';
import { formatDay, seasonLength } from '../../models/forecast/calendar.ts';
import { demandValue } from '../../models/forecast/features.ts';
import { loadForecaster, type LoadedForecastModel } from '../../models/forecast/load.ts';
import { servingVersion, versionDir } from '../../models/registry.ts';
import { BASELINES, BASELINE_NAMES } from './baselines.ts';
import { AccuracyAccumulator, seasonalNaiveMae, type Accuracy } from './metrics.ts';
import { DemandTotals, periodDay, type SeriesSet } from './series.ts';

/** Periods of history a published series keeps for charts: a year. */
export const PUBLISHED_HISTORY = { day: 364, week: 52 } as const;

export const FORECAST_TASK = 'forecast';

/** What `demandHistory` gives for one entity (engine/features), and the store's key listing. */
export interface DemandHistorySource {
  keys(entity: 'item' | 'category'): string[];
  demandHistory(entity: 'item' | 'category', key: string): { days: Int32Array; units: Float64Array };
}

/** Daily series of every item and category the engine's demand history views hold. */
export function seriesFromDemandHistory(store: DemandHistorySource): SeriesSet {
  const totals = new DemandTotals();
  for (const entity of ['item', 'category'] as const) {
    for (const key of store.keys(entity)) {
      const h = store.demandHistory(entity, key);
      for (let i = 0; i < h.days.length; i++) totals.add(`${entity}:${key}`, h.days[i] as number, h.units[i] as number);
    }
  }
  return totals.toSeriesSet('day', 'engine', [`${totals.seriesCount} item and category demand histories`]);
}

/** `item:<id>` / `category:<name>` keys name their kind; a bare series-file name is an item. */
export function splitSeriesKey(key: string): { kind: ForecastKind; id: string } {
  if (key.startsWith('category:')) return { kind: 'category', id: key.slice('category:'.length) };
  if (key.startsWith('item:')) return { kind: 'item', id: key.slice('item:'.length) };
  return { kind: 'item', id: key };
}

/** Loads the registry's serving forecast model; a clear error when none serves. */
export async function loadServingForecaster(registryDir: string): Promise<LoadedForecastModel> {
  const version = await servingVersion(registryDir, FORECAST_TASK);
  if (version === undefined) throw new Error(`no forecast model serves in ${registryDir}: train one first (iob train forecast … --promote)`);
  return loadForecaster(versionDir(registryDir, FORECAST_TASK, version));
}

function accuracyOf(a: Accuracy): ForecastAccuracy {
  const r = (v: number) => (Number.isFinite(v) ? Math.round(v * 10_000) / 10_000 : Number.NaN);
  return { wape: r(a.wape), mase: r(a.mase), coverage_80: r(a.coverage_80) };
}

function cardAccuracy(a: { wape: number | null; mase: number | null; coverage_80: number | null }): ForecastAccuracy {
  return { wape: a.wape ?? Number.NaN, mase: a.mase ?? Number.NaN, coverage_80: a.coverage_80 ?? Number.NaN };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** The first published figure of a series that is not a finite number (JSON and the routes' schemas have none). */
function nonFiniteField(e: SeriesForecast): string | undefined {
  for (const name of ['history', 'p10', 'p50', 'p90'] as const) if (!e[name].every(Number.isFinite)) return name;
  for (const name of ['volume', 'recent', 'change'] as const) if (!Number.isFinite(e[name])) return name;
  return undefined;
}

export interface ComputeOptions {
  /** last-window backtest beside the baselines (default true) */
  backtest?: boolean;
  now?: () => Date;
  onSeries?: () => void;
}

/** Forecasts (and backtests) every series of the set with the loaded model: the document to publish. */
export function computeForecasts(set: SeriesSet, model: LoadedForecastModel, options: ComputeOptions = {}): ForecastDocument {
  const steps = forecastSteps(set, model, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same, giving the event loop a turn every `every` series: the engine refreshes inside the serving
 * process, and ETS backtests of 10k series take tens of seconds that requests must not wait behind.
 */
export async function computeForecastsYielding(set: SeriesSet, model: LoadedForecastModel, options: ComputeOptions = {}, every = 16): Promise<ForecastDocument> {
  const steps = forecastSteps(set, model, options);
  for (let n = 1; ; n++) {
    const step = steps.next();
    if (step.done) return step.value;
    if (n % every === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One series per step; returns the document. */
function* forecastSteps(set: SeriesSet, model: LoadedForecastModel, options: ComputeOptions): Generator<void, ForecastDocument, void> {
  const { card, forecaster } = model;
  if (card.featureSpec.freq !== set.freq) throw new Error(`the serving model forecasts ${card.featureSpec.freq === 'day' ? 'daily' : 'weekly'} series; these are ${set.freq === 'day' ? 'daily' : 'weekly'}`);
  const H = forecaster.horizon;
  const season = seasonLength(set.freq);
  const cut = set.length - H;
  const backtest = (options.backtest ?? true) && cut >= season + 1;
  const methods = ['model', ...BASELINE_NAMES] as const;
  const overall = new Map(methods.map((m) => [m, new AccuracyAccumulator()]));
  const lastDay = periodDay(set, set.length - 1);
  const keep = PUBLISHED_HISTORY[set.freq];
  const series: SeriesForecast[] = [];
  for (const s of set.series) {
    const fitted = Float64Array.from(s.values, demandValue);
    const f = forecaster.forecast(fitted, lastDay);
    const from = Math.max(0, set.length - keep);
    const history = Array.from(s.values.subarray(from), round2);
    let volume = 0;
    for (const v of history) volume += v;
    let recent = 0;
    for (let i = Math.max(0, set.length - H); i < set.length; i++) recent += s.values[i] as number;
    let expected = 0;
    for (const v of f.p50) expected += v;
    const entry: SeriesForecast = {
      ...splitSeriesKey(s.key),
      historyStart: periodDay(set, from),
      history,
      forecastStart: periodDay(set, set.length),
      p10: Array.from(f.p10, round2),
      p50: Array.from(f.p50, round2),
      p90: Array.from(f.p90, round2),
      volume: round2(volume),
      recent: round2(recent),
      change: round2(expected - recent),
    };
    const broken = nonFiniteField(entry);
    if (broken !== undefined) throw new RangeError(`series ${s.key}: its ${broken} is not a finite number; nothing was published`);
    if (backtest) {
      const past = fitted.subarray(0, cut);
      const actual = s.values.subarray(cut);
      const scale = seasonalNaiveMae(past, season);
      entry.backtest = {};
      for (const m of methods) {
        const forecast = m === 'model' ? forecaster.forecast(past, periodDay(set, cut - 1)) : BASELINES[m](past, H, season);
        const one = new AccuracyAccumulator();
        one.add(actual, forecast, scale);
        overall.get(m)?.add(actual, forecast, scale);
        entry.backtest[m] = accuracyOf(one.result());
      }
    }
    series.push(entry);
    options.onSeries?.();
    yield;
  }
  const holdout: Record<string, ForecastAccuracy> = { model: cardAccuracy(card.metrics.model) };
  for (const [name, a] of Object.entries(card.metrics.baselines)) holdout[name] = cardAccuracy(a);
  const split = card.split as { holdout?: { from?: unknown; to?: unknown } };
  const window = typeof split.holdout?.from === 'string' && typeof split.holdout.to === 'string' ? { from: split.holdout.from, to: split.holdout.to } : undefined;
  const doc: ForecastDocument = {
    generatedAt: (options.now ?? (() => new Date()))().toISOString(),
    freq: set.freq,
    horizon: H,
    source: set.source,
    model: { version: card.version, holdout, ...(window ? { holdoutWindow: window } : {}) },
    series,
  };
  if (backtest) {
    doc.backtest = {
      from: formatDay(periodDay(set, cut)),
      to: formatDay(lastDay),
      accuracy: Object.fromEntries(methods.map((m) => [m, accuracyOf((overall.get(m) as AccuracyAccumulator).result())])),
    };
  }
  return doc;
}

export interface RefreshResult {
  generatedAt: string;
  version: string;
  series: number;
  items: number;
  categories: number;
  seconds: number;
}

/** Computes and publishes; returns what was published. */
export async function refreshForecasts(set: SeriesSet, registryDir: string, store: Pick<ForecastStore, 'publish'>, options: ComputeOptions = {}): Promise<RefreshResult> {
  const started = Date.now();
  const model = await loadServingForecaster(registryDir);
  const doc = await computeForecastsYielding(set, model, options);
  await store.publish(doc);
  const items = doc.series.filter((s) => s.kind === 'item').length;
  return { generatedAt: doc.generatedAt, version: doc.model.version, series: doc.series.length, items, categories: doc.series.length - items, seconds: (Date.now() - started) / 1000 };
}

/**
 * Milliseconds from `now` to the next `HH:MM` UTC.
 */
export function msUntil(at: string, now = new Date()): number {
  const [h, m] = at.split(':').map(Number) as [number, number];
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), h, m));
  if (next.getTime() <= now.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next.getTime() - now.getTime();
}

/**
 * The engine's schedule: a refresh from its own demand history every day at `at` (UTC), and once at start
 * when nothing is published yet and a model serves. A failed refresh is logged and the previous forecasts
 * keep serving. Returns a stop function.
 */
export function scheduleForecastRefresh(options: {
  at: string;
  registryDir: string;
  demand: DemandHistorySource;
  store: ForecastStore;
  log: Logger;
  /** run once now when the store holds no document (default true) */
  initial?: boolean;
  /**
   * Whether this process should refresh now (default: always). Partitioned workers all hold the whole
   * demand history, so only one of them — the holder of partition 0 — publishes.
   */
  leader?: () => boolean;
}): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async (why: string) => {
    if (options.leader && !options.leader()) return options.log.debug({ why }, 'forecast refresh left to the worker holding partition 0');
    try {
      if ((await servingVersion(options.registryDir, FORECAST_TASK)) === undefined) {
        return options.log.info({ why }, 'forecast refresh skipped: no forecast model serves yet (iob train forecast … --promote)');
      }
      const set = seriesFromDemandHistory(options.demand);
      if (set.series.length === 0) return options.log.info({ why }, 'forecast refresh skipped: no demand history yet');
      const result = await refreshForecasts(set, options.registryDir, options.store);
      options.log.info({ why, ...result }, 'forecasts refreshed');
    } catch (err) {
      options.log.warn({ why, err: err instanceof Error ? err.message : String(err) }, 'forecast refresh failed; previous forecasts keep serving');
    }
  };
  const arm = () => {
    if (stopped) return;
    timer = setTimeout(() => void run('schedule').finally(arm), msUntil(options.at));
    timer.unref();
  };
  if ((options.initial ?? true) && options.store.current() === undefined) void run('start');
  arm();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
