/**
 * `iob train forecast`: loads demand series (canonical events, a series file, or one of the real sets),
 * holds out the last H periods of every series, trains the global quantile network on the rest, scores it
 * beside seasonal naive, exponential smoothing and the historical mean on the holdout (and on earlier
 * windows with `backtests` > 1, each refitted on its own past only), saves the model with its card, and
 * writes an HTML report. Returns the summary that `--json` prints.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { IobError } from '../../engine/index.ts';
import { formatDay, type Freq } from '../../models/forecast/calendar.ts';
import { FORECAST_CARD_SCHEMA_VERSION, type ForecastModelCard } from '../../models/forecast/card.ts';
import { defaultFeatureSpec, featureNames, type FeatureSpec } from '../../models/forecast/features.ts';
import { Forecaster } from '../../models/forecast/forecaster.ts';
import { forwardOf, namedWeightsOf, saveForecastModel } from '../../models/forecast/tf-model.ts';
import { promote, registerVersion, servingVersion, versionName } from '../../models/registry.ts';
import { tfBackend } from '../../models/tf-backend.ts';
import { prepareOutputFolders } from '../output-folders.ts';
import type { BaselineName } from './baselines.ts';
import { evaluateOrigin, type OriginEvaluation } from './evaluate.ts';
import { batchSizeFor, fitForecastNetwork, type FittedNetwork } from './fit-network.ts';
import type { Accuracy } from './metrics.ts';
import { createProgressBar, type ProgressBar } from './progress.ts';
import { loadRealDataset, REAL_DATASETS } from './real-datasets.ts';
import { renderForecastReport } from './report.ts';
import { buildSamples } from './samples.ts';
import { periodDay, readEventSeries, readSeriesFile, type SeriesSet } from './series.ts';

export const MAX_HORIZON: Record<Freq, number> = { day: 28, week: 52 };

export const hyperparametersSchema = z.object({
  hidden: z.array(z.number().int().positive()).min(1).default([64, 64]),
  members: z.number().int().min(1).max(10).default(2),
  /** most epochs the probe may run (early stopping picks the count every member then trains for) */
  maxEpochs: z.number().int().min(1).default(30),
  patience: z.number().int().min(1).default(4),
  /** epochs when the history leaves no room for validation */
  defaultEpochs: z.number().int().min(1).default(10),
  /** largest mini-batch; small data sets get smaller ones (about 100 steps an epoch) */
  batchSize: z.number().int().min(8).default(512),
  learningRate: z.number().positive().default(2e-3),
  /** training rows kept (uniform sub-sample of all series × origins) */
  maxRows: z.number().int().min(100).default(60_000),
  /** origins per series held back for early stopping and interval calibration */
  validationOrigins: z.number().int().min(0).default(14),
  /** row weight = scale^p: 1 weighs series by volume, as WAPE does */
  weightPower: z.number().min(0).max(2).default(1),
});

export type ForecastHyperparameters = z.infer<typeof hyperparametersSchema>;

export const trainForecastOptionsSchema = z
  .object({
    events: z.string().min(1).optional(),
    series: z.string().min(1).optional(),
    dataset: z.enum(REAL_DATASETS).optional(),
    horizon: z.number().int().min(1).max(MAX_HORIZON.week).default(28),
    /** unset: daily for events and datasets, detected for a series file */
    freq: z.enum(['day', 'week']).optional(),
    backtests: z.number().int().min(1).max(12).default(1),
    seed: z.number().int().default(42),
    reportsDir: z.string().default('reports'),
    registryDir: z.string().default(join('data', 'models')),
    /** make the new version the serving one (default: only when no version serves yet) */
    promote: z.boolean().optional(),
    /** folder of the shared real data sets (default: IOB_SHARED_DATA or ../shared/data) */
    dataDir: z.string().optional(),
    hyperparameters: hyperparametersSchema.partial().default({}),
  })
  .refine((o) => [o.events, o.series, o.dataset].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of --events, --series or --dataset',
    path: ['events'],
  });

