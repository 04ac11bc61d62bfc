/**
 * Compiles feature views into what the store keeps and how it reads it, per entity kind:
 * - measures: additive quantities (a count, or a sum of a value with a sign per event type), kept per tile
 *   (windowed features) or per session (session features), deduplicated across features and views;
 * - distinct sets, last values and typed recency, for the features that are not sums;
 * - inputs: the raw quantities a read computes from that state (a measure summed over one window, a
 *   distinct count, an age in ms …), each in one slot of a Float64Array;
 * - evaluators: per feature, how the served value comes from the inputs (mostly one input over a constant;
 *   a small function for means and ratios).
 * The online store and point-in-time builds both read through these evaluators: there is one implementation
 * of every aggregation.
 */
import { EVENT_TYPES, type EventType } from '../event-schema.ts';
import { isPurpose, PURPOSE_IDS, PURPOSES, type Purpose } from '../purposes.ts';
import {
  ENTITIES,
  type Aggregation,
  type DemandHistoryView,
  type Entity,
  type EventTypes,
  type Feature,
  type FeatureView,
  type Operand,
  type Value,
} from './definitions.ts';
import { DAY, LEVEL_MS, TILE_WINDOWS, TileLevels, WINDOW_SHAPES, type TileWindow, type WindowShape } from './time-windows.ts';

/** Per-event values a measure can sum, by index into the Float64Array the store fills once per event. */
export const VALUE_ONE = 0;
export const VALUE_UNITS = 1;
export const VALUE_PRICE_CENTS = 2;
export const VALUE_AMOUNT_CENTS = 3;
const VALUE_INDEX: Record<Value, number> = { units: VALUE_UNITS, price: VALUE_PRICE_CENTS, amount: VALUE_AMOUNT_CENTS };
const VALUE_SCALE: Record<Value, number> = { units: 1, price: 100, amount: 100 };

/** Event type → bit index. No prototype, so a type like "constructor" is unknown rather than inherited. */
export const TYPE_INDEX = Object.assign(Object.create(null), Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i]))) as Record<EventType, number>;
const ALL_TYPES = (1 << EVENT_TYPES.length) - 1;

export const FIELD_ITEM = 0;
export const FIELD_CATEGORY = 1;

/** Where each event type adds to the measures of one storage (tiles or sessions). */
export interface TypeContributions {
  intCol: Int32Array;
  intSign: Int32Array;
  floatCol: Int32Array;
  floatSign: Float64Array;
  floatValue: Int32Array;
}

/** Measures of one storage: counts are Int32 columns, sums Float64 columns (exact integers of cents or units). */
export interface MeasureLayout {
  ints: number;
  floats: number;
  /** by event type index */
  byType: TypeContributions[];
}

/** The inputs that sum one tile window: slots and the measure columns they read. */
export interface WindowInputs {
  shape: WindowShape;
  /** the shape's bucket length (ms) and bucket count, flat for the read loop */
  bucketMs: number;
  buckets: number;
  intSlots: Int32Array;
  intCols: Int32Array;
  floatSlots: Int32Array;
  floatCols: Int32Array;
}

export interface DistinctSpec {
  field: typeof FIELD_ITEM | typeof FIELD_CATEGORY;
  mask: number;
  /** null: the whole session */
  shape: WindowShape | null;
  slot: number;
}

export interface LastSpec {
  value: number;
  mask: number;
  slot: number;
}

export interface AgeSpec {
  /** ALL types: the entity's newest event, no state of its own */
  mask: number;
  slot: number;
}

/**
 * How a feature's value comes from the inputs. Most features are one input divided by a constant, run
 * from typed arrays without a call; means and ratios are small functions over other evaluators.
 */
export const OP_SCALED = 0; // inputs[slot] / scale
export const OP_AT_LEAST = 1; // max(param, inputs[slot] / scale)
export const OP_AGE = 2; // inputs[slot] < 0 ? 0 : inputs[slot] / scale   (the state writes -1 for "never")
export const OP_FUNCTION = 3; // fn(inputs)

export interface Evaluator {
  op: number;
  slot: number;
  scale: number;
  param: number;
  fn: ((inputs: Float64Array) => number) | undefined;
}

