/**
 * The store derives its state from declarations: views beyond the defaults (every aggregation, two views on
 * one entity, other lateness and session gaps) are served exactly as the naive reference computes them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_HISTORIES, DEFAULT_VIEWS, DEFAULTS, FeatureDefinitionError, FeatureStore, PURPOSES, STREAM_RETENTION_DAYS, type Entity, type FeatureView } from '../../engine/index.ts';
import { ReferenceStore } from './reference.ts';
import { DAY, HOUR, MINUTE, readTimes, streamArb } from './streams.ts';

const EXTRA_VIEWS: FeatureView[] = [
  {
    name: 'x_subject',
    entity: 'subject',
    purpose: 'personalization',
    ttlMs: 3 * DAY,
    description: 'every aggregation on a subject',
    features: [
      { name: 'x.mean_price_24h', agg: 'mean', value: 'price', types: ['view', 'cart_add'], window: '24h' },
      { name: 'x.net_units_1h', agg: 'sum', value: 'units', types: ['cart_add'], minus: ['cart_remove'], window: '1h' },
      { name: 'x.amount_7d', agg: 'sum', value: 'amount', types: 'any', window: '7d' },
      { name: 'x.last_price', agg: 'last', value: 'price', types: ['view'] },
      { name: 'x.last_units', agg: 'last', value: 'units', types: 'any' },
      { name: 'x.purchase_age_s', agg: 'age', types: ['purchase'] },
      { name: 'x.distinct_categories_30d', agg: 'distinct_count', field: 'category', types: ['search', 'view'], window: '30d' },
      { name: 'x.distinct_items_1h', agg: 'distinct_count', field: 'item', types: 'any', window: '1h' },
      { name: 'x.sessions_24h', agg: 'session_starts', window: '24h' },
      {
        name: 'x.carts_per_view_7d',
        agg: 'ratio',
        numerator: { agg: 'count', types: ['cart_add'], window: '7d' },
        denominator: { agg: 'count', types: ['view'], window: '7d' },
        denominatorAtLeast: 2,
      },
    ],
  },
  {
    name: 'x_session',
    entity: 'session',
    purpose: 'personalization',
    ttlMs: 20 * MINUTE,
    description: 'more session aggregations',
    features: [
      { name: 'xs.mean_amount', agg: 'mean', value: 'amount', types: ['cart_add', 'purchase'], window: 'session' },
      { name: 'xs.last_price', agg: 'last', value: 'price', types: ['view', 'cart_add'] },
      { name: 'xs.cart_age_s', agg: 'age', types: ['cart_add'] },
      { name: 'xs.age_s', agg: 'age', types: 'any' },
      { name: 'xs.categories', agg: 'distinct_count', field: 'category', types: 'any', window: 'session' },
      { name: 'xs.units_per_s', agg: 'ratio', numerator: { agg: 'sum', value: 'units', types: 'any', window: 'session' }, denominator: { agg: 'span', unit: 's' } },
    ],
  },
  {
    name: 'x_item',
    entity: 'item',
    purpose: 'analytics',
    ttlMs: DAY,
    description: 'finer item windows',
    features: [
      { name: 'xi.views_1h', agg: 'count', types: ['view'], window: '1h' },
      { name: 'xi.mean_price_30d', agg: 'mean', value: 'price', types: 'any', window: '30d' },
      { name: 'xi.last_amount', agg: 'last', value: 'amount', types: ['purchase'] },
      { name: 'xi.buyers_age_s', agg: 'age', types: ['purchase', 'cart_add'] },
    ],
  },
];

test('custom views, lateness and session gaps: the store equals the reference', () => {
  fc.assert(
    fc.property(
      streamArb({ purges: true, maxEvents: 50 }),
      fc.constantFrom(0, HOUR, 10 * DAY),
      fc.constantFrom(MINUTE, 30 * MINUTE, 2 * HOUR),
      (c, latenessMs, gapMs) => {
        const views = [...DEFAULT_VIEWS, ...EXTRA_VIEWS];
        const store = new FeatureStore({ views, allowedLatenessMs: latenessMs, sessionGapMs: gapMs });
        const ref = new ReferenceStore({ views, histories: DEFAULT_HISTORIES, latenessMs, gapMs });
        for (const step of c.steps) {
          if (step.kind === 'purge') (store.purge(step.entity, step.key), ref.purge(step.entity, step.key));
          else (store.apply(step.event, step.seq), ref.apply(step.event, step.seq));
        }
        assert.equal(store.stats().late, ref.late);
        for (const t of readTimes(ref.watermark)) {
          for (const entity of ['subject', 'session', 'item'] as Entity[]) {
            const keys = entity === 'subject' ? c.subjects : entity === 'session' ? c.sessionKeys : c.items;
            for (const key of keys) {
              const got = Array.from(store.read(entity, key, t));
              const want = ref.read(entity, key, t);
              const names = store.featureNames(entity);
              const diff = names.flatMap((n, i) => (Object.is(got[i], want[i]) ? [] : [`${n}: store ${got[i]} reference ${want[i]}`]));
              assert.deepEqual(diff, [], `${entity} ${JSON.stringify(key)} at W+${t - ref.watermark}`);
            }
          }
        }
      },
    ),
    { numRuns: 120 },
  );
});

test('reading one view returns that view only; reading the entity returns all its views in order', () => {
  const store = new FeatureStore({ views: [...DEFAULT_VIEWS, ...EXTRA_VIEWS] });
  assert.deepEqual(store.featureNames('x_item'), EXTRA_VIEWS[2]!.features.map((f) => f.name));
  assert.deepEqual(store.featureNames('item'), [...DEFAULT_VIEWS[2]!.features, ...EXTRA_VIEWS[2]!.features].map((f) => f.name));
  store.apply({ ts: Date.UTC(2024, 0, 1), sid: 'a', type: 'view', item: 'i', price: 2 }, 1);
  const all = store.readRecord('item', 'i', Date.UTC(2024, 0, 1));
  const one = store.readRecord('x_item', 'i', Date.UTC(2024, 0, 1));
  for (const [name, value] of Object.entries(one)) assert.equal(all[name], value);
  assert.equal(one['xi.mean_price_30d'], 2);
  assert.throws(() => store.read('nope', 'i'), /no feature view or entity "nope"/);
});

test('declarations are checked: bad windows, unknown operands, duplicate names and purposes fail with the place named', () => {
  const base = { name: 'v', entity: 'subject', purpose: 'analytics', ttlMs: DAY, description: '' } as const;
  const bad = (features: FeatureView['features'], override: Partial<FeatureView> = {}) => () => new FeatureStore({ views: [{ ...base, features, ...override }] });
  assert.throws(bad([{ name: 'a', agg: 'count', types: ['view'], window: 'session' }]), (e: unknown) => e instanceof FeatureDefinitionError && /feature "a".*window/.test(e.message));
  assert.throws(bad([{ name: 'a', agg: 'span', unit: 's' }]), /span is a session feature/);
  assert.throws(bad([{ name: 'a', agg: 'ratio', numerator: 'missing', denominator: 'a' }]), /"missing" is not a feature of this view/);
  assert.throws(bad([{ name: 'a', agg: 'count', types: ['view'], window: '1h' }, { name: 'a', agg: 'count', types: ['view'], window: '1h' }]), /unique/);
  assert.throws(bad([{ name: 'a', agg: 'count', types: [], window: '1h' }]), /at least one event type/);
  assert.throws(bad([{ name: 'a', agg: 'count', types: ['view'], window: '1h' }], { purpose: 'marketing' as never }), /purpose must be one of/);
  assert.throws(bad([{ name: 'a', agg: 'count', types: ['view'], window: '1h' }], { ttlMs: 0 }), /ttlMs/);
  // The purpose gate admits an event into an entity's state as a whole: one purpose per entity (and a
  // session's state lives with its subject's).
  const count = (name: string): FeatureView['features'] => [{ name, agg: 'count', types: ['view'], window: '1h' }];
  const two = (a: Partial<FeatureView>, b: Partial<FeatureView>) => () =>
    new FeatureStore({ views: [{ ...base, features: count('a'), ...a }, { ...base, name: 'w', features: count('b'), ...b }] });
  assert.throws(two({}, { purpose: 'personalization' }), /entity subject: its views declare purposes analytics and personalization/);
  assert.throws(two({}, { entity: 'session', purpose: 'personalization', features: [{ name: 'b', agg: 'count', types: ['view'], window: 'session' }] }), /entity session: .*must serve one purpose/);
  assert.doesNotThrow(two({ entity: 'item' }, { entity: 'subject', purpose: 'personalization' }));
  // Retention comes from the purpose (personalization keeps 30 days).
  assert.throws(bad(count('a'), { purpose: 'personalization', ttlMs: 31 * DAY }), /ttlMs exceeds the personalization purpose's retention of 30 days/);
  assert.doesNotThrow(bad(count('a'), { purpose: 'personalization', ttlMs: 30 * DAY }));
  const history = { name: 'h', entity: 'item', purpose: 'personalization', types: ['purchase'], retentionDays: 60, description: '' } as const;
  assert.throws(() => new FeatureStore({ views: [], histories: [history] }), /demand history "h": retentionDays exceeds the personalization purpose's retention/);
});

test('the stream keeps raw events as long as the longest per-person purpose, not the aggregate-only ones', () => {
  const perPerson = Object.values(PURPOSES).filter((p) => p.scope === 'per_subject').map((p) => p.retentionDays);
  assert.equal(STREAM_RETENTION_DAYS, Math.max(...perPerson));
  assert.ok(STREAM_RETENTION_DAYS < PURPOSES.forecasting.retentionDays, 'forecasting keeps its own aggregated history instead');
  assert.equal(DEFAULTS.retentionDays, STREAM_RETENTION_DAYS);
});

test('every default view declares a purpose and a TTL, and the contract names are all there', () => {
  const names = DEFAULT_VIEWS.flatMap((v) => v.features.map((f) => f.name));
  for (const type of ['view', 'cart_add', 'purchase']) for (const w of ['1h', '24h', '7d', '30d']) assert.ok(names.includes(`subject.${type}_count_${w}`));
  for (const n of ['subject.spend_30d', 'subject.distinct_items_7d', 'subject.sessions_30d', 'subject.last_event_age_s']) assert.ok(names.includes(n), n);
  for (const n of ['event_count', 'duration_s', 'distinct_items', 'cart_adds', 'cart_value', 'views_per_minute']) assert.ok(names.includes(`session.${n}`), n);
  for (const e of ['item', 'category']) for (const n of ['view_count_24h', 'cart_add_count_24h', 'purchase_count_7d', 'conversion_rate_7d']) assert.ok(names.includes(`${e}.${n}`));
  for (const v of DEFAULT_VIEWS) assert.ok(['analytics', 'personalization', 'forecasting'].includes(v.purpose) && v.ttlMs > 0, v.name);
  assert.deepEqual(DEFAULT_HISTORIES.map((h) => [h.entity, h.purpose]), [['item', 'forecasting'], ['category', 'forecasting']]);
});
