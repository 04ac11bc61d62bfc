/**
 * Point-in-time training rows, the core of `iob features build`: for each label (subject, time, optional
 * session and item), the features exactly as the online store would have served them at the label's time.
 *
 * It is the online store itself, replayed: events sorted by time (stable: equal times keep input order)
 * go into a fresh FeatureStore, and each label is read, at its own time, after every event at or before
 * that time and before any event after it. So no row can see the future, and training and serving share
 * every line of feature code. Sorted replay means no event is late here; the online store, fed in stream
 * order, drops events older than its allowed lateness — which it counts and reports.
 *
 * The store keeps subject and session state only for labelled subjects, up to each one's last label time
 * (`onlySubjects`): nothing else is ever read, and a training set that labels a sample of subjects replays
 * several times faster. (A session's state is its subject's: a label's session is expected to be one of
 * the label's subject's, as everywhere in the store.)
 *
 * Ids must already be pseudonymous (the caller maps canonical-file ids through the engine's
 * pseudonymizer); this module does no I/O.
 */
import { DEFAULT_VIEWS, ENTITIES, type Entity, type FeatureView } from './definitions.ts';
import { EventColumns } from './event-columns.ts';
import { FeatureStore, type FeatureEvent, type FeatureStoreOptions } from './online-store.ts';
import { sessionKey } from './sessions.ts';

export interface LabelRow {
  /** pseudonymous subject id */
  subject: string;
  /** label time, epoch ms: features use events with ts ≤ this */
  ts: number;
  /** pseudonymous session id; without it the session features are the subject's derived session */
  session?: string;
  item?: string;
  /** default: the category of the item's latest event at or before ts */
  category?: string;
}

export interface PointInTimeOptions extends Omit<FeatureStoreOptions, 'now'> {
  /** whose features fill a row, in order (default: every entity that has views) */
  entities?: readonly Entity[];
  /** called every ~65k events applied, and with (total, total) at the end */
  onProgress?: (eventsDone: number, eventsTotal: number) => void;
  /**
   * Write into these rows instead of new ones: row i at values[i × width], entity k's features from
   * offsets[k] (a parallel build's threads fill disjoint columns of one shared matrix). Starts zeroed.
   */
  into?: RowsTarget;
}

export interface RowsTarget {
  values: Float32Array;
  width: number;
  offsets: readonly number[];
}

export interface TrainingRows {
  /** feature names, the columns of every row */
  columns: readonly string[];
  /** whose features fill a row, in order, and how many columns each fills */
  entities: readonly Entity[];
  widths: readonly number[];
  rows: number;
  width: number;
  /** row-major: row i is values[i * width, (i + 1) * width), rows in label order */
  values: Float32Array;
  row(i: number): Float32Array;
  /** the store as it was after the last label: its stats say what was applied */
  store: FeatureStore;
}

/** `events`: columns, or an array (converted to columns first: big inputs should arrive as columns). */
export function buildPointInTimeRows(input: EventColumns | readonly FeatureEvent[], labels: readonly LabelRow[], options: PointInTimeOptions = {}): TrainingRows {
  const { entities: wanted, onProgress, into, ...storeOptions } = options;
  const events = input instanceof EventColumns ? input : EventColumns.from(input);
  // A label with an item but no category reads the category of the item's latest event so far: the store
  // remembers it per item slot as it applies events.
  const wantsCategory = (wanted ?? ENTITIES).includes('category') && labels.some((l) => l.item && !l.category);
  // Subject and session state is read at labels only: keep it for labelled subjects, up to their last label.
  const wantsPeople = (wanted ?? ENTITIES).some((e) => e === 'subject' || e === 'session');
  const lastLabel = new Map<string, number>();
  if (wantsPeople) for (const l of labels) if (!(lastLabel.get(l.subject)! >= l.ts)) lastLabel.set(l.subject, l.ts);
  // Only what a row reads is kept: the views of the wanted entities, and no demand history (rows never
  // read it). An entity's features do not depend on other entities' state (a distinct count's ids come
  // from the store's dictionary when the item state is absent), so leaving state out changes no value.
  const allViews = storeOptions.views ?? DEFAULT_VIEWS;
  const store = new FeatureStore({
    onlySubjects: lastLabel,
    trackItemCategories: wantsCategory,
    ...storeOptions,
    views: wanted ? allViews.filter((v) => wanted.includes(v.entity)) : allViews,
    histories: storeOptions.histories ?? [],
  });
  const { entities, widths, columns, offsets: ownOffsets } = rowLayout(store, wanted ?? entitiesWithViews(allViews));
  const readers = entities.map((e) => store.reader(e));
  const width = into?.width ?? columns.length;
  const values = into?.values ?? new Float32Array(labels.length * width);
  const offsets = into?.offsets ?? ownOffsets;
  if (values.length < labels.length * width || offsets.length !== entities.length) throw new RangeError('into: rows too short, or not one offset per entity');

  const eventTimes = events.ts;
  const eventOrder = timeOrder(events.length, (i) => eventTimes[i]!, 'event');
  const labelOrder = timeOrder(labels.length, (i) => labels[i]!.ts, 'label');
  const total = events.length;
  let next = 0;
  for (let l = 0; l < labels.length; l++) {
    const index = labelOrder === null ? l : labelOrder[l]!;
    const label = labels[index]!;
    const t = label.ts;
    // an event's position is its own index when the input is already in time order (the usual case)
    while (next < total) {
      const at = eventOrder === null ? next : eventOrder[next]!;
      if (eventTimes[at]! > t) break;
      store.applyRow(events, at, ++next);
      if ((next & 0xffff) === 0) onProgress?.(next, total);
    }
    const row = index * width;
    for (let k = 0; k < entities.length; k++) {
      const key = keyOf(entities[k]!, label, store);
      // unknown or missing keys read as zeros (values starts zeroed)
      if (key !== undefined) readers[k]!(values, row + offsets[k]!, key, t);
    }
  }
  // Events after the last label cannot change any row: they are not applied, and the work is done.
  onProgress?.(total, total);
  return trainingRows({ columns, entities, widths }, labels.length, width, values, store);
}

