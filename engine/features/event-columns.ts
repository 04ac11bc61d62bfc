/**
 * Feature events held column by column, for the batch paths that keep a whole event file in memory
 * (`iob features build`, `iob train intent --events`).
 *
 * Why not an array of FeatureEvent objects: each one cost ~210 bytes of JS heap (the object, plus its own
 * copy of every id string), so the heap's 4 GB limit ended a build at ~15 million events with a V8
 * out-of-memory crash — a tenth of the Taobao log. Here an event is 41 bytes of typed arrays (outside the
 * heap), and each distinct subject, session, item and category string is kept once.
 *
 * Readers take each event's FeatureEvent from `eventAt` as it is needed, or (a build's replay,
 * `FeatureStore.applyRow`) have `eventInto` write it into one reused object.
 */
import type { FeatureEvent } from './online-store.ts';

const NONE = -1;

/** Distinct strings, each stored once, numbered in order of first appearance. */
class Interned {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  id(value: string): number {
    let id = this.index.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.index.set(value, id);
    }
    return id;
  }

  get size(): number {
    return this.values.length;
  }

  /** `n` ids that all read as '': columns whose ids are kept but whose strings nothing reads. */
  static blank(n: number): Interned {
    const interned = new Interned();
    for (let i = 0; i < n; i++) interned.values.push('');
    return interned;
  }

  static of(values: readonly string[]): Interned {
    const interned = new Interned();
    for (const v of values) interned.id(v);
    return interned;
  }
}

/**
 * The columns that item and category state read, for a worker thread (parallel-build.ts): views of the
 * columns' shared memory (posting them copies no event) and the dictionaries. Subject and session ids
 * come without their strings, since item and category state never read either.
 */
export interface ItemSideColumns {
  length: number;
  ts: Float64Array;
  type: Uint8Array;
  item: Int32Array;
  category: Int32Array;
  price: Float64Array;
  quantity: Float64Array;
  types: readonly string[];
  items: readonly string[];
  categories: readonly string[];
  /** the subject and session columns, shared too, with only their numbers of distinct ids */
  sid: Int32Array;
  ssid: Int32Array;
  subjects: number;
  sessions: number;
}

type Column = Float64Array | Int32Array | Uint8Array;
type ColumnType<T extends Column> = { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };

/** Columns live in shared memory: a build's worker thread reads them where they are (parallel-build.ts). */
function shared<T extends Column>(Type: ColumnType<T>, n: number): T {
  return new Type(new SharedArrayBuffer(n * Type.BYTES_PER_ELEMENT));
}

function grown<T extends Column>(column: T, capacity: number): T {
  const next = shared(column.constructor as ColumnType<T>, capacity);
  next.set(column);
  return next;
}

export class EventColumns {
  length = 0;
  /** event time, epoch ms */
  ts: Float64Array;
  /** per event: index into `types` */
  type: Uint8Array;
  /** per event: index into `subjects` */
  sid: Int32Array;
  /** per event: index into `sessions`, items, categories; −1 when the event has none */
  ssid: Int32Array;
  item: Int32Array;
  category: Int32Array;
  /** NaN when the event has none */
  price: Float64Array;
  quantity: Float64Array;
  readonly types: Interned;
  readonly subjects: Interned;
  readonly sessions: Interned;
  readonly items: Interned;
  readonly categories: Interned;

  constructor(capacity = 1024, dictionaries?: Partial<Record<'types' | 'subjects' | 'sessions' | 'items' | 'categories', Interned>>) {
    const n = Math.max(16, capacity);
    this.ts = shared(Float64Array, n);
    this.type = shared(Uint8Array, n);
    this.sid = shared(Int32Array, n);
    this.ssid = shared(Int32Array, n);
    this.item = shared(Int32Array, n);
    this.category = shared(Int32Array, n);
    this.price = shared(Float64Array, n);
    this.quantity = shared(Float64Array, n);
    this.types = dictionaries?.types ?? new Interned();
    this.subjects = dictionaries?.subjects ?? new Interned();
    this.sessions = dictionaries?.sessions ?? new Interned();
    this.items = dictionaries?.items ?? new Interned();
    this.categories = dictionaries?.categories ?? new Interned();
  }

  static from(events: Iterable<FeatureEvent>): EventColumns {
    const columns = new EventColumns(Array.isArray(events) ? events.length : undefined);
    for (const e of events) columns.push(e);
    return columns;
  }