export function evaluate(e: Evaluator, a: Float64Array): number {
  switch (e.op) {
    case OP_SCALED:
      return a[e.slot]! / e.scale;
    case OP_AT_LEAST:
      return Math.max(e.param, a[e.slot]! / e.scale);
    case OP_AGE:
      return a[e.slot]! < 0 ? 0 : a[e.slot]! / e.scale;
    default:
      return e.fn!(a);
  }
}

export interface CompiledView {
  view: FeatureView;
  names: readonly string[];
  evaluators: readonly Evaluator[];
}

export interface HistorySpec {
  view: DemandHistoryView;
  mask: number;
}

export interface KindPlan {
  entity: Entity;
  /**
   * The purpose every view of this entity serves (undefined when it has none). The purpose gate admits an
   * event into a kind's views as a whole, so one entity's views serve one purpose; its demand history
   * declares and is gated by its own.
   */
  purpose: Purpose | undefined;
  views: readonly CompiledView[];
  /** windowed measures, kept per tile */
  /** windowed measures, kept per tile; windows narrowest first */
  tiles: MeasureLayout & { levels: TileLevels; windows: WindowInputs[]; sessionStartCol: number };
  /** session-long measures, kept per session; `slots[i]` reads int column i, `floatSlots[i]` float column i */
  lifetime: MeasureLayout & { intSlots: Int32Array; floatSlots: Int32Array };
  distinct: DistinctSpec[];
  last: LastSpec[];
  ages: AgeSpec[];
  /** input slot of the session span (newest − oldest event, ms), or -1 */
  spanSlot: number;
  inputCount: number;
  history: HistorySpec | undefined;
  /** finest time step at which the state of an entity needs tidying as its newest event advances */
  tidyStepMs: number;
  /** state untouched for this long behind the watermark can never be read or joined again */
  retentionMs: number;
}

export interface StorePlan {
  kinds: Record<Entity, KindPlan | undefined>;
  /** every view by name */
  views: ReadonlyMap<string, { kind: KindPlan; index: number }>;
  latenessMs: number;
  sessionGapMs: number;
  /** a stable description of what the state means, recorded in snapshots */
  fingerprint: string;
}

export class FeatureDefinitionError extends Error {
  override name = 'FeatureDefinitionError';
}

const fail = (where: string, message: string): never => {
  throw new FeatureDefinitionError(`${where}: ${message}`);
};

function typeMask(types: EventTypes, where: string): number {
  if (types === 'any') return ALL_TYPES;
  if (types.length === 0) fail(where, 'needs at least one event type');
  let mask = 0;
  for (const t of types) {
    const i = TYPE_INDEX[t];
    if (i === undefined) fail(where, `unknown event type ${JSON.stringify(t)}`);
    mask |= 1 << i!;
  }
  return mask;
}

/** Collects measures of one storage, deduplicated by what they sum. */
class MeasureCollector {
  private readonly ints = new Map<string, number>();
  private readonly floats = new Map<string, number>();
  private readonly intDefs: { plus: number; minus: number; source: string }[] = [];
  private readonly floatDefs: { plus: number; minus: number; value: number }[] = [];

  /** Returns [storage, column]: counts of events go to ints, sums to floats. */
  add(value: number, plus: number, minus: number, source = 'events'): ['int' | 'float', number] {
    const key = `${source}|${value}|${plus}|${minus}`;
    if (value === VALUE_ONE) {
      let col = this.ints.get(key);
      if (col === undefined) this.ints.set(key, (col = this.intDefs.push({ plus, minus, source }) - 1));
      return ['int', col];
    }
    let col = this.floats.get(key);
    if (col === undefined) this.floats.set(key, (col = this.floatDefs.push({ plus, minus, value }) - 1));
    return ['float', col];
  }

  layout(): MeasureLayout {
    const byType = EVENT_TYPES.map((_, t): TypeContributions => {
      const bit = 1 << t;
      const ints = this.intDefs.flatMap((d, col) => (d.source !== 'events' ? [] : d.plus & bit ? [[col, 1]] : d.minus & bit ? [[col, -1]] : []));
      const floats = this.floatDefs.flatMap((d, col) => (d.plus & bit ? [[col, 1, d.value]] : d.minus & bit ? [[col, -1, d.value]] : []));
      return {
        intCol: Int32Array.from(ints, (x) => x[0]!),
        intSign: Int32Array.from(ints, (x) => x[1]!),
        floatCol: Int32Array.from(floats, (x) => x[0]!),
        floatSign: Float64Array.from(floats, (x) => x[1]!),
        floatValue: Int32Array.from(floats, (x) => x[2]!),
      };
    });
    return { ints: this.intDefs.length, floats: this.floatDefs.length, byType };
  }
}

