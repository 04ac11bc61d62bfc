/**
 * Next-best offers for `POST /v1/offers` (issue 6): the registry's serving offers version (followed like
 * intent, models/registry-watch.ts), the shared catalog (a local map of NATS KV IOB_CATALOG) and the
 * subject's online offers state (recent items and session categories, engine/recent-items.ts), ranked by
 * the same code evaluation measures (models/offers/ranker.ts). No TF.js here.
 *
 * - Candidates: the recent items' co-occurring items and precomputed neighbours, the items trending in the
 *   session's categories (catalog categories, ordered by the model's popularity), the most popular items.
 * - Filters: out of stock, outside `eligible_from`/`eligible_until` now, already purchased (a purchase
 *   among the recent items), the caller's `exclude`. Items the catalog does not list are valid offers with
 *   unknown price (the issue: items seen only in events).
 * - Business value: with margins and prices in the catalog, margin × price (normalized) adds a small term
 *   (VALUE_WEIGHT_FACTOR); it never names the reason.
 * - Reasons: the ranker's strongest component, named in the API's terms: purchase and cart co-occurrence
 *   (the model's bought-together rows) → `bought_together`; co-view in training sessions, embedding
 *   similarity and items seen again → `similar_to_viewed`; category → `trending_in_category`; popularity →
 *   `popular`.
 * - Consent per request (purpose `personalization`, `Sec-GPC: 1` opts out): without it, or for a subject
 *   or items the model does not know, the popular fallback with `personalized: false` and a `note`.
 * - Purchase intent (with an intent version serving, and a personalized intent score): the score over the
 *   intent model's base rate, capped at MAX_INTENT_LIFT, multiplies the terms that only pay off on a purchase
 *   (bought-together complements and business value; models/offers/ranker.ts `intentLift`): a visitor twice
 *   as likely to buy as the average one sees complements and margin weigh twice as much; the average
 *   visitor, or one without an intent score, gets the tuned ranking unchanged.
 * - Exploration (`context.explore: 'epsilon'`): each slot is the greedy choice with probability 1 − ε,
 *   else a uniform draw from the rest of the candidate pool; every offer carries the probability it had of
 *   being shown in its slot (`propensity`), for off-policy evaluation.
 * - A decayed subject vector is not kept per subject: the ranker forms it per request from the recent items
 *   and the version's item vectors (q = Σ r_i v_i), so it always matches the serving version.
 */
import { IobError, isPurpose, sessionKey, type CatalogEntry, type CatalogView, type Logger, type ModelEntry, type Purpose, type RecentItemsState } from '../engine/index.ts';
import { loadOffersModel, OfferRanker, type OfferReason, type OfferTables } from '../models/offers/index.ts';
import { watchServingModel, type ServingModelStatus, type ServingModelWatch } from '../models/registry-watch.ts';
import type { ServingEngine } from './engine-port.ts';
import { logWatchEvent, type IntentService } from './intent-service.ts';

export const OFFERS_TASK = 'offers';
export const MAX_OFFERS = 100;
export const DEFAULT_OFFERS = 10;
export const DEFAULT_EPSILON = 0.1;
/** Items per category kept as `trending_in_category` candidates. */
const CATEGORY_CANDIDATES = 20;
/** Weight of the category component, relative to the card's popularity weight. */
const CATEGORY_WEIGHT_FACTOR = 4;
/**
 * Weight of the business value (margin × price over the catalog's largest), relative to the card's popularity
 * weight: enough to order items the behavior signals leave close, not to outrank what the visitor looked at.
 * Not tuned on data (evaluation logs carry no margins).
 */
const VALUE_WEIGHT_FACTOR = 2;
/**
 * Cap on the intent lift (score / base rate): intent scores of a few percent make ratios of 10 and more
 * for a visitor with a full cart; past a few times the average, more purchase-readiness should not let
 * complements and margin drown what the visitor looks at.
 */
export const MAX_INTENT_LIFT = 3;

/** The offers model in the record of processing: personalization, from the online offers state. */
export const OFFERS_MODEL_DECLARATION: ModelEntry = {
  name: 'next-best offers (POST /v1/offers)',
  purpose: 'personalization',
  features: ['subject.recent_items (last 20: item, event type, time, session)', 'session.categories'],
};

