/**
 * The event-level intent task (`iob train intent --events FILE`): "will this person buy later in this
 * visit?", asked at every event of a canonical event file.
 *
 * - Sessions are the feature store's (assignSessions: an event's session id, else its subject's lane, split
 *   at the store's 30-minute inactivity gap).
 * - Scoring points are the non-purchase events. A point's label is 1 when a purchase of the same session
 *   comes strictly later in time. A purchase at the very same time is already in the point's features (the
 *   store reads after every event at or before the read time), so it is past, not future.
 * - Features are the online store's subject and session vectors at the point's time, built by the store's
 *   own code (buildPointInTimeRows), so the model's feature list is the store's feature names and serving
 *   builds the same vector from `subjectFeatures(subject, session)`. Item and category views serve
 *   analytics, not personalization, and are not per subject at serving time: they are left out.
 * - Time split: the sessions starting in the last `testFraction` of session start times are the test set.
 *   Training keeps only sessions that also end before the test period starts: a session that straddles
 *   the cut would take its label from the test period. Everything fitted (bin edges, standardization,
 *   early stopping, calibration) comes from the training rows; the recipe's validation slice is their
 *   latest sessions.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { assignSessions, buildPointInTimeRows, DEFAULT_SESSION_GAP_MS, type Entity, type FeatureEvent, type LabelRow } from '../engine/index.ts';
import type { Matrix } from '../models/matrix.ts';
import { DEFAULT_INTENT_RECIPE, type IntentDataset, type IntentRecipe } from './intent-recipe.ts';
import type { Fold } from './splits.ts';

/** The store entities whose features feed the model: the ones serving reads per subject and session. */
export const EVENT_INTENT_ENTITIES: readonly Entity[] = ['subject', 'session'];

export interface EventIntentRows {
  dataset: IntentDataset;
  fold: Fold;
  /** The test period starts here (epoch ms): the earliest start among the test sessions. */
  testFrom: number;
  sessions: { total: number; train: number; test: number; straddling: number };
}

/** Scoring points, labels and point-in-time features of pseudonymous feature events, split by time. */
export function eventIntentRows(events: readonly FeatureEvent[], testFraction: number): EventIntentRows {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError('the test fraction must be in (0, 1)');
  const sessions = assignSessions(events, DEFAULT_SESSION_GAP_MS);
  const sessionCount = sessions.start.length;
  const lastPurchase = new Float64Array(sessionCount).fill(-Infinity);
  events.forEach((e, i) => {
    const s = sessions.session[i]!;
    if (e.type === 'purchase' && e.ts > lastPurchase[s]!) lastPurchase[s] = e.ts;
  });

  const starts = Float64Array.from(sessions.start).sort();
  const testFrom = starts[Math.min(starts.length - 1, Math.round(starts.length * (1 - testFraction)))] ?? Infinity;
  let train = 0;
  let test = 0;
  let straddling = 0;
  for (let s = 0; s < sessionCount; s++) {
    if (sessions.start[s]! >= testFrom) test++;
    else if (sessions.end[s]! >= testFrom) straddling++;
    else train++;
  }

  const points: number[] = [];
  events.forEach((e, i) => {
    if (e.type !== 'purchase') points.push(i);
  });
  const labels = new Uint8Array(points.length);
  const timeKey = new Float64Array(points.length);
  const trainRows: number[] = [];
  const testRows: number[] = [];
  const labelRows: LabelRow[] = points.map((i, r) => {
    const e = events[i]!;
    const s = sessions.session[i]!;
    labels[r] = lastPurchase[s]! > e.ts ? 1 : 0;
    timeKey[r] = sessions.start[s]!;
    if (sessions.start[s]! >= testFrom) testRows.push(r);
    else if (sessions.end[s]! < testFrom) trainRows.push(r);
    return { subject: e.sid, ts: e.ts, ...(e.ssid !== undefined ? { session: e.ssid } : {}) };
  });

  const built = buildPointInTimeRows(events, labelRows, { entities: EVENT_INTENT_ENTITIES });
  const x: Matrix = { data: built.values, rows: built.rows, cols: built.width };
  return {
    dataset: { x, labels, features: [...built.columns], timeKey },
    fold: { train: Uint32Array.from(trainRows), test: Uint32Array.from(testRows) },
    testFrom,
    sessions: { total: sessionCount, train, test, straddling },
  };
}

/**
 * The recipe for event files. Store features are counts, sums, ages and spans with long tails: every one
 * gets a piecewise-linear encoding (quantile bins, so the tails cannot dominate after standardization).
 * Hyperparameters chosen on the validation slice of the Taobao sample's training period (see the notes in
 * train-intent.ts's report), never on its test period.
 */
export function eventsRecipe(features: readonly string[]): IntentRecipe {
  return {
    ...EVENTS_RECIPE_BASE,
    piecewiseLinear: { ...EVENTS_RECIPE_BASE.piecewiseLinear, features: [...features] },
  };
}

export const EVENTS_RECIPE_BASE: IntentRecipe = {
  ...DEFAULT_INTENT_RECIPE,
  piecewiseLinear: { features: [], bins: 8 },
  hidden: [32, 16],
  activation: 'elu',
  members: 3,
  fit: { ...DEFAULT_INTENT_RECIPE.fit, maxEpochs: 30, batchSize: 256, patience: 5, l2: 1e-3 },
};

/** sha256 of a file's bytes, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