/** Builds one kind's plan while its views' features are compiled. */
class KindBuilder {
  readonly tileMeasures = new MeasureCollector();
  readonly lifetimeMeasures = new MeasureCollector();
  readonly inputs = new Map<string, number>();
  readonly windowInputs = new Map<TileWindow, { int: [number, number][]; float: [number, number][] }>();
  readonly lifetimeInputs: { int: [number, number][]; float: [number, number][] } = { int: [], float: [] };
  readonly distinct: DistinctSpec[] = [];
  readonly last: LastSpec[] = [];
  readonly ages: AgeSpec[] = [];
  sessionStartCol = -1;
  spanSlot = -1;
  readonly views: CompiledView[] = [];

  constructor(readonly entity: Entity) {}

  slot(key: string, onNew?: (slot: number) => void): number {
    let slot = this.inputs.get(key);
    if (slot === undefined) {
      this.inputs.set(key, (slot = this.inputs.size));
      onNew?.(slot);
    }
    return slot;
  }

  /** The input slot holding measure (value, plus, minus) summed over `window`. */
  measureInput(value: number, plus: number, minus: number, window: string, where: string, source = 'events'): number {
    if (this.entity === 'session') {
      if (window !== 'session') fail(where, `session features use the window 'session', not ${JSON.stringify(window)}`);
      const [storage, col] = this.lifetimeMeasures.add(value, plus, minus, source);
      return this.slot(`life|${storage}|${col}`, (slot) => this.lifetimeInputs[storage].push([slot, col]));
    }
    if (!(TILE_WINDOWS as readonly string[]).includes(window)) {
      fail(where, `window must be one of ${TILE_WINDOWS.join(', ')} (got ${JSON.stringify(window)})`);
    }
    const w = window as TileWindow;
    const [storage, col] = this.tileMeasures.add(value, plus, minus, source);
    if (source === 'session_starts') this.sessionStartCol = col;
    return this.slot(`tile|${w}|${storage}|${col}`, (slot) => {
      let group = this.windowInputs.get(w);
      if (!group) this.windowInputs.set(w, (group = { int: [], float: [] }));
      group[storage].push([slot, col]);
    });
  }
}

const SECOND = 1000;

// every evaluator has the same fields in the same order, so the read loop sees one object shape
const scaled = (slot: number, scale = 1): Evaluator => ({ op: OP_SCALED, slot, scale, param: 0, fn: undefined });
const computed = (fn: (a: Float64Array) => number): Evaluator => ({ op: OP_FUNCTION, slot: 0, scale: 1, param: 0, fn });

