/**
 * Feature views: the one declarative list of every feature the engine computes, online and for training.
 * The store derives the state it keeps from these declarations (plan.ts), so adding a feature is adding
 * one entry to a view. Feature names are a contract: models, training sets and reports use them.
 *
 * Semantics (windows: time-windows.ts; sessions, lateness, TTL and read time: online-store.ts):
 * - count           events of `types` in the window
 * - sum             Σ value over events of `types`, minus Σ value over events of `minus`; `atLeast` floors
 *                   the total (not the running sum). Values: `units` = quantity (default 1), `price` and
 *                   `amount` (= price × units) are money, each event's value rounded to the cent, so sums are
 *                   exact integers of cents and do not depend on the order events arrive in. A missing price
 *                   counts as 0.
 * - mean            sum / count over the same events; 0 when there are none
 * - distinct_count  number of different `field` values among events of `types` (events without it skipped)
 * - last            value of the newest event of `types` (by event time; equal times: the one applied
 *                   later); 0 when none
 * - age             seconds from the newest event of `types` to the read time; 0 when none
 * - span            newest minus oldest event time of the session, in `unit`
 * - session_starts  sessions of the subject whose first event lies in the window
 * - ratio           numerator / max(denominatorAtLeast, denominator); 0 when that is 0. Operands are inline
 *                   aggregations or the name of another feature of the same view.
 * Session views use the window `session` (the whole session); the others use tile windows.
 */
import type { EventType } from '../event-schema.ts';
import type { Purpose } from '../purposes.ts';
import { DAY, HOUR, TILE_WINDOWS, type TileWindow } from './time-windows.ts';

/** Why data is processed (engine/purposes.ts). Every view declares one; consent is given per purpose. */
export type { Purpose };

export const ENTITIES = ['subject', 'session', 'item', 'category'] as const;
export type Entity = (typeof ENTITIES)[number];

export type { TileWindow };
export type Window = TileWindow | 'session';
export type EventTypes = readonly EventType[] | 'any';
export type Value = 'units' | 'price' | 'amount';

export type Aggregation =
  | { agg: 'count'; types: EventTypes; window: Window }
  | { agg: 'sum'; value: Value; types: EventTypes; minus?: readonly EventType[]; atLeast?: number; window: Window }
  | { agg: 'mean'; value: Value; types: EventTypes; window: Window }
  | { agg: 'distinct_count'; field: 'item' | 'category'; types: EventTypes; window: Window }
  | { agg: 'last'; value: Value; types: EventTypes }
  | { agg: 'age'; types: EventTypes }
  | { agg: 'span'; unit: 's' | 'min' }
  | { agg: 'session_starts'; window: TileWindow }
  | { agg: 'ratio'; numerator: Operand; denominator: Operand; denominatorAtLeast?: number };

/** A ratio operand: an inline aggregation, or the name of another feature in the same view. */
export type Operand = string | Aggregation;

export type Feature = Aggregation & { name: string; description?: string };

export interface FeatureView {
  /** unique among views */
  name: string;
  entity: Entity;
  purpose: Purpose;
  /** A view's values are served while its entity's newest event is at most this old (ms) at read time; after that they read as zeros. */
  ttlMs: number;
  description: string;
  features: readonly Feature[];
}

/** Units per UTC day, kept per item or category for demand forecasting; read with `demandHistory`, not as a vector. */
export interface DemandHistoryView {
  name: string;
  entity: 'item' | 'category';
  purpose: Purpose;
  types: readonly EventType[];
  /** days of history kept behind the watermark */
  retentionDays: number;
  description: string;
}

// -----------------------------------------------------------------------------------------------------
// The default views

const SUBJECT_COUNTED = ['view', 'cart_add', 'purchase'] as const satisfies readonly EventType[];

export const SUBJECT_VIEW: FeatureView = {
  name: 'subject_behavior',
  entity: 'subject',
  purpose: 'personalization',
  ttlMs: 30 * DAY,
  description: 'What one person did lately: activity counts over four windows, spend, breadth, visits, recency.',
  features: [
    ...SUBJECT_COUNTED.flatMap((type) =>
      TILE_WINDOWS.map((window): Feature => ({ name: `subject.${type}_count_${window}`, agg: 'count', types: [type], window })),
    ),
    { name: 'subject.spend_30d', agg: 'sum', value: 'amount', types: ['purchase'], window: '30d' },
    { name: 'subject.distinct_items_7d', agg: 'distinct_count', field: 'item', types: 'any', window: '7d' },
    { name: 'subject.sessions_30d', agg: 'session_starts', window: '30d' },
    { name: 'subject.last_event_age_s', agg: 'age', types: 'any' },
  ],
};

export const SESSION_VIEW: FeatureView = {
  name: 'session_activity',
  entity: 'session',
  purpose: 'personalization',
  ttlMs: HOUR,
  description: 'The current visit: how long, how busy, what is in the cart.',
  features: [
    { name: 'session.event_count', agg: 'count', types: 'any', window: 'session' },
    { name: 'session.duration_s', agg: 'span', unit: 's' },
    { name: 'session.distinct_items', agg: 'distinct_count', field: 'item', types: 'any', window: 'session' },
    { name: 'session.cart_adds', agg: 'count', types: ['cart_add'], window: 'session' },
    { name: 'session.cart_value', agg: 'sum', value: 'amount', types: ['cart_add'], minus: ['cart_remove'], atLeast: 0, window: 'session' },
    {
      name: 'session.views_per_minute',
      agg: 'ratio',
      numerator: { agg: 'count', types: ['view'], window: 'session' },
      denominator: { agg: 'span', unit: 'min' },
      denominatorAtLeast: 1,
    },
  ],
};

/** Popularity of an item or a category: the same four features, named after the entity. */
function popularityView(entity: 'item' | 'category'): FeatureView {
  return {
    name: `${entity}_popularity`,
    entity,
    purpose: 'analytics',
    ttlMs: 7 * DAY,
    description: `How much attention and how many sales one ${entity} gets.`,
    features: [
      { name: `${entity}.view_count_24h`, agg: 'count', types: ['view'], window: '24h' },
      { name: `${entity}.cart_add_count_24h`, agg: 'count', types: ['cart_add'], window: '24h' },
      { name: `${entity}.purchase_count_7d`, agg: 'count', types: ['purchase'], window: '7d' },
      {
        name: `${entity}.conversion_rate_7d`,
        agg: 'ratio',
        numerator: `${entity}.purchase_count_7d`,
        denominator: { agg: 'count', types: ['view'], window: '7d' },
      },
    ],
  };
}

export const ITEM_VIEW = popularityView('item');
export const CATEGORY_VIEW = popularityView('category');

export const DEFAULT_VIEWS: readonly FeatureView[] = [SUBJECT_VIEW, SESSION_VIEW, ITEM_VIEW, CATEGORY_VIEW];

function demandView(entity: 'item' | 'category'): DemandHistoryView {
  return {
    name: `${entity}_demand`,
    entity,
    purpose: 'forecasting',
    types: ['purchase'],
    // two years: two full seasons for a yearly seasonal model, and the forecasting purpose's retention
    retentionDays: 730,
    description: `Units purchased per UTC day for one ${entity}.`,
  };
}

export const DEFAULT_HISTORIES: readonly DemandHistoryView[] = [demandView('item'), demandView('category')];
