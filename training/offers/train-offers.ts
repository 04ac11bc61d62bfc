/**
 * `iob train offers`: next-best-offer model — evaluate on the session-rec protocol beside POP and SKNN,
 * write a report, register a version trained on every session.
 *
 * 1. Sessions from the canonical event file (sessions.ts; the engine's session definition).
 * 2. Test = sessions starting in the last D days (protocol.ts). Validation = the D days before that, cut
 *    from the training sessions the same way: the ranking's parameters are tuned there (tune.ts), never on
 *    the test period.
 * 3. The model (item2vec vectors, co-occurrence, popularity, neighbours: fit-offers.ts) is refitted on all
 *    training sessions with the tuned parameters and evaluated on the test period beside POP and SKNN,
 *    computed in the same run on the same split.
 * 4. The registered version learns from every session; its metrics are the held-out ones above.
 *
 * Deterministic for a seed and TF.js backend.
 */
import { availableParallelism, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULTS } from '../../engine/config.ts';
import { IobError } from '../../engine/index.ts';
import { contentTag } from '../../models/model-card.ts';
import { namedTables, saveOffersModel } from '../../models/offers/artifact.ts';
import { OFFERS_CARD_SCHEMA_VERSION, type OffersModelCard } from '../../models/offers/card.ts';
import { DEFAULT_RANKING, type RankingParams } from '../../models/offers/ranker.ts';
import { describeRegistration, registerAndMaybePromote, versionName } from '../../models/registry.ts';
import { prepareOutputFolders } from '../output-folders.ts';
import { tfBackend } from '../../models/tf-backend.ts';
import { popRanker, sknnRanker } from './baselines.ts';
import { DEFAULT_ITEM2VEC } from './fit-item2vec.ts';
import { fitOffers, modelRanker, type OffersHyperparameters } from './fit-offers.ts';
import { oneThread, twoThreads } from './second-thread.ts';
import { DAY_MS, HISTORY_LENGTH, evaluateRanker, lastEventTime, samplePredictions, splitAt, type RankerEvaluation, type RankingMetrics, type SessionSplit } from './protocol.ts';
import { fileSha256 } from '../event-intent.ts';
import { writeReport } from '../report-page.ts';
import { renderOffersReport } from './report.ts';
import { LISTED_BAD_ROWS, loadSessionLog, type ItemSession, type SessionLog } from './sessions.ts';
import { openEventScope } from '../feature-events.ts';
import { DEFAULT_BOUGHT, DEFAULT_COOC } from './tables.ts';
import { cliNumber, optionFlag, promoteNeedsRegistration } from '../option-flag.ts';
import { heapLimitLine } from '../heap-limit.ts';
import { maxTuningEvaluations, objectiveAgainst, tuneRanking, type TuningResult } from './tune.ts';

export const OFFERS_PURPOSES = ['personalization'] as const;
const TASK = 'offers';
/** Below this many test predictions the run warns that its comparisons are noisy. */
const FEW_PREDICTIONS = 1000;
/** Below this many validation predictions tuning would fit noise: the default ranking is kept. */
const MIN_VALIDATION_PREDICTIONS = 200;
/**
 * Tuning ranks the validation slice once per grid value (~90 times): above this many predictions it uses a
 * seeded sample of the slice's sessions. Candidates are compared on the same sample, so the comparison stays
 * paired; on a 300k-event log, tuning on every prediction was 64% of a 317 s run.
 */
const MAX_TUNING_PREDICTIONS = 10_000;

