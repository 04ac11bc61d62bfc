/**
 * Purchase-intent scoring for `POST /v1/intent`: the served model follows the registry's pointer
 * (models/registry-watch.ts), its inputs are bound by name to the online store's features when a version
 * loads, and every request runs the pure-TypeScript forward pass (no TF.js in this process's request path).
 *
 * Consent is checked on every request, for every purpose the model card declares:
 * - granted, and the store holds features for the subject → personalized score, reasons from the forward
 *   pass's contributions;
 * - not granted (or `Sec-GPC: 1`) → the model's training base rate, `personalized: false`, note `no_consent`;
 * - no consent record at all, or nothing held in the store → base rate, note `unknown_subject`.
 * Reasons name features and the direction they moved the score; they never carry feature values (those are
 * the subject's data; `GET /v1/features/:subject`, scope admin, shows them).
 *
 * Inputs of binned features are clamped to the range the model saw in training (the encoding's outer edges
 * are the training minimum and maximum, so this changes nothing on training data): a network must not
 * extrapolate linearly past its data. Example: models trained on event-time scoring points only ever saw
 * `subject.last_event_age_s` = 0, while a visitor scored between events has an age of minutes or days.
 */
import { IobError, isPurpose, SESSION_VIEW, SUBJECT_VIEW, type Logger, type ModelEntry, type Purpose } from '../engine/index.ts';
import { loadIntentForward, type IntentForward } from '../models/intent/index.ts';
import { watchServingModel, type ServingModelStatus, type ServingModelWatch, type WatchEvent } from '../models/registry-watch.ts';
import type { ServingEngine } from './engine-port.ts';

export const INTENT_TASK = 'intent';
/** How many features a personalized answer names. */
export const MAX_REASONS = 3;

export type IntentNote = 'no_consent' | 'unknown_subject';

/**
 * The intent model in the record of processing: it serves personalization and may read the subject and
 * session views (a version whose card names anything else fails to load).
 */
export const INTENT_MODEL_DECLARATION: ModelEntry = {
  name: 'purchase intent (POST /v1/intent)',
  purpose: 'personalization',
  features: [...SUBJECT_VIEW.features, ...SESSION_VIEW.features].map((f) => f.name),
};

export interface IntentReason {
  feature: string;
  direction: 'up' | 'down';
  /** Share of the logit versus the training-mean visitor (see IntentForward.contributions). */
  contribution: number;
}

export interface IntentAnswer {
  score: number;
  modelVersion: string;
  personalized: boolean;
  reasons: IntentReason[];
  note?: IntentNote;
}

/** A loaded version bound to the store: everything a request needs, precomputed. */
export interface ServedIntentModel {
  forward: IntentForward;
  version: string;
  features: readonly string[];
  /** Per input: read from the session values (true) or the subject values (false)… */
  fromSession: readonly boolean[];
  /** …at this index of the store's feature order. */
  storeIndex: Int32Array;
  /** Per input: the training range (±Infinity when the card has no bins for it). */
  low: Float64Array;
  high: Float64Array;
  purposes: readonly Purpose[];
  baseRate: number;
  /** Reused store reads, input row and contributions (requests run one at a time on the event loop). */
  subjectValues: Float32Array;
  sessionValues: Float32Array;
  row: Float64Array;
  contributions: Float64Array;
  /** feature indices of the reasons being picked */
  topReasons: Int32Array;
}

export interface IntentService {
  /** `reasons: false` skips the attribution (the backward pass) for callers that need the score alone */
  score(subject: string, session: string | undefined, optedOut: boolean, options?: { reasons?: boolean }): IntentAnswer;
  /** `score` for a caller that holds the pseudonymous ids already (each HMAC costs ~2 µs) */
  scorePseudonymous(sid: string, ssid: string | undefined, optedOut: boolean, options?: { reasons?: boolean }): IntentAnswer;
  status(): ServingModelStatus;
  /** The model answering now (tests compare it with the route). */
  current(): ServedIntentModel | undefined;
  close(): void;
}

type ScoringEngine = Pick<ServingEngine, 'readSubjectFeatures' | 'pseudonymize' | 'consent' | 'features' | 'subjects'>;

/** Loads a version folder and binds its card's features to the store's records; throws naming what is wrong. */
export async function loadServedIntentModel(dir: string, version: string, engine: Pick<ScoringEngine, 'features'>): Promise<ServedIntentModel> {
  const { card, forward } = await loadIntentForward(dir);
  if (card.version !== version) throw new RangeError(`folder ${version} holds a model card for version ${card.version}`);
  const subjectOrder = engine.features.featureNames('subject');
  const sessionOrder = engine.features.featureNames('session');
  const subjectNames = new Set(subjectOrder);
  const sessionNames = new Set(sessionOrder);
  const missing = card.features.filter((f) => !subjectNames.has(f) && !sessionNames.has(f));
  if (missing.length) {
    throw new RangeError(`model-card.json names features the online store does not hold: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}`);
  }
  const purposes = card.purposes.filter(isPurpose);
  if (purposes.length !== card.purposes.length) throw new RangeError('model-card.json: purposes names a purpose the engine does not know');
  if (card.training.rows <= 0) throw new RangeError('model-card.json: training.rows must be positive (the base rate comes from it)');
  const low = new Float64Array(card.features.length).fill(-Infinity);
  const high = new Float64Array(card.features.length).fill(Infinity);
  for (const { column, edges } of card.encoding.columns) {
    low[column] = Math.max(low[column]!, edges[0]!);
    high[column] = Math.min(high[column]!, edges[edges.length - 1]!);
  }
  return {
    forward,
    version,
    features: card.features,
    low,
    high,
    fromSession: card.features.map((f) => !subjectNames.has(f)),
    storeIndex: Int32Array.from(card.features, (f) => (subjectNames.has(f) ? subjectOrder.indexOf(f) : sessionOrder.indexOf(f))),
    subjectValues: new Float32Array(subjectOrder.length),
    sessionValues: new Float32Array(sessionOrder.length),
    purposes,
    baseRate: card.training.positives / card.training.rows,
    row: new Float64Array(card.features.length),
    contributions: new Float64Array(card.features.length),
    topReasons: new Int32Array(MAX_REASONS),
  };
}

