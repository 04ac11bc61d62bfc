/**
 * The online feature store: the engine's state, fed by the stream consumer, read by serving and by
 * point-in-time training builds (the same code for both).
 *
 * ## Applying events (EventSink)
 * - Exactly once by stream sequence: an event with seq ≤ lastSeq changes nothing.
 * - Event time with bounded lateness: the watermark W is the greatest event time accepted so far. An event
 *   with ts < W − allowedLateness (default 1 hour) is late: it is counted (`stats().late`, with how far
 *   behind the latest one was) and not applied. Every other event is applied, in whatever order it comes;
 *   the state depends only on the set of applied events, never on their order.
 * - Entities: the event's subject (sid), its session (sessions.ts), its item and its category.
 *
 * ## Reading
 * `read(entity or view, key, t)` serves, for each view, the features over the applied events with ts ≤ t,
 * windows as in time-windows.ts, aggregations as in definitions.ts, sessions as in sessions.ts, with:
 * - read time: the store keeps tiles, not events, so it answers for the present: a read earlier than the
 *   watermark is answered as of the watermark (t' = max(t, W)). Point-in-time builds never apply an event
 *   later than the label time, so for them t' = t.
 * - TTL: when t' − (newest event of the entity) > the view's ttlMs, or the entity is unknown, the view's
 *   features read as zeros. For a session the newest event is its latest session's last event.
 * Values are computed in doubles and served as a Float32Array in the order of `featureNames`.
 *
 * State that no read and no acceptable event can reach any more (older than every window, TTL and the
 * lateness bound) is dropped in small batches as events are applied, so dropping never changes a result.
 *
 * Snapshots (snapshot.ts) record the definitions' fingerprint; `ownsSubject` is not part of it, so a
 * restoring worker must pass the same partition.
 */
import type { EventType, StoredEvent } from '../event-schema.ts';
import type { Purpose } from '../purposes.ts';
import type { EventSink } from '../stream-consumer.ts';
import {
  DEFAULT_HISTORIES,
  DEFAULT_VIEWS,
  ENTITIES,
  type DemandHistoryView,
  type Entity,
  type FeatureView,
} from './definitions.ts';
import type { EventColumns } from './event-columns.ts';
import { KeyTable, type KeyTableState } from './key-table.ts';
import { ALL_PARTS, KeyedState, PART_HISTORY, PART_VIEWS, type DemandHistory, type KeyedStateSnapshot } from './keyed-state.ts';
import {
  compilePlan,
  FIELD_CATEGORY,
  FIELD_ITEM,
  evaluate,
  TYPE_INDEX,
  VALUE_AMOUNT_CENTS,
  VALUE_ONE,
  VALUE_PRICE_CENTS,
  VALUE_UNITS,
  type CompiledView,
  type KindPlan,
  type StorePlan,
} from './plan.ts';
import { LANE_PREFIX, SessionState, type SessionStateSnapshot } from './sessions.ts';
import { DAY, firstBucket, HOUR, MINUTE } from './time-windows.ts';

/** What the store reads from an event: a StoredEvent, or a row of the canonical file with pseudonymous ids. */
export type FeatureEvent = Pick<StoredEvent, 'ts' | 'sid' | 'type'> & Partial<Pick<StoredEvent, 'ssid' | 'item' | 'category' | 'price' | 'quantity'>>;

export interface FeatureStoreOptions {
  views?: readonly FeatureView[];
  histories?: readonly DemandHistoryView[];
  /** how far behind the watermark an event may be and still be applied (ms, default 1 hour) */
  allowedLatenessMs?: number;
  /** inactivity that ends a session (ms, default 30 minutes) */
  sessionGapMs?: number;
  /** the clock for reads without a time (default Date.now) */
  now?: () => number;
  /**
   * Keep subject and session state only for the subjects this returns true for (a worker's partition; a
   * training build's labelled subjects). Items and categories still see every event.
   */
  ownsSubject?: (sid: string) => boolean;
  /**
   * Keep subject and session state only for these subjects (a training build's labelled subjects): like
   * `ownsSubject`, but answered by the subject lookup every event makes anyway, instead of a call per event.
   * Given a map of subject → time (a build's last label time per subject), a subject's events after its time
   * feed no subject or session state either: nothing reads it later. Not part of snapshots either.
   */
  onlySubjects?: Iterable<string> | ReadonlyMap<string, number>;
  /**
   * The purpose gate: whether an event of subject `sid` at time `ts` may feed state that serves `purpose`
   * (consent at the event's time). Asked per event for each purpose its entities serve; an event it
   * refuses still updates nothing of that purpose. Default: everything is admitted.
   */
  admits?: (sid: string, purpose: Purpose, ts: number) => boolean;
  /**
   * Remember each item's category as of its latest applied event, for `categoryOfItem` (point-in-time
   * builds: a label with an item and no category reads that category). Off by default; not in snapshots.
   */
  trackItemCategories?: boolean;
}