function compileAggregation(b: KindBuilder, agg: Aggregation, where: string, resolveName: (name: string) => Aggregation, depth = 0): Evaluator {
  if (depth > 8) fail(where, 'ratio operands nest too deeply (a cycle?)');
  switch (agg.agg) {
    case 'count':
      return scaled(b.measureInput(VALUE_ONE, typeMask(agg.types, where), 0, agg.window, where));
    case 'sum': {
      const scale = VALUE_SCALE[agg.value] ?? fail(where, `unknown value ${JSON.stringify(agg.value)}`);
      const minus = agg.minus?.length ? typeMask(agg.minus, where) : 0;
      const slot = b.measureInput(VALUE_INDEX[agg.value], typeMask(agg.types, where), minus, agg.window, where);
      return agg.atLeast === undefined ? scaled(slot, scale) : { op: OP_AT_LEAST, slot, scale, param: agg.atLeast, fn: undefined };
    }
    case 'mean': {
      const scale = VALUE_SCALE[agg.value] ?? fail(where, `unknown value ${JSON.stringify(agg.value)}`);
      const mask = typeMask(agg.types, where);
      const sum = b.measureInput(VALUE_INDEX[agg.value], mask, 0, agg.window, where);
      const count = b.measureInput(VALUE_ONE, mask, 0, agg.window, where);
      return computed((a) => (a[count] === 0 ? 0 : a[sum]! / scale / a[count]!));
    }
    case 'distinct_count': {
      const field = agg.field === 'item' ? FIELD_ITEM : agg.field === 'category' ? FIELD_CATEGORY : fail(where, `cannot count distinct ${agg.field}`);
      const mask = typeMask(agg.types, where);
      let shape: WindowShape | null = null;
      if (b.entity === 'session') {
        if (agg.window !== 'session') fail(where, `session features use the window 'session'`);
      } else {
        shape = WINDOW_SHAPES[agg.window as TileWindow] ?? fail(where, `window must be one of ${TILE_WINDOWS.join(', ')}`);
      }
      return scaled(b.slot(`distinct|${field}|${mask}|${agg.window}`, (s) => b.distinct.push({ field, mask, shape, slot: s })));
    }
    case 'last': {
      const scale = VALUE_SCALE[agg.value] ?? fail(where, `unknown value ${JSON.stringify(agg.value)}`);
      const mask = typeMask(agg.types, where);
      const value = VALUE_INDEX[agg.value];
      return scaled(b.slot(`last|${value}|${mask}`, (s) => b.last.push({ value, mask, slot: s })), scale);
    }
    case 'age': {
      const mask = typeMask(agg.types, where);
      return { op: OP_AGE, slot: b.slot(`age|${mask}`, (s) => b.ages.push({ mask, slot: s })), scale: SECOND, param: 0, fn: undefined };
    }
    case 'span': {
      if (b.entity !== 'session') fail(where, 'span is a session feature');
      const unit = agg.unit === 's' ? SECOND : agg.unit === 'min' ? 60 * SECOND : fail(where, `unknown unit ${JSON.stringify(agg.unit)}`);
      return scaled(b.slot('span', (s) => (b.spanSlot = s)), unit);
    }
    case 'session_starts': {
      if (b.entity !== 'subject') fail(where, 'session_starts is a subject feature');
      return scaled(b.measureInput(VALUE_ONE, 0, 0, agg.window, where, 'session_starts'));
    }
    case 'ratio': {
      const operand = (o: Operand) => compileAggregation(b, typeof o === 'string' ? resolveName(o) : o, where, resolveName, depth + 1);
      const numerator = operand(agg.numerator);
      const denominator = operand(agg.denominator);
      const atLeast = agg.denominatorAtLeast ?? -Infinity;
      return computed((a) => {
        const d = Math.max(atLeast, evaluate(denominator, a));
        return d === 0 ? 0 : evaluate(numerator, a) / d;
      });
    }
    default:
      return fail(where, `unknown aggregation ${JSON.stringify((agg as { agg: unknown }).agg)}`);
  }
}

export interface PlanOptions {
  views: readonly FeatureView[];
  histories: readonly DemandHistoryView[];
  latenessMs: number;
  sessionGapMs: number;
}