export type TrainForecastOptions = z.input<typeof trainForecastOptionsSchema>;

type Metrics = Pick<Accuracy, 'wape' | 'mase' | 'coverage_80' | 'pinball'>;

export interface TrainForecastSummary {
  task: 'forecast';
  model: Metrics;
  baselines: Record<BaselineName, Metrics>;
  split: {
    freq: Freq;
    horizon: number;
    series: number;
    periods: number;
    fit: { from: string; to: string };
    holdout: { from: string; to: string };
  };
  backtest?: { windows: number; model: Metrics; baselines: Record<BaselineName, Metrics>; folds: Array<{ from: string; model: Metrics; baselines: Record<BaselineName, Metrics> }> };
  version: string;
  /** whether this version now serves */
  promoted: boolean;
  modelDir: string;
  report: string;
  backend: string;
  seconds: number;
}

/** One line of human-readable progress (stdout of the CLI; `--json` keeps it off the last line). */
export type Say = (line: string) => void;

/** What the CLI may pass in: its own progress bar (cli/progress.ts) and a clock (tests pin it). */
export interface TrainForecastHooks {
  progress?: (label: string, unit: string, total: number) => ProgressBar;
  now?: () => Date;
}

const TASK = 'forecast';

/** Options that are `iob train forecast` flags of the same name; the others (folders, hyperparameters) are named as in code. */
const FLAGS = new Set(['events', 'series', 'dataset', 'horizon', 'freq', 'backtests', 'seed', 'promote']);
const flagOf = (option: string): string => (FLAGS.has(option) ? `--${option}` : option);