export const trainOffersOptionsSchema = z.object({
  events: z.string().min(1),
  /** The test period: sessions whose first event lies in the last D days. */
  testDays: cliNumber(z.number().positive().max(3650)).default(1),
  /**
   * Train on the sessions that start in the D days before the test period only (default: every earlier
   * session): bounds the fits on a long log, as session-based papers do with their "last 1/64" splits.
   */
  trainDays: cliNumber(z.number().positive().max(36_500)).optional(),
  seed: cliNumber(z.number().int().min(0)).default(0),
  /** item2vec epochs (each fit). */
  epochs: cliNumber(z.number().int().min(0).max(1000)).default(DEFAULT_ITEM2VEC.epochs),
  dim: cliNumber(z.number().int().min(2).max(512)).default(DEFAULT_ITEM2VEC.dim),
  /**
   * item2vec's subsampling threshold (word2vec's t, e.g. 1e-4); 0 keeps every occurrence. Off by default:
   * measured with 1e-4 it moved MRR@20 by +0.012 (Taobao), +0.027 and −0.025 (a generated log, with and
   * without its subjects) and saved 8–16% of the time (docs/measurements.md, session 15).
   */
  subsample: cliNumber(z.number().min(0).max(1)).default(0),
  /** Coordinate-ascent rounds on the validation slice; 0 keeps the default ranking parameters. */
  tuneRounds: cliNumber(z.number().int().min(0).max(10)).default(2),
  /** Inactivity gap that splits sessions (minutes); default the engine's. */
  sessionGapMinutes: cliNumber(z.number().positive().max(1440)).optional(),
  /** Refuse bad rows instead of skipping and listing them. */
  strict: z.boolean().default(false),
  registry: z.string().min(1).optional(),
  reports: z.string().min(1).optional(),
  dataDir: z.string().min(1).default(DEFAULTS.dataDir),
  /** NATS, for the erasure list and the consent registry (NATS_URL); without it neither is consulted, and said so. */
  natsUrl: z.string().min(1).optional(),
  promote: z.boolean().optional(),
  /** Skip the final fit on every session and the registration (evaluation and report only). */
  register: z.boolean().default(true),
}).superRefine(promoteNeedsRegistration);

export type TrainOffersOptions = z.input<typeof trainOffersOptionsSchema>;

export interface TrainOffersResult {
  task: 'offers';
  model: RankingMetrics;
  baselines: { pop: RankingMetrics; sknn: RankingMetrics };
  /**
   * The model without the subject's earlier sessions (session context only), and without the item2vec
   * similarity (co-occurrence, repeats and popularity only): what history and the embeddings add.
   */
  ablations: { session_only: RankingMetrics; without_embeddings: RankingMetrics; without_bought_together: RankingMetrics };
  split: Record<string, unknown>;
  version: string;
  paths: { report: string; model?: string };
  backend: string;
  seconds: number;
}

export interface ProgressSink {
  increment(n?: number): void;
  stop(): void;
}

export interface TrainOffersHooks {
  progress?: (label: string, unit: string, total: number) => ProgressSink;
  now?: () => Date;
  /**
   * Use a second thread for the test-period and registered fits and a share of the model's evaluations (second-thread.ts).
   * Default: on a machine with two or more cores, when the training sessions hold at least
   * `SECOND_THREAD_STEPS` steps (below that, starting the thread costs more than it saves) and a two-thread
   * run's measured memory fits in half of the machine's.
   */
  secondThread?: boolean;
}

/** The test period's evaluations: the model, its three ablations, POP and SKNN. */
const TEST_EVALUATIONS = 6;
/** Training steps from which the second thread pays for its start (~1 s with TF.js). */
const SECOND_THREAD_STEPS = 50_000;
/**
 * Peak memory of a two-thread run per training step, measured (3.43 GB max RSS for 2.66M item events;
 * one thread needed 1.73 GB): the second thread holds its own sessions and fits.
 */
const TWO_THREAD_BYTES_PER_STEP = 1_300;

/** Whether a second thread is worth it here, and when it is not for lack of memory, why. */
export function secondThreadFits(steps: number): { use: boolean; why?: string } {
  if (steps < SECOND_THREAD_STEPS) return { use: false };
  const need = steps * TWO_THREAD_BYTES_PER_STEP;
  // half the machine: what a two-thread run may take before it risks what one thread would have finished
  if (need > totalmem() / 2) {
    return { use: false, why: `one thread: two would need ~${(need / 2 ** 30).toFixed(1)} GB (${TWO_THREAD_BYTES_PER_STEP} B per training step, measured), more than half of this machine's memory` };
  }
  return { use: availableParallelism() >= 2 };
}