export function compilePlan(options: PlanOptions): StorePlan {
  const { latenessMs, sessionGapMs } = options;
  if (!(latenessMs >= 0) || !Number.isFinite(latenessMs)) fail('allowedLatenessMs', 'must be a finite number ≥ 0');
  if (!(sessionGapMs > 0) || !Number.isFinite(sessionGapMs)) fail('sessionGapMs', 'must be a finite number > 0');
  const builders = new Map<Entity, KindBuilder>();
  const viewNames = new Set<string>();
  const featureNames = new Set<string>();
  const builder = (entity: Entity) => {
    let b = builders.get(entity);
    if (!b) builders.set(entity, (b = new KindBuilder(entity)));
    return b;
  };

  for (const view of options.views) {
    const where = `feature view ${JSON.stringify(view.name)}`;
    if (!view.name || viewNames.has(view.name)) fail(where, 'view names must be unique and non-empty');
    viewNames.add(view.name);
    if (!ENTITIES.includes(view.entity)) fail(where, `unknown entity ${JSON.stringify(view.entity)}`);
    if (!isPurpose(view.purpose)) fail(where, `purpose must be one of ${PURPOSE_IDS.join(', ')}`);
    if (!(view.ttlMs > 0)) fail(where, 'ttlMs must be > 0');
    const b = builder(view.entity);
    const byName = new Map(view.features.map((f) => [f.name, f]));
    const resolve = (name: string): Aggregation => byName.get(name) ?? fail(where, `ratio operand ${JSON.stringify(name)} is not a feature of this view`);
    const evaluators = view.features.map((f: Feature) => {
      if (!f.name || featureNames.has(f.name)) fail(where, `feature ${JSON.stringify(f.name)}: names must be unique across all views`);
      featureNames.add(f.name);
      return compileAggregation(b, f, `${where}, feature ${JSON.stringify(f.name)}`, resolve);
    });
    b.views.push({ view, names: view.features.map((f) => f.name), evaluators });
  }

  const histories = new Map<Entity, HistorySpec>();
  for (const h of options.histories) {
    const where = `demand history ${JSON.stringify(h.name)}`;
    if (h.entity !== 'item' && h.entity !== 'category') fail(where, 'entity must be item or category');
    if (histories.has(h.entity)) fail(where, `only one demand history per entity (${h.entity})`);
    if (!isPurpose(h.purpose)) fail(where, `purpose must be one of ${PURPOSE_IDS.join(', ')}`);
    if (!(Number.isInteger(h.retentionDays) && h.retentionDays >= 1)) fail(where, 'retentionDays must be a whole number ≥ 1');
    if (h.retentionDays > PURPOSES[h.purpose].retentionDays) fail(where, `retentionDays exceeds the ${h.purpose} purpose's retention of ${PURPOSES[h.purpose].retentionDays} days`);
    histories.set(h.entity, { view: h, mask: typeMask(h.types, where) });
    builder(h.entity);
  }
  // One purpose per entity's views: the gate admits an event into an entity's state as a whole. A session's
  // state lives with its subject's, so the two entities share one purpose too.
  const purposeOf = (entity: Entity) => builders.get(entity)?.views[0]?.view.purpose;
  for (const b of builders.values()) {
    const mixed = [...new Set(b.views.map((v) => v.view.purpose))];
    if (mixed.length > 1) fail(`entity ${b.entity}`, `its views declare purposes ${mixed.join(' and ')}; the views of one entity must serve one purpose (the purpose gate admits an event into an entity's state as a whole)`);
  }
  const subjectPurpose = purposeOf('subject');
  const sessionPurpose = purposeOf('session');
  if (subjectPurpose && sessionPurpose && subjectPurpose !== sessionPurpose) {
    fail('entity session', `its views serve ${sessionPurpose} but the subject's serve ${subjectPurpose}; session state lives with its subject, so both must serve one purpose`);
  }
  // Sessions are counted per subject, and session state needs its subject: either implies both kinds.
  if (builders.has('session') || (builders.get('subject')?.sessionStartCol ?? -1) >= 0) {
    builder('subject');
    builder('session');
  }

  const kinds = {} as Record<Entity, KindPlan | undefined>;
  for (const entity of ENTITIES) {
    const b = builders.get(entity);
    kinds[entity] = b ? finish(b, histories.get(entity), options) : undefined;
  }
  // A subject's state must outlive its sessions' state, which refers to it.
  if (kinds.subject && kinds.session) kinds.subject.retentionMs = Math.max(kinds.subject.retentionMs, kinds.session.retentionMs);

  const views = new Map<string, { kind: KindPlan; index: number }>();
  for (const kind of Object.values(kinds)) kind?.views.forEach((v, index) => views.set(v.view.name, { kind, index }));
  const fingerprint = JSON.stringify({
    latenessMs,
    sessionGapMs,
    views: options.views.map((v) => ({ ...v, description: undefined, features: v.features.map((f) => ({ ...f, description: undefined })) })),
    histories: options.histories.map((h) => ({ ...h, description: undefined })),
  });
  return { kinds, views, latenessMs, sessionGapMs, fingerprint };
}