export async function runTrainForecast(input: TrainForecastOptions, say: Say = () => undefined, hooks: TrainForecastHooks = {}): Promise<TrainForecastSummary> {
  const parsed = trainForecastOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: flagOf(i.path.join('.')), reason: i.code, message: i.message }));
    throw new IobError('IOB_ERR_VALIDATION', `train forecast: ${problems.map((p) => `${p.path || '(options)'} ${p.message}`).join('; ')}`, problems);
  }
  const options = parsed.data;
  // Both folders live in the data dir (`iob train forecast --data-dir`): the flag a user can change.
  await prepareOutputFolders([
    { flag: '--data-dir', path: resolve(options.registryDir) },
    { flag: '--data-dir', path: resolve(options.reportsDir) },
  ]);
  const hyper = hyperparametersSchema.parse(options.hyperparameters);
  const started = Date.now();

  const set = await loadSeries(options);
  const H = options.horizon;
  checkHorizon(set, H);
  say(`${set.source}: ${set.series.length} series × ${set.length} ${set.freq === 'day' ? 'days' : 'weeks'} from ${formatDay(set.start)}`);
  for (const note of set.notes) say(`  ${note}`);

  const { tf, name: backend, fallbacks } = await tfBackend();
  const cuts = foldCuts(set, H, options.backtests);
  if (cuts.length < options.backtests) say(`  only ${cuts.length} backtest window(s) fit in the history`);
  const total = cuts.length * progressPerWindow(hyper);
  const bar = hooks.progress?.('train forecast', 'epochs', total) ?? createProgressBar('train forecast', total);

  const folds: OriginEvaluation[] = [];
  let main: { fitted: FittedNetwork; spec: FeatureSpec; rows: number; validationRows: number; seconds: number } | undefined;
  try {
    for (const [k, cut] of cuts.entries()) {
      const foldStart = Date.now();
      const trained = await trainAt(tf, set, H, hyper, cut, options.seed + k, bar);
      const forecaster = new Forecaster(trained.spec, forwardOf(trained.fitted.network.ensemble, trained.fitted.architecture), trained.fitted.calibration);
      folds.push(evaluateOrigin(set, cut, H, forecaster));
      const seconds = (Date.now() - foldStart) / 1000;
      say(`  window from ${formatDay(periodDay(set, cut))}: ${trained.rows} training rows, ${trained.fitted.epochs} epochs, ${seconds.toFixed(1)} s`);
      if (k === 0) main = { ...trained, seconds };
      else trained.fitted.network.ensemble.dispose();
    }
  } finally {
    bar.stop();
  }
  if (main === undefined) throw new Error('no training window'); // foldCuts always yields the holdout window
  const evaluation = folds[0] as OriginEvaluation;

  const created = (hooks.now ?? (() => new Date()))();
  const createdAt = created.toISOString();
  const dataHash = hashSeries(set, evaluation.cut);
  const version = versionName(created, weightsHash(namedWeightsOf(main.fitted.network.ensemble)));
  const summary = summarize(set, H, evaluation, folds);
  const registry = resolve(options.registryDir);
  const reportPath = resolve(options.reportsDir, `${TASK}-${version}.html`);
  const facts = [
    `backend ${backend}${fallbacks.length > 0 ? ` (${fallbacks.join('; ')})` : ''}`,
    `features: ${main.spec.yearly ? 'with' : 'without'} year-ago and yearly-calendar inputs (${main.spec.yearly ? 'two years of history or more' : 'less than two years of history'})`,
    `${main.rows} training rows, ${main.validationRows} validation rows; ${hyper.members} member(s) of ${hyper.hidden.join('×')} ReLU units; ${main.fitted.epochs} epochs (chosen by early stopping of a probe ensemble trained on older rows)`,
    main.validationRows > 0
      ? `interval calibration (validation rows, transferred from the probe): p10 gap × ${main.fitted.calibration.low.toFixed(2)}, p90 gap × ${main.fitted.calibration.high.toFixed(2)}`
      : `no validation rows (short history): ${main.fitted.epochs} fixed epochs, intervals uncalibrated`,
    `training and evaluation of the holdout window took ${main.seconds.toFixed(1)} s`,
  ];

  const card: ForecastModelCard = {
    schemaVersion: FORECAST_CARD_SCHEMA_VERSION,
    task: TASK,
    version,
    createdAt,
    purposes: ['forecasting'],
    features: featureNames(main.spec),
    featureSpec: main.spec,
    architecture: main.fitted.architecture,
    calibration: {
      ...main.fitted.calibration,
      fittedOn:
        main.validationRows > 0
          ? `${main.validationRows} validation rows (the last ${hyper.validationOrigins} origins whose targets end before the holdout) scored by a probe ensemble, transferred to this one through in-sample miss rates; the probe's own: p10 gap × ${main.fitted.probeCalibration.low.toFixed(3)}, p90 gap × ${main.fitted.probeCalibration.high.toFixed(3)}`
          : 'not calibrated: the history left no room for validation rows',
    },
    training: {
      source: set.source,
      dataHash: `sha256:${dataHash}`,
      series: set.series.length,
      samples: main.rows,
      seed: options.seed,
      backend,
      seconds: main.seconds,
      hyperparameters: { ...hyper, epochs: main.fitted.epochs },
    },
    split: summary.split,
    metrics: { model: summary.model, baselines: summary.baselines, ...(summary.backtest ? { backtest: summary.backtest } : {}) },
  };
  const network = main.fitted.network.ensemble;
  const modelDir = await registerVersion(registry, TASK, version, (dir) => saveForecastModel(tf, dir, network, card)).finally(() => network.dispose());
  const serving = await servingVersion(registry, TASK);
  const promoted = options.promote ?? serving === undefined;
  if (promoted) await promote(registry, TASK, version);
  await writeFile(reportPath, renderReport(set, H, version, createdAt, evaluation, folds, facts));

  const ratio = summary.model.wape / Math.min(...Object.values(summary.baselines).map((b) => b.wape));
  say(`holdout WAPE model ${fmt(summary.model.wape)} | snaive ${fmt(summary.baselines.snaive.wape)} ets ${fmt(summary.baselines.ets.wape)} mean ${fmt(summary.baselines.mean.wape)} (model ÷ best baseline ${fmt(ratio)}); coverage p10–p90 ${fmt(summary.model.coverage_80 * 100, 1)}%`);
  say(`registered ${TASK} ${version} in ${registry}${promoted ? ' (now serving)' : `; serving stays ${serving} (promote with: iob models promote ${TASK} ${version})`}`);
  say(`report ${reportPath}`);
  return { task: TASK, ...summary, version, promoted, modelDir, report: reportPath, backend, seconds: round((Date.now() - started) / 1000, 1) };
}