  push(e: FeatureEvent): void {
    const i = this.length;
    if (i === this.ts.length) this.grow(2 * i);
    const type = this.types.id(e.type);
    // types are a closed list (the event contract's); this only guards the column's width
    if (type > 255) throw new RangeError('more than 256 distinct event types');
    this.ts[i] = e.ts;
    this.type[i] = type;
    this.sid[i] = this.subjects.id(e.sid);
    // an empty session id is no session id, as everywhere in the store (sessionKey)
    this.ssid[i] = e.ssid === undefined || e.ssid === '' ? NONE : this.sessions.id(e.ssid);
    this.item[i] = e.item === undefined ? NONE : this.items.id(e.item);
    this.category[i] = e.category === undefined ? NONE : this.categories.id(e.category);
    this.price[i] = e.price ?? NaN;
    this.quantity[i] = e.quantity ?? NaN;
    this.length = i + 1;
  }

  /** The item side of these columns, as views of their shared memory (events below `length` never change). */
  itemSide(): ItemSideColumns {
    const n = this.length;
    return {
      length: n,
      ts: this.ts.subarray(0, n),
      type: this.type.subarray(0, n),
      item: this.item.subarray(0, n),
      category: this.category.subarray(0, n),
      price: this.price.subarray(0, n),
      quantity: this.quantity.subarray(0, n),
      types: this.types.values,
      items: this.items.values,
      categories: this.categories.values,
      sid: this.sid.subarray(0, n),
      ssid: this.ssid.subarray(0, n),
      subjects: this.subjects.size,
      sessions: this.sessions.size,
    };
  }

  /** Columns from an item side: every event reads as subject '' without a session (item and category state read neither). */
  static fromItemSide(side: ItemSideColumns): EventColumns {
    const columns = new EventColumns(0, {
      types: Interned.of(side.types),
      subjects: Interned.blank(side.subjects),
      sessions: Interned.blank(side.sessions),
      items: Interned.of(side.items),
      categories: Interned.of(side.categories),
    });
    const n = side.length;
    columns.length = n;
    columns.ts = side.ts;
    columns.type = side.type;
    columns.sid = side.sid;
    columns.ssid = side.ssid;
    columns.item = side.item;
    columns.category = side.category;
    columns.price = side.price;
    columns.quantity = side.quantity;
    return columns;
  }

  /** Event `i` as a FeatureEvent (a new object each call). */
  eventAt(i: number): FeatureEvent {
    return this.eventInto(i, { ts: 0, sid: '', type: 'view', ssid: undefined, item: undefined, category: undefined, price: undefined, quantity: undefined });
  }

  /** Writes event `i` into `e` (every field, absent ones as undefined) and returns it: a replay reuses one object. */
  eventInto(i: number, e: FeatureEvent): FeatureEvent {
    const item = this.item[i]!;
    const category = this.category[i]!;
    const price = this.price[i]!;
    const quantity = this.quantity[i]!;
    e.ts = this.ts[i]!;
    e.sid = this.subjects.values[this.sid[i]!]!;
    e.type = this.types.values[this.type[i]!] as FeatureEvent['type'];
    e.ssid = this.sessionAt(i);
    e.item = item === NONE ? undefined : this.items.values[item];
    e.category = category === NONE ? undefined : this.categories.values[category];
    e.price = price === price ? price : undefined;
    e.quantity = quantity === quantity ? quantity : undefined;
    return e;
  }

  typeAt(i: number): string {
    return this.types.values[this.type[i]!]!;
  }

  subjectAt(i: number): string {
    return this.subjects.values[this.sid[i]!]!;
  }

  sessionAt(i: number): string | undefined {
    const s = this.ssid[i]!;
    return s === NONE ? undefined : this.sessions.values[s];
  }

  /** The events `keep` accepts, in order, as new columns (the strings are shared, not copied). */
  filter(keep: (i: number) => boolean): EventColumns {
    const out = new EventColumns(this.length);
    for (let i = 0; i < this.length; i++) if (keep(i)) out.push(this.eventAt(i));
    return out;
  }

  /** Bytes of the columns (capacity, not length), without the distinct strings. */
  get columnBytes(): number {
    return this.ts.length * (8 + 1 + 4 * 4 + 8 + 8);
  }

  private grow(capacity: number): void {
    this.ts = grown(this.ts, capacity);
    this.type = grown(this.type, capacity);
    this.sid = grown(this.sid, capacity);
    this.ssid = grown(this.ssid, capacity);
    this.item = grown(this.item, capacity);
    this.category = grown(this.category, capacity);
    this.price = grown(this.price, capacity);
    this.quantity = grown(this.quantity, capacity);
  }
}