/** `readInto` bound to one target, resolved once: for callers that read many keys of one entity or view. */
export type FeatureReader = (out: Float32Array, offset: number, key: string, t: number) => void;

export const DEFAULT_ALLOWED_LATENESS_MS = HOUR;
export const DEFAULT_SESSION_GAP_MS = 30 * MINUTE;

export interface FeatureStoreStats {
  lastSeq: number;
  /** greatest event time applied (epoch ms), or null before the first */
  watermark: number | null;
  applied: number;
  /** events not applied because they were older than the allowed lateness */
  late: number;
  /** how far behind the watermark the most recent late event was (ms) */
  lastLateBehindMs: number;
  /** sequences skipped: undecodable messages, or events with an unknown type or a non-finite time */
  skipped: number;
  entities: Record<Entity, number>;
  /** bytes held by the state's arrays */
  stateBytes: number;
}

/** A view or an entity (all its views, in declaration order). */
export type ReadTarget = Entity | (string & {});

interface Resolved {
  kind: KindPlan;
  views: readonly CompiledView[];
  names: readonly string[];
  width: number;
}

export interface FeatureStoreSnapshot {
  format: 'iob-feature-store';
  version: 1;
  fingerprint: string;
  lastSeq: number;
  watermark: number;
  counters: { applied: number; late: number; lastLateBehindMs: number; skipped: number };
  dictionary: KeyTableState;
  subject?: KeyedStateSnapshot;
  session?: SessionStateSnapshot;
  item?: KeyedStateSnapshot;
  category?: KeyedStateSnapshot;
}

const present = (s: string | undefined): s is string => s !== undefined && s !== '';

/** A row cache entry not looked up yet (slots and ids are ≥ 0; -1 is "none": an unkept subject). */
const UNKNOWN = -2;

/** Per interned id of one EventColumns: the slot (or dictionary id) its item, category, subject and session key found. */
class RowSlots {
  readonly item: Int32Array;
  readonly category: Int32Array;
  readonly subject: Int32Array;
  /** session key slots (by session id, and by subject for its lane) with their stamps: see SessionState.stampOf */
  readonly session: Int32Array;
  readonly sessionStamp: Int32Array;
  readonly lane: Int32Array;
  readonly laneStamp: Int32Array;

  constructor(readonly columns: EventColumns) {
    this.item = new Int32Array(columns.items.size).fill(UNKNOWN);
    this.category = new Int32Array(columns.categories.size).fill(UNKNOWN);
    this.subject = new Int32Array(columns.subjects.size).fill(UNKNOWN);
    this.session = new Int32Array(columns.sessions.size).fill(UNKNOWN);
    this.sessionStamp = new Int32Array(columns.sessions.size);
    this.lane = new Int32Array(columns.subjects.size).fill(UNKNOWN);
    this.laneStamp = new Int32Array(columns.subjects.size);
  }

  /** Whether this cache has an entry for every id of `columns` (columns may grow between rows). */
  covers(columns: EventColumns): boolean {
    return (
      columns === this.columns &&
      columns.items.size <= this.item.length &&
      columns.categories.size <= this.category.length &&
      columns.subjects.size <= this.subject.length &&
      columns.sessions.size <= this.session.length
    );
  }
}

interface GatePurposes {
  views: Purpose | undefined;
  history: Purpose | undefined;
}