async function loadSeries(options: z.output<typeof trainForecastOptionsSchema>): Promise<SeriesSet> {
  if (options.events !== undefined) return readEventSeries(options.events, options.freq === undefined ? {} : { freq: options.freq });
  if (options.series !== undefined) return readSeriesFile(options.series, options.freq === undefined ? {} : { freq: options.freq });
  const set = await loadRealDataset(options.dataset as (typeof REAL_DATASETS)[number], options.dataDir);
  if (options.freq === 'week') throw new IobError('IOB_ERR_VALIDATION', `${options.dataset} is daily; use --series with weekly data`);
  return set;
}

function checkHorizon(set: SeriesSet, H: number): void {
  const unit = set.freq === 'day' ? 'days' : 'weeks';
  if (H > MAX_HORIZON[set.freq]) {
    throw new IobError('IOB_ERR_VALIDATION', `horizon ${H} is out of range for ${set.freq === 'day' ? 'daily' : 'weekly'} data: 1..${MAX_HORIZON[set.freq]} ${unit}`, [
      { path: 'horizon', reason: 'out_of_range', message: `must be 1..${MAX_HORIZON[set.freq]}` },
    ]);
  }
  if (set.length < 2 * H + 1) {
    throw new IobError('IOB_ERR_VALIDATION', `the series span ${set.length} ${unit}: holding out ${H} leaves too little to learn from; need at least ${2 * H + 1} ${unit} (or a shorter horizon)`, [
      { path: 'horizon', reason: 'history_too_short', message: `needs at least ${2 * H + 1} periods of data` },
    ]);
  }
}

/** Forecast origins, newest first: the holdout, then one horizon earlier for each further backtest window. */
function foldCuts(set: SeriesSet, H: number, windows: number): number[] {
  const cuts: number[] = [];
  for (let k = 1; k <= windows; k++) {
    const cut = set.length - k * H;
    if (cut < H + 1) break;
    cuts.push(cut);
  }
  return cuts;
}

/** Trains the network on the periods before `cut` of every series (probe, final ensemble, calibration). */
export async function trainAt(tf: Awaited<ReturnType<typeof tfBackend>>['tf'], set: SeriesSet, H: number, hyper: ForecastHyperparameters, cut: number, seed: number, bar: ProgressBar) {
  const spec = defaultFeatureSpec(set.freq, H, cut);
  const sampleOptions = { cut, maxRows: hyper.maxRows, validationOrigins: hyper.validationOrigins, weightPower: hyper.weightPower, seed };
  const probe = buildSamples(set, spec, sampleOptions);
  const full = hyper.validationOrigins > 0 ? buildSamples(set, spec, { ...sampleOptions, validationOrigins: 0 }).train : probe.train;
  if (full.rows === 0) {
    throw new IobError('IOB_ERR_VALIDATION', 'no series has a sale early enough to learn from before the holdout: give more history or a shorter horizon', [
      { path: 'series', reason: 'history_too_short', message: 'no training window' },
    ]);
  }
  // Short histories leave no room for a probe: then fixed epochs, no calibration (fitForecastNetwork decides).
  const usableProbe = probe.train.rows >= Math.min(batchSizeFor(full.rows, hyper.batchSize), full.rows / 2) ? probe : { ...probe, validation: { ...probe.validation, rows: 0 } };
  let ticks = 0;
  const fitted = await fitForecastNetwork(tf, usableProbe, full, spec.horizon, {
    ...hyper,
    seed,
    onEpoch: (phase, epoch, loss) => {
      ticks++;
      bar.increment(1, phase === 1 ? `probe epoch ${epoch}, validation loss ${fmt(loss)}` : `final epoch ${epoch}`);
    },
  });
  bar.increment(progressPerWindow(hyper) - ticks); // epochs early stopping skipped: the bar still ends full
  return { fitted, spec, rows: full.rows, validationRows: usableProbe.validation.rows };
}