export type OfferReasonCode = 'similar_to_viewed' | 'bought_together' | 'trending_in_category' | 'popular';
const REASON_CODE: Record<OfferReason, OfferReasonCode> = {
  viewed_together: 'similar_to_viewed',
  bought_together: 'bought_together',
  similar_to_viewed: 'similar_to_viewed',
  viewed_before: 'similar_to_viewed',
  popular: 'popular',
  trending_in_category: 'trending_in_category',
};

export type OffersNote = 'no_consent' | 'unknown_subject' | 'unknown_items';

export interface OffersRequest {
  subject: string;
  session?: string;
  k?: number;
  exclude?: readonly string[];
  context?: { explore?: 'epsilon'; epsilon?: number };
}

export interface Offer {
  item: string;
  score: number;
  reason: OfferReasonCode;
  propensity?: number;
}

export interface OffersAnswer {
  offers: Offer[];
  personalized: boolean;
  modelVersion: string;
  note?: OffersNote;
}

export interface ServedOffersModel {
  version: string;
  tables: OfferTables;
  ranker: OfferRanker;
  index: Map<string, number>;
  purposes: readonly Purpose[];
  categoryWeight: number;
  /** weight of the catalog's business value (margin × price, normalized) */
  valueWeight: number;
  /** the catalog seen through this version's item indices (built on first use, kept by the catalog watch) */
  catalog?: CatalogIndex;
}

interface CatalogIndex {
  /** 1: out of stock */
  outOfStock: Uint8Array;
  /** items with an eligibility window: [from, until] in epoch ms (±Infinity when open) */
  windows: Map<number, readonly [number, number]>;
  categoryOf: Map<number, string>;
  members: Map<string, Set<number>>;
  /** per category, its CATEGORY_CANDIDATES most popular items (dropped when the category changes) */
  top: Map<string, readonly number[]>;
  /** business value per item: margin × price over the largest margin × price seen (0 without both) */
  value: Float32Array;
  /** margin × price of each item with both (for the normalization) */
  rawValue: Float64Array;
  maxValue: number;
}

export interface OffersService {
  offers(request: OffersRequest, optedOut: boolean, now?: number): OffersAnswer;
  status(): ServingModelStatus;
  current(): ServedOffersModel | undefined;
  close(): void;
}

export type OffersEngine = Pick<ServingEngine, 'pseudonymize' | 'consent' | 'assertHolds'> & {
  readonly recentItems: Pick<RecentItemsState, 'forRanking'>;
  readonly catalog: Pick<CatalogView, 'entries' | 'onChange'>;
};

export async function loadServedOffersModel(dir: string, version: string): Promise<ServedOffersModel> {
  const { card, tables } = await loadOffersModel(dir);
  if (card.version !== version) throw new RangeError(`folder ${version} holds a model card for version ${card.version}`);
  const purposes = card.purposes.filter(isPurpose);
  if (purposes.length !== card.purposes.length) throw new RangeError('model-card.json: purposes names a purpose the engine does not know');
  const ranker = new OfferRanker(tables, card.ranking);
  const categoryWeight = CATEGORY_WEIGHT_FACTOR * Math.max(card.ranking.weights.popularity, 0.05);
  const valueWeight = VALUE_WEIGHT_FACTOR * Math.max(card.ranking.weights.popularity, 0.05);
  // The ranker's tables (its vectors live in its kernel's memory): the loaded arrays are not kept twice.
  return { version, tables: ranker.tables, ranker, index: new Map(tables.items.map((id, i) => [id, i])), purposes, categoryWeight, valueWeight };
}

export interface OffersServiceOptions {
  engine: OffersEngine;
  registry?: string;
  log: Logger;
  pollMs?: number;
  /** random source for exploration (tests pass a seeded one) */
  random?: () => number;
  /** purchase intent (serving/intent-service.ts); without it, or without a version serving, no intent term */
  intent?: Pick<IntentService, 'scorePseudonymous' | 'current'>;
}