/** The command line's flag for an option: its name in kebab case, but for the one whose flag is shorter. */
function flagOf(option: string): string {
  return option === 'sessionGapMinutes' ? '--session-gap' : optionFlag(option);
}

export function parseTrainOffersOptions(raw: unknown): z.output<typeof trainOffersOptionsSchema> {
  const parsed = trainOffersOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new IobError(
      'IOB_ERR_VALIDATION',
      'invalid options for train offers',
      parsed.error.issues.map((i) => ({ path: flagOf(String(i.path[0] ?? '')), reason: i.code, message: i.message })),
    );
  }
  return parsed.data;
}

export async function runTrainOffers(rawOptions: TrainOffersOptions, say: (line: string) => void, hooks: TrainOffersHooks = {}): Promise<TrainOffersResult> {
  const options = parseTrainOffersOptions(rawOptions);
  const now = hooks.now ?? (() => new Date());
  const registry = resolve(options.registry ?? join(options.dataDir, 'models'));
  const reportsDir = resolve(options.reports ?? join(options.dataDir, 'reports'));
  await prepareOutputFolders([
    ...(options.register ? [{ flag: options.registry ? '--registry' : '--data-dir', path: registry }] : []),
    { flag: options.reports ? '--reports' : '--data-dir', path: reportsDir },
  ]);
  const started = performance.now();
  const { tf, name: backend, fallbacks } = await tfBackend();
  say(`TF.js backend: ${backend}${fallbacks.length ? ` (${fallbacks.join('; ')})` : ''}`);
  say(heapLimitLine());

  // The model serves personalization: erased subjects are left out, and with the consent registry at hand
  // only events the purpose gate admits (the same rule the online store and the other training sets use).
  const scope = await openEventScope({ dataDir: options.dataDir, ...(options.natsUrl ? { natsUrl: options.natsUrl } : {}) }, say);
  const keep = (e: { subject: string; ts: number }) => {
    const sid = scope.pseudonymize('subject', e.subject);
    return !scope.erased(sid) && (scope.admits?.(sid, 'personalization', e.ts) ?? true);
  };
  const log = await loadSessionLog(options.events, { strict: options.strict, keep, ...(options.sessionGapMinutes ? { gapMs: options.sessionGapMinutes * 60_000 } : {}) }).finally(() => scope.close());
  if (log.excluded > 0) say(`${log.excluded} events left out: erased subjects, or no personalization consent at the event's time`);
  reportBadRows(log, say);
  if (log.events === 0) {
    const left = log.excluded > 0 ? `, ${log.excluded} left out for erasure or consent` : '';
    throw new IobError('IOB_ERR_VALIDATION', `${options.events}: no events with an item to learn offers from (${log.eventsWithoutItem} without one, ${log.badRows.length} bad rows${left})`, [
      { path: 'events', reason: 'empty', message: log.excluded > 0 ? 'no event with an item is left after erasure and consent' : 'the file holds no event with an item' },
    ]);
  }
  // The test period's cutoff counts from the log's last event, window or not; the window (--train-days)
  // keeps the sessions that start in the D days before it (a long session that started earlier and runs to the
  // log's end is left out without moving the cutoff).
  const cutoff = lastEventTime(log.sessions) - options.testDays * DAY_MS;
  const sessions = options.trainDays === undefined ? log.sessions : log.sessions.filter((s) => s.start >= cutoff - options.trainDays! * DAY_MS);
  const split = splitAt(sessions, cutoff);
  requireSessions(split, options, 'test');
  say(
    `data: ${log.events} item events in ${log.sessions.length} sessions, ${log.items.length} items; ` +
      `test: ${split.counts.testSessions} sessions (${split.counts.predictions} predictions) from the last ${options.testDays} day(s); training: ${split.counts.trainSessions} sessions, ${split.counts.trainItems} items` +
      (options.trainDays === undefined ? '' : ` from the ${options.trainDays} day(s) before (${log.sessions.length - sessions.length} earlier sessions left out)`),
  );

  const fewPredictions =
    split.counts.predictions < FEW_PREDICTIONS
      ? `only ${split.counts.predictions} predictions in the test period: differences of a few points between rankers are noise (a longer log or more --test-days gives more)`
      : undefined;
  if (fewPredictions) say(`warning: ${fewPredictions}`);

  const hyper: OffersHyperparameters = {
    item2vec: { ...DEFAULT_ITEM2VEC, epochs: options.epochs, dim: options.dim, subsample: options.subsample },
    cooc: DEFAULT_COOC,
    bought: DEFAULT_BOUGHT,
    neighbors: 20,
    neighborMinCount: 2,
  };
  const validation = splitAt(split.train, split.cutoff - options.testDays * DAY_MS);
  const windowTooShort = options.trainDays !== undefined && options.trainDays <= options.testDays;
  const tuneOn = options.tuneRounds > 0 && !windowTooShort && validation.counts.predictions >= MIN_VALIDATION_PREDICTIONS && validation.train.length > 0;
  const fits = (tuneOn ? 1 : 0) + 1 + (options.register ? 1 : 0);
  // One bar over the run's units of work: the fits' epochs, the tuning's evaluations (at most; the ones a
  // short ascent skips are counted when it ends) and the test period's six evaluations. With two threads
  // epochs and evaluations tick at once.
  const tuningSteps = tuneOn ? maxTuningEvaluations(options.tuneRounds) : 0;
  const progress = hooks.progress?.('train offers', 'epochs and evaluations', fits * options.epochs + tuningSteps + TEST_EVALUATIONS);
  const tick = (): void => progress?.increment(1);
  /** An evaluation's result, its unit of the bar counted. */
  const ticked = <T>(result: T): T => {
    tick();
    return result;
  };
  const fitContext = { tf, backend, itemIds: log.items, hyper, seed: options.seed, say };
  const planned = hooks.secondThread === undefined ? secondThreadFits(stepsOf(split.train)) : { use: hooks.secondThread };
  if (planned.why) say(planned.why);
  const threads = planned.use ? twoThreads(fitContext) : oneThread(fitContext);
  if (planned.use) say(`a second thread fits the test-period${options.register ? ' and registered models' : ' model'}, then shares the model's evaluations`);
  try {
    // Neither fit depends on the tuning: sent now, they start at once on the second thread.
    const testFit = threads.fit(split.train, tick);
    const registeredFit = options.register ? threads.fit(sessions, tick) : undefined;
    // 1. Ranking parameters, chosen on the validation slice.
    let params: RankingParams = DEFAULT_RANKING;
    let tuning: TuningResult | undefined;
    let slice = validation;
    if (tuneOn) {
      const fitted = await fitOffers(tf, validation.train, log.items, hyper, options.seed, tick);
      slice = samplePredictions(validation, MAX_TUNING_PREDICTIONS, options.seed);
      const sknn = evaluateRanker(sknnRanker(slice.train, log.items.length), slice).metrics;
      const shared = threads.evaluations(fitted, slice);
      try {
        tuning = await tuneRanking(DEFAULT_RANKING, async (p) => ticked(await shared.evaluate(p)).metrics, objectiveAgainst(sknn), options.tuneRounds);
      } finally {
        shared.release();
      }
      progress?.increment(tuningSteps - tuning.evaluations);
      params = tuning.params;
      say(
        `validation (${slice.counts.testSessions} sessions, ${slice.counts.predictions} predictions${sampledFrom(slice, validation)}): SKNN HR@20 ${fmt(sknn['hr@20'])} MRR@20 ${fmt(sknn['mrr@20'])}; ` +
          `tuned model ${fmt(tuning.metrics['hr@20'])} / ${fmt(tuning.metrics['mrr@20'])} after ${tuning.evaluations} evaluations`,
      );
    } else {
      say(
        options.tuneRounds === 0
          ? 'tuning off: default ranking parameters'
          : windowTooShort
            ? `tuning off: the validation slice is the ${options.testDays} day(s) before the test period, and --train-days ${options.trainDays} leaves no sessions before it to fit on (give more than --test-days): default ranking parameters`
            : `too few validation predictions before the test period (${validation.counts.predictions} < ${MIN_VALIDATION_PREDICTIONS}): default ranking parameters`,
      );
    }

    // 2. The test period: model, POP and SKNN on the same split.
    const fitted = await testFit();
    // The model and its ablations, shared with the second thread when it is free (the same figures as one pass).
    const shared = threads.evaluations(fitted, split);
    let modelRows: Record<'model' | 'session_only' | 'without_embeddings' | 'without_bought_together', RankerEvaluation>;
    try {
      modelRows = {
        model: ticked(await shared.evaluate(params)),
        session_only: ticked(await shared.evaluate(params, false)),
        without_embeddings: ticked(await shared.evaluate({ ...params, weights: { ...params.weights, similarity: 0 } })),
        without_bought_together: ticked(await shared.evaluate({ ...params, weights: { ...params.weights, bought: 0 } })),
      };
    } finally {
      shared.release();
    }
    const evaluations: Record<'model' | 'session_only' | 'without_embeddings' | 'without_bought_together' | 'pop' | 'sknn', RankerEvaluation> = {
      ...modelRows,
      pop: ticked(evaluateRanker(popRanker(split.train, log.items.length), split)),
      sknn: ticked(evaluateRanker(sknnRanker(split.train, log.items.length), split)),
    };
    for (const key of ['model', 'sknn', 'pop'] as const) {
      const m = evaluations[key].metrics;
      say(`${key.padEnd(5)} HR@20 ${fmt(m['hr@20'])} MRR@20 ${fmt(m['mrr@20'])} HR@10 ${fmt(m['hr@10'])} MRR@10 ${fmt(m['mrr@10'])} coverage ${fmt(m.coverage)}`);
    }
    const metrics = (key: keyof typeof evaluations): RankingMetrics => rounded(evaluations[key].metrics);
    const dataHash = await fileSha256(options.events);
    const splitRecord: Record<string, unknown> = {
      kind: 'session-rec last days',
      test_days: options.testDays,
      train_days: options.trainDays ?? null,
      cutoff: new Date(split.cutoff).toISOString(),
      session_gap_minutes: log.gapMs / 60_000,
      ...split.counts,
      validation: tuneOn
        ? {
            cutoff: new Date(validation.cutoff).toISOString(),
            sessions: slice.counts.testSessions,
            predictions: slice.counts.predictions,
            ...(slice === validation ? {} : { sampledFrom: { sessions: validation.counts.testSessions, predictions: validation.counts.predictions } }),
          }
        : null,
    };

    // 3. The registered version: every session.
    const createdAt = now();
    let version = 'unregistered';
    let modelDir: string | undefined;
    if (registeredFit) {
      const all = await registeredFit();
      version = versionName(createdAt, contentTag(namedTables(all.tables)));
      const card: OffersModelCard = {
        schemaVersion: OFFERS_CARD_SCHEMA_VERSION,
        task: TASK,
        version,
        createdAt: createdAt.toISOString(),
        purposes: [...OFFERS_PURPOSES],
        split: splitRecord,
        ranking: params,
        tables: { items: all.tables.items.length, dim: all.tables.dim, neighborCount: all.tables.neighborCount, coocEntries: all.tables.cooc.columns.length, boughtEntries: all.tables.bought?.columns.length ?? 0 },
        training: {
          dataFile: basename(options.events),
          dataHash: `sha256:${dataHash}`,
          events: log.events,
          sessions: sessions.length,
          seed: options.seed,
          backend,
          seconds: round((performance.now() - started) / 1000, 1),
          hyperparameters: { ...hyper, historyLength: HISTORY_LENGTH, sessionGapMs: log.gapMs, item2vecPairs: all.pairs, item2vecLosses: all.losses.map((l) => round(l, 4)) },
          tuning: tuningRecord(tuning, slice, validation, options.tuneRounds),
        },
        metrics: { model: metrics('model'), baselines: { pop: metrics('pop'), sknn: metrics('sknn') }, ablations: { session_only: metrics('session_only'), without_embeddings: metrics('without_embeddings'), without_bought_together: metrics('without_bought_together') } },
      };
      const registration = await registerAndMaybePromote(registry, TASK, version, (dir) => saveOffersModel(dir, all.tables, card), options.promote);
      modelDir = registration.dir;
      say(describeRegistration(registry, TASK, registration));
    }

    const reportPath = await writeReport(
      reportsDir,
      TASK,
      version,
      createdAt,
      renderOffersReport({
        title: 'Next-best offer — evaluation',
        version,
        createdAt: createdAt.toISOString(),
        backend,
        dataFile: basename(options.events),
        dataHash,
        splitDescription:
          `test = sessions starting in the last ${options.testDays} day(s) (from ${new Date(split.cutoff).toISOString()}); items unseen in training removed, sessions shorter than 2 dropped; ` +
          (options.trainDays === undefined ? '' : `training = sessions starting in the ${options.trainDays} day(s) before it (--train-days; earlier ones left out, the registered version included); `) +
          `every prefix predicts its next item. Sessions: the engine's (session id or subject, split at ${log.gapMs / 60_000}-minute gaps), consecutive repeats of an item collapsed.`,
        counts: {
          ...split.counts,
          sessions: sessions.length,
          ...(options.trainDays === undefined ? {} : { 'sessions before the training window': log.sessions.length - sessions.length }),
          items: log.items.length,
          'bad rows skipped': log.badRows.length,
        },
        rankers: [
          { key: 'model', label: 'model (item2vec + co-occurrence + session + history)', ...evaluations.model },
          { key: 'session_only', label: 'model without subject history', ...evaluations.session_only },
          { key: 'no_embeddings', label: 'model without item2vec similarity', ...evaluations.without_embeddings },
          { key: 'no_bought_together', label: 'model without bought-together rows', ...evaluations.without_bought_together },
          { key: 'sknn', label: 'SKNN (500 recent candidates, 100 neighbours, cosine)', ...evaluations.sknn },
          { key: 'pop', label: 'POP (most popular training items)', ...evaluations.pop },
        ],
        tuning: tuning?.steps ?? [],
        notes: [
          `item2vec: skip-gram with ${hyper.item2vec.negatives} sampled negatives (unigram^0.75), window ${hyper.item2vec.window}, ${hyper.item2vec.dim} dimensions, ${hyper.item2vec.epochs} epochs, Adagrad ${hyper.item2vec.learningRate}` +
            `${hyper.item2vec.subsample ? `, frequent items subsampled (t = ${hyper.item2vec.subsample})` : ', no subsampling'}; gradients computed with TF.js (${backend}).`,
          `Co-occurrence: items within ${hyper.cooc.window} steps, weight 1/distance (backward ×${hyper.cooc.backward}), normalized by (count·count)^${hyper.cooc.normalization}, ${hyper.cooc.perItem} per item.`,
          `Bought together: one subject's purchases and carts within ${hyper.bought.windowMs / 3_600_000} h of each other, each pair counted once per subject (at least ${hyper.bought.minSupport}), normalized by (buyers·buyers)^${hyper.bought.normalization}, ${hyper.bought.perItem} per item; items without such pairs fall back to co-view.`,
          'Ranking parameters: coordinate ascent on the validation slice (the D days before the test period), objective = the smaller of the ratios to SKNN on HR@20 and MRR@20.',
          `History: up to ${HISTORY_LENGTH} of the subject's items from earlier sessions (all before the session started), what the online state holds when serving. The "without subject history" row shows the model on the session alone.`,
          'Neither the model nor the baselines list the item being viewed (after collapsing repeats it is never the next step).',
          ...(fewPredictions ? [`Warning: ${fewPredictions}.`] : []),
        ],
      }),
    );
    say(`report: ${reportPath}`);
    return {
      task: TASK,
      model: metrics('model'),
      baselines: { pop: metrics('pop'), sknn: metrics('sknn') },
      ablations: { session_only: metrics('session_only'), without_embeddings: metrics('without_embeddings'), without_bought_together: metrics('without_bought_together') },
      split: splitRecord,
      version,
      paths: { report: reportPath, ...(modelDir ? { model: modelDir } : {}) },
      backend,
      seconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    await threads.close();
    progress?.stop();
  }
}

function stepsOf(sessions: readonly ItemSession[]): number {
  let steps = 0;
  for (const s of sessions) steps += s.items.length;
  return steps;
}

/** The `--json` line: `{task, model, baselines, ablations, split, version}`. */
export function offersMetricsJson(result: TrainOffersResult): string {
  const { task, model, baselines, ablations, split, version } = result;
  return JSON.stringify({ task, model, baselines, ablations, split, version });
}

function requireSessions(split: SessionSplit, window: { testDays: number; trainDays?: number | undefined }, what: string): void {
  const days = window.testDays;
  if (split.counts.trainSessions === 0) {
    if (window.trainDays !== undefined) {
      throw new IobError('IOB_ERR_VALIDATION', `no training sessions: none starts in the ${window.trainDays} day(s) before the test period; give a larger --train-days (or a longer log)`, [
        { path: '--train-days', reason: 'no_training_sessions', message: 'leaves no session before the test period' },
      ]);
    }
    throw new IobError('IOB_ERR_VALIDATION', `no training sessions: every session starts in the last ${days} day(s); use a longer log or a smaller --test-days`, [
      { path: '--test-days', reason: 'no_training_sessions', message: 'leaves no session before the test period' },
    ]);
  }
  if (split.counts.predictions === 0) {
    const c = split.counts;
    throw new IobError(
      'IOB_ERR_VALIDATION',
      `no ${what} sessions: the last ${days} day(s) start ${c.testSessionsBeforeFiltering} session(s); after removing items unseen in training ` +
        `(${c.testStepsRemovedUnseen} steps) and sessions shorter than 2 items (${c.testSessionsDroppedShort}; an item viewed again right after itself counts once), none is left to evaluate`,
      [{ path: '--test-days', reason: 'no_test_sessions', message: 'the test period holds no session of 2 or more known items' }],
    );
  }
}

function reportBadRows(log: SessionLog, say: (line: string) => void): void {
  if (log.badRows.length === 0) return;
  say(`skipped ${log.badRows.length} bad row(s) (--strict refuses them):`);
  for (const { line, error } of log.badRows.slice(0, LISTED_BAD_ROWS)) say(`  line ${line}, column ${error.column}: ${error.message}`);
  if (log.badRows.length > LISTED_BAD_ROWS) say(`  … and ${log.badRows.length - LISTED_BAD_ROWS} more`);
}

/** How a tuning sample was drawn, for messages and the card ('' when tuning used the whole slice). */
function sampledFrom(slice: SessionSplit, validation: SessionSplit): string {
  return slice === validation ? '' : `, a seeded sample of ${validation.counts.testSessions} sessions, ${validation.counts.predictions} predictions`;
}

function tuningRecord(tuning: TuningResult | undefined, slice: SessionSplit, validation: SessionSplit, rounds: number): Record<string, unknown> {
  if (tuning === undefined) {
    return { tuned: false, reason: rounds === 0 ? 'tuning off' : `${validation.counts.predictions} validation predictions (fewer than ${MIN_VALIDATION_PREDICTIONS})` };
  }
  return {
    tuned: true,
    on:
      `validation slice: sessions starting in the period before the test period (${slice.counts.testSessions} sessions, ${slice.counts.predictions} predictions` +
      `${sampledFrom(slice, validation)}), model fitted on the sessions before it`,
    objective: 'min(HR@20 / SKNN HR@20, MRR@20 / SKNN MRR@20) on the validation slice',
    rounds,
    evaluations: tuning.evaluations,
    objectiveValue: round(tuning.objective, 4),
    validationMetrics: rounded(tuning.metrics),
    steps: tuning.steps.map((s) => ({ parameter: s.parameter, value: s.value, objective: round(s.objective, 4) })),
  };
}

function rounded(m: RankingMetrics): RankingMetrics {
  return { 'hr@20': round(m['hr@20'], 4), 'mrr@20': round(m['mrr@20'], 4), 'hr@10': round(m['hr@10'], 4), 'mrr@10': round(m['mrr@10'], 4), coverage: round(m.coverage, 4), predictions: m.predictions };
}

function fmt(v: number): string {
  return v.toFixed(4);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