/** Rows over `values` (row-major, `width` per row) with the layout's columns. */
export function trainingRows(
  layout: Pick<TrainingRows, 'columns' | 'entities' | 'widths'>,
  rows: number,
  width: number,
  values: Float32Array,
  store: FeatureStore,
): TrainingRows {
  return { ...layout, rows, width, values, row: (i) => values.subarray(i * width, (i + 1) * width), store };
}

/** Every entity that has views, in ENTITIES order: whose features fill a row when the caller names none. */
export function entitiesWithViews(views: readonly FeatureView[]): Entity[] {
  return ENTITIES.filter((e) => views.some((v) => v.entity === e));
}

/** A row's columns: per entity (by position, so an entity named twice fills two places), its width and offset. */
export function rowLayout(store: FeatureStore, entities: readonly Entity[]): { entities: readonly Entity[]; widths: number[]; columns: string[]; offsets: number[] } {
  const widths = entities.map((e) => store.featureNames(e).length);
  const offsets = widths.map((_, k) => widths.slice(0, k).reduce((n, w) => n + w, 0));
  return { entities, widths, columns: entities.flatMap((e) => store.featureNames(e)), offsets };
}

function keyOf(entity: Entity, label: LabelRow, store: FeatureStore): string | undefined {
  switch (entity) {
    case 'subject':
      return label.subject || undefined;
    case 'session':
      return label.subject || label.session ? sessionKey(label.subject, label.session) : undefined;
    case 'item':
      return label.item || undefined;
    case 'category':
      return label.category || (label.item ? store.categoryOfItem(label.item) : undefined);
  }
}

/** Indices 0..n-1 ordered by time, ties in index order; null when that is 0..n-1 itself. */
function timeOrder(n: number, timeOf: (i: number) => number, what: string): Uint32Array | null {
  // Time-ordered input (the stream's own order) needs no array at all: check that first.
  let previous = -Infinity;
  let i = 0;
  for (; i < n; i++) {
    const t = timeOf(i);
    if (!(t >= previous) || !Number.isFinite(t)) break;
    previous = t;
  }
  if (i === n) return null;
  const times = new Float64Array(n);
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = timeOf(i);
    if (!Number.isFinite(t)) throw new RangeError(`${what} ${i}: ts must be epoch milliseconds (got ${String(t)})`);
    times[i] = t;
    if (!Number.isInteger(t)) integral = false;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const order = new Uint32Array(n);
  // Usually (time − earliest, index) packs exactly into one double: then the engine's native numeric sort,
  // several times faster than a comparator, gives the stable order directly.
  const indexBits = Math.max(1, Math.ceil(Math.log2(n)));
  const scale = 2 ** indexBits;
  if (integral && (max - min + 1) * scale <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (times[i]! - min) * scale + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i]! % scale;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => times[a]! - times[b]! || a - b);
}