export interface IntentServiceOptions {
  engine: ScoringEngine;
  /** Registry root; without one nothing ever serves (every request is a 503). */
  registry?: string;
  log: Logger;
  pollMs?: number;
}

/** How a serving route's registry watch reports loads and failures (intent, offers). */
export const logWatchEvent =
  (log: Logger) =>
  (e: WatchEvent): void =>
    e.type === 'loaded'
      ? log.info({ task: e.task, version: e.version, previous: e.previous, ms: e.ms }, 'model version loaded')
      : log.error({ task: e.task, version: e.version, reason: e.message, keeping: e.keeping }, 'model version failed to load; the previous version keeps serving');

export async function createIntentService(options: IntentServiceOptions): Promise<IntentService> {
  const { engine, log } = options;
  const watch: ServingModelWatch<ServedIntentModel> | undefined = options.registry
    ? await watchServingModel({
        root: options.registry,
        task: INTENT_TASK,
        pollMs: options.pollMs,
        load: (dir, version) => loadServedIntentModel(dir, version, engine),
        onEvent: logWatchEvent(log),
      })
    : undefined;

  const current = () => watch?.current()?.model;
  // A person's export names the model versions that may use their data, and for which purposes; scores
  // are computed per request and never stored, so an erasure has nothing to purge here.
  engine.subjects.addHolder({
    name: 'models',
    export: (sid) => {
      const m = current();
      if (!m) return [];
      const consented = m.purposes.every((p) => engine.consent.allowed(sid, p));
      return [
        {
          task: INTENT_TASK,
          version: m.version,
          purposes: m.purposes,
          use: consented ? 'scores purchase intent on request from the features above; no score is stored' : 'not used for this person: no consent for its purposes',
        },
      ];
    },
    purge: () => 0,
  });

  const scorePseudonymous: IntentService['scorePseudonymous'] = (sid, ssid, optedOut, options) => {
    const m = current();
    if (!m) throw new IobError('IOB_ERR_MODEL_UNAVAILABLE');
    let allowed = !optedOut;
    for (let i = 0; allowed && i < m.purposes.length; i++) allowed = engine.consent.allowed(sid, m.purposes[i]!);
    if (!allowed) return baseAnswer(m, engine.consent.get(sid) ? 'no_consent' : 'unknown_subject');
    engine.readSubjectFeatures(sid, ssid, m.subjectValues, m.sessionValues);
    if (!holdsAnything(m.subjectValues)) return baseAnswer(m, 'unknown_subject');
    const row = m.row;
    for (let i = 0; i < row.length; i++) {
      const v = (m.fromSession[i] ? m.sessionValues : m.subjectValues)[m.storeIndex[i]!]!;
      row[i] = v < m.low[i]! ? m.low[i]! : v > m.high[i]! ? m.high[i]! : v;
    }
    if (options?.reasons === false) return { score: m.forward.score(row), modelVersion: m.version, personalized: true, reasons: [] };
    const score = m.forward.explain(row, m.contributions);
    return { score, modelVersion: m.version, personalized: true, reasons: topReasons(m, m.contributions) };
  };

  return {
    current,
    status: () => watch?.status() ?? { task: INTENT_TASK, serving: null, loadedAt: null, pointer: null, failure: null },
    close: () => watch?.close(),
    score(subject, session, optedOut, options) {
      return scorePseudonymous(engine.pseudonymize('subject', subject), session === undefined ? undefined : engine.pseudonymize('session', session), optedOut, options);
    },
    scorePseudonymous,
  };
}

function baseAnswer(m: ServedIntentModel, note: IntentNote): IntentAnswer {
  return { score: m.baseRate, modelVersion: m.version, personalized: false, reasons: [], note };
}

/** An unknown (or fully expired) subject reads as zeros everywhere. */
function holdsAnything(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return true;
  return false;
}

/** The MAX_REASONS largest contributions by magnitude (non-zero), largest first (the earlier feature on ties). */
function topReasons(m: ServedIntentModel, contributions: Float64Array): IntentReason[] {
  const top = m.topReasons;
  let n = 0;
  for (let i = 0; i < contributions.length; i++) {
    const c = Math.abs(contributions[i]!);
    if (c === 0 || !Number.isFinite(c)) continue;
    if (n === MAX_REASONS && Math.abs(contributions[top[n - 1]!]!) >= c) continue;
    let at = n < MAX_REASONS ? n++ : n - 1;
    while (at > 0 && Math.abs(contributions[top[at - 1]!]!) < c) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = i;
  }
  const reasons: IntentReason[] = new Array(n);
  for (let j = 0; j < n; j++) {
    const i = top[j]!;
    reasons[j] = { feature: m.features[i]!, direction: contributions[i]! > 0 ? 'up' : 'down', contribution: contributions[i]! };
  }
  return reasons;
}