function finish(b: KindBuilder, history: HistorySpec | undefined, options: PlanOptions): KindPlan {
  const tileLayout = b.tileMeasures.layout();
  const lifeLayout = b.lifetimeMeasures.layout();
  // Narrowest window first. Reads sum tiles newest-first and copy running sums out as they pass each
  // window's start, which needs every narrower window to start no earlier than every wider one at any t:
  // a window's start lies in (t − n·R, t − (n−1)·R], so n₁·R₁ ≤ (n₂−1)·R₂ suffices (true of TILE_WINDOWS).
  const byWidth = [...b.windowInputs].sort(([a], [c]) => span(WINDOW_SHAPES[a]) - span(WINDOW_SHAPES[c]));
  for (let k = 1; k < byWidth.length; k++) {
    const narrow = WINDOW_SHAPES[byWidth[k - 1]![0]];
    const wide = WINDOW_SHAPES[byWidth[k]![0]];
    if (span(narrow) > (wide.buckets - 1) * LEVEL_MS[wide.level]) fail(`entity ${b.entity}`, 'windows overlap in a way tile sums cannot serve');
  }
  const windows: WindowInputs[] = byWidth.map(([w, g]) => ({
    shape: WINDOW_SHAPES[w],
    bucketMs: LEVEL_MS[WINDOW_SHAPES[w].level],
    buckets: WINDOW_SHAPES[w].buckets,
    intSlots: Int32Array.from(g.int, (x) => x[0]),
    intCols: Int32Array.from(g.int, (x) => x[1]),
    floatSlots: Int32Array.from(g.float, (x) => x[0]),
    floatCols: Int32Array.from(g.float, (x) => x[1]),
  }));
  const shapes = [...b.windowInputs.keys()].map((w) => WINDOW_SHAPES[w]);
  const levels = new TileLevels(shapes);
  const lifetimeIntSlots = new Int32Array(lifeLayout.ints).fill(-1);
  for (const [slot, col] of b.lifetimeInputs.int) lifetimeIntSlots[col] = slot;
  const lifetimeFloatSlots = new Int32Array(lifeLayout.floats).fill(-1);
  for (const [slot, col] of b.lifetimeInputs.float) lifetimeFloatSlots[col] = slot;

  // Tidying (folding tiles, pruning distinct sets and history) only matters when the newest event crosses a
  // bucket boundary of the finest resolution the kind keeps.
  const steps = [
    ...levels.levels.map((l) => LEVEL_MS[l]),
    ...b.distinct.flatMap((d) => (d.shape ? [LEVEL_MS[d.shape.level]] : [])),
    ...(history ? [DAY] : []),
  ];
  const ttl = Math.max(0, ...b.views.map((v) => v.view.ttlMs));
  const windowSpan = Math.max(
    levels.spanMs,
    ...b.distinct.map((d) => (d.shape ? d.shape.buckets * LEVEL_MS[d.shape.level] : 0)),
  );
  // Retention comes from the purpose: no view may serve (TTL) or sum (window) data older than its purpose keeps.
  const purpose = b.views[0]?.view.purpose;
  if (purpose) {
    const keepMs = PURPOSES[purpose].retentionDays * DAY;
    for (const v of b.views) if (v.view.ttlMs > keepMs) fail(`feature view ${JSON.stringify(v.view.name)}`, `ttlMs exceeds the ${purpose} purpose's retention of ${PURPOSES[purpose].retentionDays} days`);
    if (windowSpan > keepMs) fail(`entity ${b.entity}`, `a window spans more than the ${purpose} purpose's retention of ${PURPOSES[purpose].retentionDays} days`);
  }
  const retentionMs =
    b.entity === 'session'
      ? Math.max(ttl, options.latenessMs + options.sessionGapMs)
      : Math.max(ttl, windowSpan + options.latenessMs, history ? history.view.retentionDays * DAY + options.latenessMs : 0) + DAY;
  return {
    entity: b.entity,
    purpose: b.views[0]?.view.purpose,
    views: b.views,
    tiles: { ...tileLayout, levels, windows, sessionStartCol: b.sessionStartCol },
    lifetime: { ...lifeLayout, intSlots: lifetimeIntSlots, floatSlots: lifetimeFloatSlots },
    distinct: b.distinct,
    last: b.last,
    ages: b.ages,
    spanSlot: b.spanSlot,
    inputCount: b.inputs.size,
    history,
    tidyStepMs: steps.length ? Math.min(...steps) : Infinity,
    retentionMs,
  };
}

export const ANY_TYPE_MASK = ALL_TYPES;

const span = (shape: WindowShape) => shape.buckets * LEVEL_MS[shape.level];