/** Progress ticks per trained window: the probe's and the final ensemble's epochs, at most. */
function progressPerWindow(hyper: ForecastHyperparameters): number {
  return 2 * hyper.maxEpochs;
}

/** A short content tag for the version name: the same weights, the same tag. */
function weightsHash(weights: Map<string, Float32Array>): string {
  const hash = createHash('sha256');
  for (const name of [...weights.keys()].sort()) {
    const w = weights.get(name) as Float32Array;
    hash.update(name);
    hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  }
  return hash.digest('hex').slice(0, 8);
}

function hashSeries(set: SeriesSet, cut: number): string {
  const hash = createHash('sha256');
  hash.update(`${set.freq}|${set.start}|${cut}\n`);
  for (const s of set.series) {
    hash.update(`${s.key}\n`);
    hash.update(new Uint8Array(s.values.buffer, s.values.byteOffset, cut * 8));
  }
  return hash.digest('hex');
}

function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Number.isFinite(value) ? Math.round(value * f) / f : value;
}

function fmt(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function metricsOf(a: Accuracy | undefined): Metrics {
  if (a === undefined) throw new Error('missing accuracy');
  return {
    wape: round(a.wape),
    mase: round(a.mase),
    coverage_80: round(a.coverage_80),
    pinball: { p10: round(a.pinball.p10), p50: round(a.pinball.p50), p90: round(a.pinball.p90), mean: round(a.pinball.mean) },
  };
}

function baselinesOf(e: OriginEvaluation): Record<BaselineName, Metrics> {
  return { snaive: metricsOf(e.accuracy.snaive), ets: metricsOf(e.accuracy.ets), mean: metricsOf(e.accuracy.mean) };
}

/** Mean of each metric over the backtest windows. */
function meanMetrics(list: Metrics[]): Metrics {
  const avg = (pick: (m: Metrics) => number) => round(list.reduce((s, m) => s + pick(m), 0) / list.length);
  return {
    wape: avg((m) => m.wape),
    mase: avg((m) => m.mase),
    coverage_80: avg((m) => m.coverage_80),
    pinball: { p10: avg((m) => m.pinball.p10), p50: avg((m) => m.pinball.p50), p90: avg((m) => m.pinball.p90), mean: avg((m) => m.pinball.mean) },
  };
}

function summarize(set: SeriesSet, H: number, main: OriginEvaluation, folds: OriginEvaluation[]) {
  const day = (i: number) => formatDay(periodDay(set, i));
  const split = {
    freq: set.freq,
    horizon: H,
    series: set.series.length,
    periods: set.length,
    fit: { from: day(0), to: day(main.cut - 1) },
    holdout: { from: day(main.cut), to: day(main.cut + H - 1) },
  };
  const result: Omit<TrainForecastSummary, 'version' | 'promoted' | 'modelDir' | 'report' | 'backend' | 'seconds' | 'task'> = {
    model: metricsOf(main.accuracy.model),
    baselines: baselinesOf(main),
    split,
  };
  if (folds.length > 1) {
    const rows = folds.map((f) => ({ from: day(f.cut), model: metricsOf(f.accuracy.model), baselines: baselinesOf(f) }));
    result.backtest = {
      windows: folds.length,
      model: meanMetrics(rows.map((r) => r.model)),
      baselines: {
        snaive: meanMetrics(rows.map((r) => r.baselines.snaive)),
        ets: meanMetrics(rows.map((r) => r.baselines.ets)),
        mean: meanMetrics(rows.map((r) => r.baselines.mean)),
      },
      folds: rows,
    };
  }
  return result;
}

function renderReport(set: SeriesSet, H: number, version: string, createdAt: string, main: OriginEvaluation, folds: OriginEvaluation[], facts: string[]): string {
  return renderForecastReport({ title: `Demand forecast: ${set.source}`, version, createdAt, set, horizon: H, main, folds, facts });
}