export async function createOffersService(options: OffersServiceOptions): Promise<OffersService> {
  const { engine, log, intent } = options;
  const random = options.random ?? Math.random;
  /** The visitor's purchase odds relative to the average visitor's, when the intent model can say. */
  const intentLift = (sid: string, ssid: string | undefined, optedOut: boolean): number | undefined => {
    const model = intent?.current();
    if (!model || !(model.baseRate > 0)) return undefined;
    const answer = intent!.scorePseudonymous(sid, ssid, optedOut, { reasons: false });
    return answer.personalized ? Math.min(MAX_INTENT_LIFT, answer.score / model.baseRate) : undefined;
  };
  const watch: ServingModelWatch<ServedOffersModel> | undefined = options.registry
    ? await watchServingModel({
        root: options.registry,
        task: OFFERS_TASK,
        pollMs: options.pollMs,
        load: (dir, version) => loadServedOffersModel(dir, version),
        onEvent: logWatchEvent(log),
      })
    : undefined;
  const current = () => watch?.current()?.model;

  // The catalog seen through the version's item indices, so the per-candidate filter is an array read instead
  // of a map lookup by id, and a category's trending items are a cached list. Built from the whole catalog
  // when a version first ranks, then kept exact by the catalog watch's changes (a category's list is re-sorted
  // on its next use after a change).
  const setEntry = (c: CatalogIndex, j: number, e: CatalogEntry | undefined, building = false): void => {
    c.outOfStock[j] = e !== undefined && !e.in_stock ? 1 : 0;
    const raw = e?.margin !== undefined && e.price !== undefined ? e.margin * e.price : 0;
    c.rawValue[j] = raw;
    if (building) c.maxValue = Math.max(c.maxValue, raw);
    else if (raw > c.maxValue) {
      // The scale only grows (a removed maximum keeps it): renormalize every item once when it does.
      c.maxValue = raw;
      for (let i = 0; i < c.value.length; i++) c.value[i] = c.rawValue[i]! / raw;
    } else c.value[j] = c.maxValue > 0 ? raw / c.maxValue : 0;
    if (e !== undefined && (e.eligible_from !== undefined || e.eligible_until !== undefined)) {
      c.windows.set(j, [e.eligible_from === undefined ? -Infinity : Date.parse(e.eligible_from), e.eligible_until === undefined ? Infinity : Date.parse(e.eligible_until)]);
    } else c.windows.delete(j);
    const before = c.categoryOf.get(j);
    const after = e?.category;
    if (before === after) return;
    if (before !== undefined) {
      c.members.get(before)?.delete(j);
      c.top.delete(before);
      c.categoryOf.delete(j);
    }
    if (after !== undefined) {
      let set = c.members.get(after);
      if (!set) c.members.set(after, (set = new Set()));
      set.add(j);
      c.top.delete(after);
      c.categoryOf.set(j, after);
    }
  };
  const catalogIndex = (m: ServedOffersModel): CatalogIndex => {
    if (m.catalog) return m.catalog;
    const n = m.tables.items.length;
    const c: CatalogIndex = { outOfStock: new Uint8Array(n), windows: new Map(), categoryOf: new Map(), members: new Map(), top: new Map(), value: new Float32Array(n), rawValue: new Float64Array(n), maxValue: 0 };
    for (const e of engine.catalog.entries()) {
      const j = m.index.get(e.id);
      if (j !== undefined) setEntry(c, j, e, true);
    }
    if (c.maxValue > 0) for (let i = 0; i < n; i++) c.value[i] = c.rawValue[i]! / c.maxValue;
    return (m.catalog = c);
  };
  const trending = (m: ServedOffersModel, c: CatalogIndex, category: string): readonly number[] => {
    let list = c.top.get(category);
    if (list) return list;
    const pop = m.tables.popularity;
    list = [...(c.members.get(category) ?? [])].sort((a, b) => pop[b]! - pop[a]! || a - b).slice(0, CATEGORY_CANDIDATES);
    c.top.set(category, list);
    return list;
  };
  const unsubscribe = engine.catalog.onChange((id, entry) => {
    const m = current();
    const j = m?.catalog ? m.index.get(id) : undefined;
    if (j !== undefined) setEntry(m!.catalog!, j, entry);
  });

  return {
    current,
    status: () => watch?.status() ?? { task: OFFERS_TASK, serving: null, loadedAt: null, pointer: null, failure: null },
    close: () => {
      unsubscribe();
      watch?.close();
    },
    offers(request, optedOut, now = Date.now()) {
      const m = current();
      if (!m) throw new IobError('IOB_ERR_OFFERS_UNAVAILABLE');
      const k = request.k ?? DEFAULT_OFFERS;
      if (!Number.isInteger(k) || k < 1 || k > MAX_OFFERS) {
        throw new IobError('IOB_ERR_VALIDATION', undefined, [{ path: 'k', reason: 'out_of_range', message: `k must be an integer from 1 to ${MAX_OFFERS}` }]);
      }
      const sid = engine.pseudonymize('subject', request.subject);
      let allowed = !optedOut;
      for (let i = 0; allowed && i < m.purposes.length; i++) allowed = engine.consent.allowed(sid, m.purposes[i]!);

      let exclude: Set<number> | undefined;
      for (const id of request.exclude ?? []) {
        const j = m.index.get(id);
        if (j !== undefined) (exclude ??= new Set()).add(j);
      }
      const items = m.tables.items;
      let purchased: Set<number> | undefined;
      const catalogIdx = catalogIndex(m);

      let note: OffersNote | undefined;
      const session: number[] = [];
      const history: number[] = [];
      let categories: readonly string[] = [];
      // On a partitioned deployment a consented subject's state lives on one worker: 421 naming it, like intent.
      if (allowed) engine.assertHolds(sid);
      const ssid = allowed && request.session !== undefined ? engine.pseudonymize('session', request.session) : undefined;
      // the request's session, or (none named) the session of the subject's newest item
      const state = allowed ? engine.recentItems.forRanking(sid, ssid === undefined ? undefined : sessionKey(sid, ssid)) : undefined;
      if (!allowed) note = engine.consent.get(sid) ? 'no_consent' : 'unknown_subject';
      else if (!state) note = 'unknown_subject';
      else {
        for (let i = 0; i < state.items.length; i++) {
          const j = m.index.get(state.items[i]!);
          if (j === undefined) continue;
          if (state.types[i] === 'purchase') (purchased ??= new Set()).add(j);
          (state.inSession[i] ? session : history).push(j);
        }
        categories = state.categories;
        if (session.length + history.length === 0 && categories.length === 0) note = 'unknown_items';
      }
      const personalized = note === undefined;
      const fromCategories = personalized ? categories.map((c) => trending(m, catalogIdx, c)) : [];
      const value = catalogIdx.maxValue > 0 ? catalogIdx.value : undefined;
      // The lift scales only bought-together and business value: without either, no intent forward pass.
      const liftMatters = m.ranker.weighsBoughtTogether || (value !== undefined && m.valueWeight > 0);
      const lift = personalized && liftMatters ? intentLift(sid, ssid, optedOut) : undefined;
      const allow = businessFilter(catalogIdx, purchased, now);

      const explore = request.context?.explore === 'epsilon';
      const epsilon = request.context?.epsilon ?? DEFAULT_EPSILON;
      const pool = explore ? Math.min(MAX_OFFERS * 2, Math.max(3 * k, k + 20)) : k;
      const ranked = m.ranker.rank(
        personalized
          ? { session, history, exclude, allow, categoryItems: fromCategories, categoryWeight: m.categoryWeight, value, valueWeight: m.valueWeight, intentLift: lift }
          : { session: [], exclude, allow, value, valueWeight: m.valueWeight },
        pool,
      );
      const offers: Offer[] = [];
      if (!explore) {
        for (let i = 0; i < ranked.items.length; i++) offers.push({ item: items[ranked.items[i]!]!, score: ranked.scores[i]!, reason: REASON_CODE[ranked.reasons[i]!] });
      } else {
        // ε-greedy per slot over the remaining pool (best first): greedy with 1 − ε, uniform with ε.
        const left = ranked.items.map((_, i) => i);
        while (offers.length < k && left.length > 0) {
          const pick = random() < epsilon ? Math.floor(random() * left.length) : 0;
          const i = left[pick]!;
          const propensity = (pick === 0 ? 1 - epsilon : 0) + epsilon / left.length;
          left.splice(pick, 1);
          offers.push({ item: items[ranked.items[i]!]!, score: ranked.scores[i]!, reason: REASON_CODE[ranked.reasons[i]!], propensity });
        }
      }
      return { offers, personalized, modelVersion: m.version, ...(note ? { note } : {}) };
    },
  };
}

/**
 * The business filter the ranker applies to candidates: in stock, eligible now, not already purchased. Made
 * by a factory (an anonymous closure) rather than a named one per request.
 */
function businessFilter(c: CatalogIndex, purchased: ReadonlySet<number> | undefined, now: number): (j: number) => boolean {
  const { outOfStock, windows } = c;
  return (j) => {
    if (outOfStock[j] === 1 || (purchased !== undefined && purchased.has(j))) return false;
    if (windows.size === 0) return true;
    const w = windows.get(j);
    return w === undefined || (w[0] <= now && now <= w[1]);
  };
}