export class FeatureStore implements EventSink {
  lastSeq = 0;
  /** greatest event time applied; -Infinity before the first */
  watermark = -Infinity;
  readonly plan: StorePlan;
  private readonly latenessMs: number;
  private readonly now: () => number;
  private readonly subjectState: KeyedState | undefined;
  private readonly sessionState: SessionState | undefined;
  private readonly itemState: KeyedState | undefined;
  private readonly categoryState: KeyedState | undefined;
  /** item and category values → ids for distinct counts when there is no item or category view to take them from */
  private readonly dictionary: KeyTable;
  private readonly needsIds: [boolean, boolean];
  private readonly ownsSubject: ((sid: string) => boolean) | undefined;
  private readonly admits: ((sid: string, purpose: Purpose, ts: number) => boolean) | undefined;
  /** the purposes of the subject-and-session views, each entity's item/category views and histories */
  private readonly gated: { person: Purpose | undefined; item: GatePurposes; category: GatePurposes };
  private readonly sameGate: boolean;
  private readonly values = new Float64Array(4);
  private readonly fieldIds = new Int32Array(2);
  private readonly inputs: Record<Entity, Float64Array>;
  private readonly resolved = new Map<string, Resolved>();
  /**
   * Per item id, the category id of its latest applied event (-1: none), and per category id its key: kept
   * when items and categories both have state (it spares most events a category lookup) or with
   * trackItemCategories. Ids are slots of the item and category states, else dictionary ids; all permanent.
   */
  private itemCategories: Int32Array | undefined;
  private readonly categoryKeys: (string | undefined)[] = [];
  /** applyRow's reused event, and its slots per interned id of the columns it last read */
  private readonly scratch: FeatureEvent = { ts: 0, sid: '', type: 'view', ssid: undefined, item: undefined, category: undefined, price: undefined, quantity: undefined };
  private rowSlots: RowSlots | undefined;
  private applied = 0;
  private late = 0;
  private lastLateBehindMs = 0;
  private skipped = 0;

  constructor(options: FeatureStoreOptions = {}, snapshot?: FeatureStoreSnapshot) {
    this.plan = compilePlan({
      views: options.views ?? DEFAULT_VIEWS,
      histories: options.histories ?? DEFAULT_HISTORIES,
      latenessMs: options.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS,
      sessionGapMs: options.sessionGapMs ?? DEFAULT_SESSION_GAP_MS,
    });
    if (snapshot && snapshot.fingerprint !== this.plan.fingerprint) {
      throw new Error('the snapshot was written with other feature definitions or settings; rebuild the state by replaying the stream');
    }
    this.latenessMs = this.plan.latenessMs;
    this.now = options.now ?? Date.now;
    const { kinds } = this.plan;
    // a fixed set of subjects keeps their slots when swept, so their later events still find them
    this.subjectState = kinds.subject && new KeyedState(kinds.subject, options.onlySubjects !== undefined, snapshot?.subject);
    if (options.onlySubjects) this.subjectState?.reserveOnly(options.onlySubjects);
    this.sessionState = kinds.session && new SessionState(kinds.session, this.plan.sessionGapMs, this.latenessMs, snapshot?.session);
    // item and category slots are permanent, and double as their ids for distinct counts
    this.itemState = kinds.item && new KeyedState(kinds.item, true, snapshot?.item);
    this.categoryState = kinds.category && new KeyedState(kinds.category, true, snapshot?.category);
    this.dictionary = snapshot ? KeyTable.fromState(snapshot.dictionary) : new KeyTable();
    const needs = (field: number) => Object.values(kinds).some((k) => k?.distinct.some((d) => d.field === field));
    const track = options.trackItemCategories === true;
    this.needsIds = [needs(FIELD_ITEM) || track, needs(FIELD_CATEGORY) || track];
    this.ownsSubject = options.ownsSubject;
    this.admits = options.admits;
    const gatePurposes = (kind: KindPlan | undefined): GatePurposes => ({ views: kind?.purpose, history: kind?.history?.view.purpose });
    this.gated = { person: kinds.subject?.purpose ?? kinds.session?.purpose, item: gatePurposes(kinds.item), category: gatePurposes(kinds.category) };
    this.sameGate = this.gated.item.views === this.gated.category.views && this.gated.item.history === this.gated.category.history;
    if (track || (this.itemState && this.categoryState)) this.itemCategories = new Int32Array(1024).fill(-1);
    this.inputs = Object.fromEntries(ENTITIES.map((e) => [e, new Float64Array(kinds[e]?.inputCount ?? 0)])) as Record<Entity, Float64Array>;
    if (snapshot) {
      this.lastSeq = snapshot.lastSeq;
      this.watermark = snapshot.watermark;
      ({ applied: this.applied, late: this.late, lastLateBehindMs: this.lastLateBehindMs, skipped: this.skipped } = snapshot.counters);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // EventSink

  apply(event: FeatureEvent, seq: number): void {
    this.applyEvent(event, seq, undefined, -1);
  }

  /**
   * `apply(columns.eventAt(row), seq)` for batch replays (point-in-time builds), with two savings that
   * matter at millions of events: no object per event, and the slot of each distinct item, category and
   * (kept) subject found once per build rather than hashed again for every event. Those slots are
   * permanent (see the constructor), so remembering them per interned id cannot change a result; session
   * key slots are not, and are remembered with a stamp that says when to look again (applyEvent).
   */
  applyRow(columns: EventColumns, row: number, seq: number): void {
    let cache = this.rowSlots;
    if (cache === undefined || !cache.covers(columns)) this.rowSlots = cache = new RowSlots(columns);
    this.applyEvent(columns.eventInto(row, this.scratch), seq, cache, row);
  }

  /** One event; with `cache`, the slots of row `row`'s ids are taken from it when known and noted in it when found. */
  private applyEvent(event: FeatureEvent, seq: number, cache: RowSlots | undefined, row: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    const ts = event.ts;
    const type = TYPE_INDEX[event.type as EventType];
    if (type === undefined || !Number.isFinite(ts)) {
      this.skipped++;
      return;
    }
    if (ts < this.watermark - this.latenessMs) {
      this.late++;
      this.lastLateBehindMs = this.watermark - ts;
      return;
    }
    if (ts > this.watermark) this.watermark = ts;
    this.applied++;

    const values = this.values;
    const units = event.quantity ?? 1;
    const price = event.price ?? 0;
    values[VALUE_ONE] = 1;
    values[VALUE_UNITS] = units;
    values[VALUE_PRICE_CENTS] = Math.round(price * 100);
    values[VALUE_AMOUNT_CENTS] = Math.round(price * units * 100);
    const { item, category } = event;
    const ids = this.fieldIds;
    const hasItem = present(item);
    const hasCategory = present(category);
    // Items and categories first: their slots are the ids the subject's and session's distinct sets use.
    const sid = event.sid;
    // Items and categories usually serve the same purposes: ask the gate once for both.
    let itemParts = 0;
    const itemCol = cache === undefined || !hasItem ? -1 : cache.columns.item[row]!;
    const knownItem = itemCol < 0 ? UNKNOWN : cache!.item[itemCol]!;
    ids[FIELD_ITEM] = !hasItem
      ? -1
      : this.itemState
        ? knownItem >= 0
          ? this.itemState.applyAt(knownItem, ts, type, values, ids, (itemParts = this.admittedParts(sid, ts, this.gated.item)))
          : this.itemState.apply(item, ts, type, values, ids, (itemParts = this.admittedParts(sid, ts, this.gated.item)))
        : this.needsIds[0]
          ? knownItem >= 0
            ? knownItem
            : this.dictionary.findOrInsert(item, 0)
          : -1;
    const itemId = ids[FIELD_ITEM]!;
    if (itemCol >= 0) cache!.item[itemCol] = itemId;
    let categoryId = -1;
    const categories = this.categoryState;
    const categoryCol = cache === undefined || !hasCategory ? -1 : cache.columns.category[row]!;
    const cachedCategory = categoryCol < 0 ? -1 : cache!.category[categoryCol]!;
    if (hasCategory && categories) {
      const parts = this.sameGate && hasItem && this.itemState ? itemParts : this.admittedParts(sid, ts, this.gated.category);
      // An item's events name the same category again and again: the item's slot remembers the slot of the
      // last one, and an equal string skips hashing it (category slots are permanent, so it stays valid).
      const map = this.itemCategories;
      const known = cachedCategory >= 0 ? cachedCategory : map !== undefined && itemId >= 0 && itemId < map.length ? map[itemId]! : -1;
      categoryId =
        known >= 0 && (cachedCategory >= 0 || this.categoryKeys[known] === category)
          ? categories.applyAt(known, ts, type, values, ids, parts)
          : categories.apply(category, ts, type, values, ids, parts);
    } else if (hasCategory && this.needsIds[1]) {
      categoryId = cachedCategory >= 0 ? cachedCategory : this.dictionary.findOrInsert(category, 1);
    }
    if (categoryCol >= 0) cache!.category[categoryCol] = categoryId;
    ids[FIELD_CATEGORY] = categoryId;
    if (this.itemCategories !== undefined && itemId >= 0 && categoryId >= 0) this.noteItemCategory(itemId, categoryId, category!);
    const subjects = this.subjectState;
    const person = this.gated.person;
    // With onlySubjects the subject's lookup says whether it is kept at all, before the gate is asked.
    // Reserved slots are permanent, and so is a subject's absence from them: a build remembers either.
    let reserved = -1;
    if (subjects?.reservedOnly) {
      const col = cache === undefined ? -1 : cache.columns.sid[row]!;
      reserved = col < 0 ? UNKNOWN : cache!.subject[col]!;
      if (reserved === UNKNOWN) {
        reserved = subjects.find(sid);
        if (col >= 0) cache!.subject[col] = reserved;
      }
    }
    if (
      subjects &&
      (reserved >= 0 ? ts <= subjects.keptUntil(reserved) : !subjects.reservedOnly) &&
      (this.ownsSubject === undefined || this.ownsSubject(sid)) &&
      (this.admits === undefined || person === undefined || this.admits(sid, person, ts))
    ) {
      const slot = reserved >= 0 ? subjects.applyAt(reserved, ts, type, values, ids) : subjects.apply(sid, ts, type, values, ids);
      const sessions = this.sessionState;
      if (sessions !== undefined && cache !== undefined) {
        // A session key's slot is not permanent (swept sessions free theirs): a build remembers it with
        // the slot's stamp, and looks the key up again once the slot has held another.
        const ssid = event.ssid;
        const lane = ssid === undefined || ssid === '';
        const col = lane ? cache.columns.sid[row]! : cache.columns.ssid[row]!;
        const slots = lane ? cache.lane : cache.session;
        const stamps = lane ? cache.laneStamp : cache.sessionStamp;
        const cached = slots[col]!;
        const known = cached >= 0 && sessions.stillHolds(cached, stamps[col]!) ? cached : -1;
        const keySlot = sessions.apply(sid, ssid, ts, type, values, ids, this.watermark, subjects, slot, known);
        slots[col] = keySlot;
        stamps[col] = sessions.stampOf(keySlot);
      } else sessions?.apply(sid, event.ssid, ts, type, values, ids, this.watermark, subjects, slot);
    }
    // Dropping what nothing can reach any more: a batch every 128 events (cheaper than a little each time).
    if ((this.applied & 127) === 0) {
      subjects?.sweep(this.watermark, 256);
      this.sessionState?.sweep(this.watermark, 256);
      this.itemState?.sweep(this.watermark, 64);
      this.categoryState?.sweep(this.watermark, 64);
    }
  }

  private noteItemCategory(item: number, category: number, key: string): void {
    let map = this.itemCategories!;
    if (item >= map.length) {
      const grown = new Int32Array(Math.max(2 * map.length, item + 1)).fill(-1);
      grown.set(map);
      this.itemCategories = map = grown;
    }
    map[item] = category;
    this.categoryKeys[category] ??= key;
  }

  private admittedParts(sid: string, ts: number, purposes: GatePurposes): number {
    const admits = this.admits;
    if (admits === undefined) return ALL_PARTS;
    return (
      (purposes.views !== undefined && admits(sid, purposes.views, ts) ? PART_VIEWS : 0) |
      (purposes.history !== undefined && admits(sid, purposes.history, ts) ? PART_HISTORY : 0)
    );
  }

  skip(seq: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.skipped++;
  }

  // ---------------------------------------------------------------------------------------------------
  // Reading

  /** Names of the features `read(target, …)` returns, in order. */
  featureNames(target: ReadTarget): readonly string[] {
    return this.resolve(target).names;
  }

  /** The features of an entity (all its views) or of one view, at time t (default now). */
  read(target: ReadTarget, key: string, t: number = this.now()): Float32Array {
    const out = new Float32Array(this.resolve(target).width);
    this.readInto(out, 0, target, key, t);
    return out;
  }

  /** `read` as `{ name: value }`, for inspection. */
  readRecord(target: ReadTarget, key: string, t: number = this.now()): Record<string, number> {
    const values = this.read(target, key, t);
    return Object.fromEntries(this.resolve(target).names.map((n, i) => [n, values[i]!]));
  }

  /** `read` into `out` from `offset`, allocating nothing. */
  readInto(out: Float32Array, offset: number, target: ReadTarget, key: string, t: number = this.now()): void {
    this.readResolved(this.resolve(target), out, offset, key, t);
  }

  /** `readInto` for one target, resolved once. */
  reader(target: ReadTarget): FeatureReader {
    const r = this.resolve(target);
    return (out, offset, key, t) => this.readResolved(r, out, offset, key, t);
  }

  /**
   * The category of the item's latest applied event, if it had one (with `trackItemCategories`, or whenever
   * items and categories both have views).
   */
  categoryOfItem(item: string): string | undefined {
    const map = this.itemCategories;
    if (map === undefined) throw new Error('categoryOfItem needs the trackItemCategories option');
    // the ids apply gave the event: item and category slots, or dictionary ids without those states
    const slot = this.itemState ? this.itemState.find(item) : this.dictionary.find(item, 0);
    const category = slot >= 0 && slot < map.length ? map[slot]! : -1;
    return category < 0 ? undefined : this.categoryKeys[category];
  }

  private readResolved(r: Resolved, out: Float32Array, offset: number, key: string, t: number): void {
    const at = t < this.watermark ? this.watermark : t;
    const entity = r.kind.entity;
    let record = -1;
    let newest = -Infinity;
    if (entity === 'session') {
      record = this.sessionState!.latest(key);
      if (record >= 0) newest = this.sessionState!.endOf(record);
    } else {
      const state = this.keyedState(entity)!;
      record = state.find(key);
      if (record >= 0) newest = state.newestOf(record);
    }
    const inputs = this.inputs[entity];
    let filled = false;
    let o = offset;
    for (let k = 0; k < r.views.length; k++) {
      const v = r.views[k]!;
      const evaluators = v.evaluators;
      const n = evaluators.length;
      if (record < 0 || at - newest > v.view.ttlMs) {
        for (let j = 0; j < n; j++) out[o++] = 0;
        continue;
      }
      if (!filled) {
        if (entity === 'session') this.sessionState!.fillInputs(record, at, inputs);
        else this.keyedState(entity)!.fillInputs(record, at, inputs);
        filled = true;
      }
      for (let j = 0; j < n; j++) out[o++] = evaluate(evaluators[j]!, inputs);
    }
  }

  /**
   * Units per UTC day for one item or category (the demand history view), sparse, ascending, covering the
   * history's retention behind the watermark.
   */
  demandHistory(entity: 'item' | 'category', key: string): DemandHistory {
    const state = this.keyedState(entity);
    const spec = state?.plan.history;
    if (!state || !spec) return { days: new Int32Array(0), units: new Float64Array(0) };
    const fromDay = firstBucket(this.watermark, DAY, spec.view.retentionDays);
    return state.demandHistory(state.find(key), fromDay);
  }

  // ---------------------------------------------------------------------------------------------------
  // Administration

  /**
   * Forgets one entity's state (consent withdrawal, erasure). For a subject this includes its sessions.
   * Aggregates over many subjects (items, categories) keep their counts. Returns whether anything was held.
   */
  purge(entity: Entity, key: string): boolean {
    if (entity === 'session') return this.sessionState?.purgeKey(key) ?? false;
    const state = this.keyedState(entity);
    if (!state) return false;
    const slot = state.find(key);
    let removed = slot >= 0 && state.holds(slot);
    if (entity === 'subject' && this.sessionState) removed = this.sessionState.purgeSubject(key, slot) > 0 || removed;
    if (slot >= 0) state.remove(slot);
    return removed;
  }

  /** Number of subjects held. */
  subjects(): number {
    return this.subjectState?.size ?? 0;
  }

  /** Number of entities held, per kind (sessions: session keys). */
  counts(): Record<Entity, number> {
    return {
      subject: this.subjectState?.size ?? 0,
      session: this.sessionState?.size ?? 0,
      item: this.itemState?.size ?? 0,
      category: this.categoryState?.size ?? 0,
    };
  }

  /** Keys held for one kind (session lanes as sessionKey(subject)). For inspection and tests; allocates. */
  keys(entity: Entity): string[] {
    const state = this.keyedState(entity);
    const table = entity === 'session' ? this.sessionState?.keys : state?.keys;
    if (!table) return [];
    const out: string[] = [];
    for (let slot = 0; slot < table.highWater; slot++) {
      if (state ? !state.holds(slot) : !table.isLive(slot)) continue;
      const key = table.keyOf(slot);
      out.push(entity === 'session' && table.namespaceOf(slot) === 1 ? LANE_PREFIX + key : key);
    }
    return out;
  }

  stats(): FeatureStoreStats {
    return {
      lastSeq: this.lastSeq,
      watermark: this.watermark === -Infinity ? null : this.watermark,
      applied: this.applied,
      late: this.late,
      lastLateBehindMs: this.lastLateBehindMs,
      skipped: this.skipped,
      entities: this.counts(),
      stateBytes:
        this.dictionary.byteSize() +
        (this.itemCategories?.byteLength ?? 0) +
        (this.subjectState?.byteSize() ?? 0) +
        (this.sessionState?.byteSize() ?? 0) +
        (this.itemState?.byteSize() ?? 0) +
        (this.categoryState?.byteSize() ?? 0),
    };
  }

  /** Everything needed to continue exactly where this store is (snapshot.ts encodes it). */
  snapshotState(): FeatureStoreSnapshot {
    return {
      format: 'iob-feature-store',
      version: 1,
      fingerprint: this.plan.fingerprint,
      lastSeq: this.lastSeq,
      watermark: this.watermark,
      counters: { applied: this.applied, late: this.late, lastLateBehindMs: this.lastLateBehindMs, skipped: this.skipped },
      dictionary: this.dictionary.state(),
      ...(this.subjectState ? { subject: this.subjectState.snapshot() } : {}),
      ...(this.sessionState ? { session: this.sessionState.snapshot() } : {}),
      ...(this.itemState ? { item: this.itemState.snapshot() } : {}),
      ...(this.categoryState ? { category: this.categoryState.snapshot() } : {}),
    };
  }

  private keyedState(entity: Entity): KeyedState | undefined {
    return entity === 'subject' ? this.subjectState : entity === 'item' ? this.itemState : entity === 'category' ? this.categoryState : undefined;
  }

  private lastTarget = '';
  private lastResolved: Resolved | undefined;

  private resolve(target: ReadTarget): Resolved {
    if (target === this.lastTarget && this.lastResolved) return this.lastResolved;
    let r = this.resolved.get(target);
    if (r) {
      this.lastTarget = target;
      this.lastResolved = r;
      return r;
    }
    const { kinds, views } = this.plan;
    const byView = views.get(target);
    const kind = byView ? byView.kind : (ENTITIES as readonly string[]).includes(target) ? kinds[target as Entity] : undefined;
    if (!kind || (!byView && kind.views.length === 0)) {
      const known = [...ENTITIES.filter((e) => kinds[e]?.views.length), ...views.keys()];
      throw new Error(`no feature view or entity ${JSON.stringify(target)}; known: ${known.join(', ')}`);
    }
    const selected = byView ? [kind.views[byView.index]!] : kind.views;
    const names = selected.flatMap((v) => v.names);
    r = { kind, views: selected, names, width: names.length };
    this.resolved.set(target, r);
    return r;
  }
}
