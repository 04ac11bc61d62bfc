/**
 * The state of one windowed entity kind (subjects, items or categories), laid out from its plan. Each
 * entity is a slot of a KeyTable with a header record (newest event time, last values, typed recency,
 * and references to its lists) and short lists in BlockLists: its tiles (time-windows.ts), one distinct
 * set per distinct feature, and (items, categories) its daily demand.
 */
import { BlockLists, type BlockListsState } from './block-lists.ts';
import { KeyTable, type KeyTableState } from './key-table.ts';
import { VALUE_UNITS, type KindPlan } from './plan.ts';
import { layOutLastAndAges, recordLastAndAges } from './last-and-age.ts';
import { RecordLayout } from './records.ts';
import { DAY, firstBucket, LEVEL_MS, tileStartMs, windowStartCode } from './time-windows.ts';

const NEVER = -Infinity;
const NONE = -1;

/** What of an entity's state an event may feed (the purpose gate's answer, see online-store.ts). */
export const PART_VIEWS = 1;
export const PART_HISTORY = 2;
export const ALL_PARTS = PART_VIEWS | PART_HISTORY;

export interface DemandHistory {
  /** UTC days since the epoch (floor(ts / 86 400 000)), ascending; days without demand are left out */
  days: Int32Array;
  units: Float64Array;
}

export interface KeyedStateSnapshot {
  /** keys with each entity's header as their payload */
  keys: KeyTableState;
  sweepCursor: number;
  /** the watermark at the last sweep (absent in older snapshots) */
  sweptAt?: number;
  live: number;
  tiles?: BlockListsState;
  members: BlockListsState[];
  history?: BlockListsState;
}

/** Where each header field of an entity lives, from the plan. */
class HeaderLayout {
  readonly newest: number;
  readonly lastValue: number[];
  readonly lastAt: number[];
  /** per plan.ages entry: a double, or -1 for "any type" (the newest event) */
  readonly typedAt: number[];
  readonly tileRef: number;
  readonly memberRefs: number[];
  readonly historyRef: number;
  readonly stride: number;

  constructor(plan: KindPlan, hasTiles: boolean) {
    const l = new RecordLayout();
    this.newest = l.double();
    ({ lastValue: this.lastValue, lastAt: this.lastAt, typedAt: this.typedAt } = layOutLastAndAges(plan, l));
    this.tileRef = hasTiles ? l.intPair() : -1;
    this.memberRefs = plan.distinct.map(() => l.intPair());
    this.historyRef = plan.history ? l.intPair() : -1;
    this.stride = l.stride;
  }
}

export class KeyedState {
  /**
   * With `keepKeys` (items, categories) a removed entity keeps its key and slot, emptied: the slot then
   * doubles as the value's permanent id for distinct counts, saving a second dictionary lookup per event.
   * Item and category ids are not personal data.
   */
  readonly keys: KeyTable;
  private live = 0;
  private readonly layout: HeaderLayout;
  private readonly tiles: BlockLists | null;
  private readonly members: BlockLists[];
  private readonly history: BlockLists | null;
  /** scratch for reads: window starts (tile codes) at time startsAt, running sums */
  private readonly windowStarts: Float64Array;
  private startsAt = Number.NaN;
  private readonly run: Float64Array;
  /** per window w, copies j in [copyFrom[w], copyFrom[w+1]): inputs[copyTargets[j]] = run[copyTo[j]] */
  private readonly copyFrom: Int32Array;
  private readonly copyTo: Int32Array;
  private readonly copyTargets: Int32Array;
  private sweepCursor = 0;
  private sweptAt = -Infinity;
  /** the tidy step holding the latest event time applied: [stepStart, stepEnd) */
  private stepStart = Number.NaN;
  private stepEnd = Number.NaN;
  /** set by reserveOnly: events of keys without a slot are not applied */
  reservedOnly = false;
  /** set by reserveOnly with times: per slot, the time after which its events are not applied */
  private keepUntil: Float64Array | undefined;

  constructor(
    readonly plan: KindPlan,
    readonly keepKeys: boolean,
    snapshot?: KeyedStateSnapshot,
  ) {
    const { tiles, distinct } = plan;
    const hasTiles = !tiles.levels.empty;
    this.layout = new HeaderLayout(plan, hasTiles);
    this.windowStarts = new Float64Array(tiles.windows.length);
    this.run = new Float64Array(tiles.ints + tiles.floats);
    const copies = tiles.windows.map((w) => [
      ...Array.from(w.intSlots, (slot, j) => [slot, w.intCols[j]!]),
      ...Array.from(w.floatSlots, (slot, j) => [slot, tiles.ints + w.floatCols[j]!]),
    ]);
    this.copyFrom = Int32Array.from([0, ...copies.map((c, k) => copies.slice(0, k + 1).flat().length)]);
    this.copyTargets = Int32Array.from(copies.flat(), (c) => c[0]!);
    this.copyTo = Int32Array.from(copies.flat(), (c) => c[1]!);
    if (snapshot) {
      this.keys = KeyTable.fromState(snapshot.keys, this.layout.stride);
      this.sweepCursor = snapshot.sweepCursor;
      this.sweptAt = snapshot.sweptAt ?? -Infinity;
      this.live = snapshot.live;
      this.tiles = snapshot.tiles ? BlockLists.fromState(snapshot.tiles, tiles.floats, 1 + tiles.ints) : null;
      this.members = snapshot.members.map((m) => BlockLists.fromState(m, 0, 2));
      this.history = snapshot.history ? BlockLists.fromState(snapshot.history, 1, 1) : null;
    } else {
      this.keys = new KeyTable(this.layout.stride);
      this.tiles = hasTiles ? new BlockLists(tiles.floats, 1 + tiles.ints) : null;
      this.members = distinct.map(() => new BlockLists(0, 2));
      this.history = plan.history ? new BlockLists(1, 1) : null;
    }
  }

  /**
   * Gives each of `keys` an (empty) slot, and marks the state as keeping only those (`reservedOnly`): the
   * owner then finds an event's slot with `find` and ignores events of other keys, so the lookup the event
   * makes anyway decides, instead of a call per event. Needs `keepKeys`, so that a swept entity keeps its
   * slot for its later events. Given a map of key → time, the owner also ignores a key's events after its
   * time (`keptUntil`).
   */
  reserveOnly(keys: Iterable<string> | ReadonlyMap<string, number>): void {
    if (!this.keepKeys) throw new Error('reserveOnly needs keepKeys');
    const until = keys instanceof Map ? (keys as ReadonlyMap<string, number>) : undefined;
    for (const key of until ? until.keys() : keys) {
      const slot = this.keys.findOrInsert(key as string);
      if (this.keys.inserted) this.initHeader(slot);
    }
    if (until) {
      this.keepUntil = new Float64Array(this.keys.slotCapacity).fill(Infinity);
      for (const [key, t] of until) this.keepUntil[this.keys.find(key)] = t;
    }
    this.reservedOnly = true;
  }

  /** The last event time a reserved slot still takes (reserveOnly with times; else Infinity). */
  keptUntil(slot: number): number {
    return this.keepUntil === undefined ? Infinity : this.keepUntil[slot]!;
  }

  /** Entities held (with keepKeys, emptied ones do not count). */
  get size(): number {
    return this.live;
  }

  /** Whether a slot holds an entity (a key may be kept, emptied). */
  holds(slot: number): boolean {
    return this.keys.isLive(slot) && this.newestOf(slot) !== NEVER;
  }

  find(key: string): number {
    return this.keys.find(key);
  }

  newestOf(slot: number): number {
    return this.keys.f[this.baseOf(slot) + this.layout.newest]!;
  }

  /** Where an entity's header starts in the key table's records, in doubles. */
  private baseOf(slot: number): number {
    return slot * (this.keys.stride >> 1) + this.keys.payload;
  }

  /**
   * Adds one accepted event. `values` holds the event's summable values (plan.ts VALUE_*), `fieldIds` its
   * item and category as dictionary ids (-1 when absent). Returns the entity's slot. `parts` says what the
   * purpose gate admitted the event into (PART_VIEWS, PART_HISTORY); the slot and its newest-event time are
   * kept either way, since other entities' distinct sets use the slot as an id.
   */
  apply(key: string, ts: number, type: number, values: Float64Array, fieldIds: Int32Array, parts: number = ALL_PARTS): number {
    const slot = this.keys.findOrInsert(key);
    if (this.keys.inserted) this.initHeader(slot);
    return this.applyAt(slot, ts, type, values, fieldIds, parts);
  }

  /** `apply` to an entity whose slot is known (`find`, e.g. one of `reserveOnly`'s keys). */
  applyAt(slot: number, ts: number, type: number, values: Float64Array, fieldIds: Int32Array, parts: number = ALL_PARTS): number {
    const plan = this.plan;
    const L = this.layout;
    const hf = this.keys.f;
    const hi = this.keys.i;
    const base = this.baseOf(slot);
    const before = hf[base + L.newest]!;
    if (before === NEVER) this.live++;
    let newest = before;
    if (ts > before) {
      hf[base + L.newest] = newest = ts;
      // the newest event crossed into a later tidy step (floor(before / step) < floor(ts / step))
      if (before !== NEVER && before < this.tidyStepStart(ts)) this.tidy(slot, before, ts);
    }
    const bit = 1 << type;

    if (parts & PART_HISTORY && this.history && plan.history!.mask & bit) {
      const day = Math.floor(ts / DAY);
      // the newest event is always inside its own windows: only an older one needs the check
      if (ts === newest || day >= firstBucket(newest, DAY, plan.history!.view.retentionDays)) this.addDemand(slot, day, values[VALUE_UNITS]!);
    }
    if (!(parts & PART_VIEWS)) return slot;

    const c = plan.tiles.byType[type]!;
    if (this.tiles && (c.intCol.length || c.floatCol.length)) {
      const code = plan.tiles.levels.codeFor(ts, newest);
      if (code >= 0) {
        const rec = this.tileAt(slot, code, true);
        const t = this.tiles;
        const ib = rec * t.intStride + t.intBase + 1;
        const fb = rec * t.floatStride;
        for (let j = 0; j < c.intCol.length; j++) t.ints[ib + c.intCol[j]!]! += c.intSign[j]!;
        for (let j = 0; j < c.floatCol.length; j++) t.floats[fb + c.floatCol[j]!]! += c.floatSign[j]! * values[c.floatValue[j]!]!;
      }
    }

    for (let k = 0; k < plan.distinct.length; k++) {
      const spec = plan.distinct[k]!;
      const id = fieldIds[spec.field]!;
      if (id < 0 || !(spec.mask & bit)) continue;
      const r = LEVEL_MS[spec.shape!.level];
      const bucket = Math.floor(ts / r);
      if (ts !== newest && bucket < firstBucket(newest, r, spec.shape!.buckets)) continue; // outside every window from now on
      addMember(this.members[k]!, hi, 2 * base + L.memberRefs[k]!, id, bucket);
    }

    recordLastAndAges(plan, L, hf, base, bit, ts, values);
    return slot;
  }

  /**
   * floor(ts / tidyStepMs) × tidyStepMs. Steps are aligned to the epoch for every entity alike and most
   * events fall in the step of the one before, so the step at hand is kept and the division mostly spared.
   * NaN when there is no step (tidyStepMs = Infinity): then nothing is ever before it.
   */
  private tidyStepStart(ts: number): number {
    if (!(ts >= this.stepStart && ts < this.stepEnd)) {
      const step = this.plan.tidyStepMs;
      this.stepStart = Math.floor(ts / step) * step;
      this.stepEnd = this.stepStart + step;
    }
    return this.stepStart;
  }

  /** Moves one session start into or out of the subject's tiles (sessions.ts calls this). */
  addSessionStart(slot: number, startTs: number, delta: number): void {
    const col = this.plan.tiles.sessionStartCol;
    if (col < 0 || !this.tiles) return;
    const code = this.plan.tiles.levels.codeFor(startTs, this.newestOf(slot));
    if (code < 0) return; // before every window the subject can still be read in
    const rec = this.tileAt(slot, code, delta > 0);
    if (rec >= 0) this.tiles.ints[rec * this.tiles.intStride + this.tiles.intBase + 1 + col]! += delta;
  }

  /**
   * Writes the plan's inputs for reading entity `slot` at time t (t at or after every event it holds):
   * window sums, distinct counts, last values, ages in ms.
   */
  fillInputs(slot: number, t: number, inputs: Float64Array): void {
    const plan = this.plan;
    const L = this.layout;
    const hf = this.keys.f;
    const hi = this.keys.i;
    const base = this.baseOf(slot);
    if (this.tiles) this.sumWindows(hi, 2 * base + L.tileRef, t, inputs);
    for (let k = 0; k < plan.distinct.length; k++) {
      const spec = plan.distinct[k]!;
      const r = LEVEL_MS[spec.shape!.level];
      const low = firstBucket(t, r, spec.shape!.buckets);
      const newest = hf[base + L.newest]!;
      // No member is newer than the entity's newest event: once the window starts after that event's
      // bucket, none counts, and the list need not be read (a read long after the last event, the usual
      // case for most of a million subjects, spares a cache miss).
      if (low > Math.floor(newest / r)) {
        inputs[spec.slot] = 0;
        continue;
      }
      const m = this.members[k]!;
      const at = 2 * base + L.memberRefs[k]!;
      const n = m.length(hi, at);
      // Every member is inside the window as of the newest event (apply and tidy keep it so): when the
      // window has not moved since, they all count, and the list itself need not be read.
      if (low === firstBucket(newest, r, spec.shape!.buckets)) {
        inputs[spec.slot] = n;
        continue;
      }
      const off = m.start(hi, at);
      let count = 0;
      for (let rec = off; rec < off + n; rec++) if (m.ints[rec * 2 + 1]! >= low) count++;
      inputs[spec.slot] = count;
    }
    for (let k = 0; k < plan.last.length; k++) {
      inputs[plan.last[k]!.slot] = hf[base + L.lastAt[k]!] === NEVER ? 0 : hf[base + L.lastValue[k]!]!;
    }
    for (let k = 0; k < plan.ages.length; k++) {
      const at = L.typedAt[k]! < 0 ? hf[base + L.newest]! : hf[base + L.typedAt[k]!]!;
      inputs[plan.ages[k]!.slot] = at === NEVER ? -1 : t - at;
    }
  }

  /** Days of demand on or after `fromDay`. */
  demandHistory(slot: number, fromDay: number): DemandHistory {
    const h = this.history;
    if (!h || slot < 0) return { days: new Int32Array(0), units: new Float64Array(0) };
    const at = 2 * this.baseOf(slot) + this.layout.historyRef;
    const hi = this.keys.i;
    const n = h.length(hi, at);
    const off = h.start(hi, at);
    const days: number[] = [];
    const units: number[] = [];
    for (let rec = off; rec < off + n; rec++) {
      const day = h.ints[rec * h.intStride + h.intBase]!;
      if (day >= fromDay) (days.push(day), units.push(h.floats[rec * h.floatStride]!));
    }
    return { days: Int32Array.from(days), units: Float64Array.from(units) };
  }

  remove(slot: number): void {
    if (!this.holds(slot)) return;
    const hi = this.keys.i;
    const base2 = 2 * this.baseOf(slot);
    if (this.tiles) this.tiles.clear(hi, base2 + this.layout.tileRef);
    this.members.forEach((m, k) => m.clear(hi, base2 + this.layout.memberRefs[k]!));
    if (this.history) this.history.clear(hi, base2 + this.layout.historyRef);
    this.live--;
    if (this.keepKeys) this.initHeader(slot);
    else this.keys.remove(slot);
  }

  /**
   * Drops entities that nothing can read or change any more, checking up to `maxBudget` slots. Returns how
   * many. An entity becomes droppable only as the watermark advances, so the slots checked are in
   * proportion to that advance: one pass over all of them per eighth of the retention (an entity goes at
   * most that late), rather than the same work per event whatever the event rate.
   */
  sweep(watermark: number, maxBudget: number): number {
    const top = this.keys.highWater;
    if (top === 0) return 0;
    const budget = Math.min(maxBudget, Math.ceil((top * (watermark - this.sweptAt)) / (this.plan.retentionMs / 8)));
    this.sweptAt = watermark;
    let removed = 0;
    for (let i = 0; i < budget; i++) {
      if (this.sweepCursor >= top) this.sweepCursor = 0;
      const slot = this.sweepCursor++;
      if (this.holds(slot) && watermark - this.newestOf(slot) > this.plan.retentionMs) {
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  byteSize(): number {
    return (
      this.keys.byteSize() +
      (this.tiles?.byteSize() ?? 0) +
      this.members.reduce((n, m) => n + m.byteSize(), 0) +
      (this.history?.byteSize() ?? 0)
    );
  }

  snapshot(): KeyedStateSnapshot {
    return {
      keys: this.keys.state(),
      sweepCursor: this.sweepCursor,
      sweptAt: this.sweptAt,
      live: this.live,
      ...(this.tiles ? { tiles: this.tiles.state() } : {}),
      members: this.members.map((m) => m.state()),
      ...(this.history ? { history: this.history.state() } : {}),
    };
  }

  /** A new (or emptied) entity's header. */
  private initHeader(slot: number): void {
    const L = this.layout;
    const hf = this.keys.f;
    const hi = this.keys.i;
    const base = this.baseOf(slot);
    hf.fill(0, base, base + L.stride);
    hf[base + L.newest] = NEVER;
    for (const at of L.lastAt) hf[base + at] = NEVER;
    for (const at of L.typedAt) if (at >= 0) hf[base + at] = NEVER;
    if (L.tileRef >= 0) hi[2 * base + L.tileRef] = NONE;
    for (const at of L.memberRefs) hi[2 * base + at] = NONE;
    if (L.historyRef >= 0) hi[2 * base + L.historyRef] = NONE;
  }

  /**
   * Sums every tile measure over every window in one pass, newest tile first: windows nest (the plan orders
   * them narrowest first), so running sums are copied out as the pass crosses each window's start.
   */
  private sumWindows(hi: Int32Array, ref: number, t: number, inputs: Float64Array): void {
    const windows = this.plan.tiles.windows;
    const count = windows.length;
    const starts = this.windowStarts;
    if (t !== this.startsAt) {
      // reads come in runs at one time (a request, a label, the same clock millisecond)
      for (let k = 0; k < count; k++) starts[k] = windowStartCode(t, windows[k]!.bucketMs, windows[k]!.buckets);
      this.startsAt = t;
    }
    // running sums: int measures first, then float measures
    const run = this.run;
    const mi = this.plan.tiles.ints;
    const m = run.length;
    for (let j = 0; j < m; j++) run[j] = 0;
    const tiles = this.tiles!;
    const { ints, floats, intStride, floatStride, intBase } = tiles;
    const n = tiles.length(hi, ref);
    const off = tiles.start(hi, ref);
    const { copyFrom, copyTo, copyTargets } = this;
    let w = 0;
    for (let rec = off + n - 1; rec >= off; rec--) {
      const ib = rec * intStride + intBase;
      const code = ints[ib]!;
      for (; w < count && code < starts[w]!; w++) for (let j = copyFrom[w]!; j < copyFrom[w + 1]!; j++) inputs[copyTargets[j]!] = run[copyTo[j]!]!;
      if (w === count) return;
      for (let j = 0; j < mi; j++) run[j]! += ints[ib + 1 + j]!;
      const fb = rec * floatStride - mi;
      for (let j = mi; j < m; j++) run[j]! += floats[fb + j]!;
    }
    for (; w < count; w++) for (let j = copyFrom[w]!; j < copyFrom[w + 1]!; j++) inputs[copyTargets[j]!] = run[copyTo[j]!]!;
  }

  /** The tile record with this code, created in order when asked to; -1 when absent. */
  private tileAt(slot: number, code: number, create: boolean): number {
    const tiles = this.tiles!;
    const hi = this.keys.i;
    const ref = 2 * this.baseOf(slot) + this.layout.tileRef;
    const { intStride: si, intBase } = tiles;
    const n = tiles.length(hi, ref);
    const off = tiles.start(hi, ref);
    let i = n - 1; // recent tiles are at the end, and most events are recent
    while (i >= 0 && tiles.ints[(off + i) * si + intBase]! > code) i--;
    if (i >= 0 && tiles.ints[(off + i) * si + intBase] === code) return off + i;
    if (!create) return -1;
    const rec = tiles.insert(hi, ref, i + 1);
    tiles.ints[rec * si + intBase] = code;
    return rec;
  }

  /**
   * The entity's newest event moved from `before` to `newest`: fold tiles that finer windows no longer
   * need, drop what left every window, prune distinct sets and demand days that left theirs.
   */
  private tidy(slot: number, before: number, newest: number): void {
    const plan = this.plan;
    const hi = this.keys.i;
    const base2 = 2 * this.baseOf(slot);
    const tiles = this.tiles;
    if (tiles && !plan.tiles.levels.sameCodes(before, newest)) {
      const ref = base2 + this.layout.tileRef;
      const { ints, floats, intStride: si, floatStride: sf, intBase } = tiles;
      const levels = plan.tiles.levels;
      const finest = levels.levels[0]!;
      const n = tiles.length(hi, ref);
      const off = tiles.start(hi, ref);
      let w = 0;
      let r = 0;
      // Tiles run coarse to fine, and within a level a later tile stays wherever an earlier one stays: once
      // one tile of a level keeps its code, the rest of that level do too.
      let stableLevel = -1;
      for (; r < n; r++) {
        const rec = off + r;
        const current = ints[rec * si + intBase]!;
        const code = (current & 3) === stableLevel ? current : levels.codeFor(tileStartMs(current), newest);
        if (code === current) stableLevel = current & 3;
        // Levels only coarsen with age and tiles are in time order: from the first finest-level tile that
        // stays as it is, every later one does too.
        if (code === current && (current & 3) === finest && w === r) {
          w = n;
          break;
        }
        if (code < 0) continue;
        if (w > 0 && ints[(off + w - 1) * si + intBase] === code) {
          const into = off + w - 1;
          for (let j = 1; j <= plan.tiles.ints; j++) ints[into * si + intBase + j]! += ints[rec * si + intBase + j]!;
          for (let j = 0; j < plan.tiles.floats; j++) floats[into * sf + j]! += floats[rec * sf + j]!;
        } else {
          if (off + w !== rec) tiles.move(rec, off + w);
          ints[(off + w) * si + intBase] = code;
          w++;
        }
      }
      if (w !== n) tiles.truncate(hi, ref, w);
    }
    for (let k = 0; k < plan.distinct.length; k++) {
      const shape = plan.distinct[k]!.shape!;
      const r = LEVEL_MS[shape.level];
      if (Math.floor(before / r) === Math.floor(newest / r)) continue; // the window has not moved
      const low = firstBucket(newest, r, shape.buckets);
      const m = this.members[k]!;
      const ref = base2 + this.layout.memberRefs[k]!;
      const n = m.length(hi, ref);
      const off = m.start(hi, ref);
      let w = 0;
      for (let rec = off; rec < off + n; rec++) {
        if (m.ints[rec * 2 + 1]! < low) continue;
        if (rec !== off + w) m.move(rec, off + w);
        w++;
      }
      if (w !== n) m.truncate(hi, ref, w);
    }
    if (this.history && Math.floor(before / DAY) !== Math.floor(newest / DAY)) {
      const h = this.history;
      const ref = base2 + this.layout.historyRef;
      const low = firstBucket(newest, DAY, plan.history!.view.retentionDays);
      const n = h.length(hi, ref);
      const off = h.start(hi, ref);
      let drop = 0;
      while (drop < n && h.ints[(off + drop) * h.intStride + h.intBase]! < low) drop++;
      if (drop > 0) {
        for (let r = drop; r < n; r++) h.move(off + r, off + r - drop);
        h.truncate(hi, ref, n - drop);
      }
    }
  }

  private addDemand(slot: number, day: number, units: number): void {
    const h = this.history!;
    const hi = this.keys.i;
    const ref = 2 * this.baseOf(slot) + this.layout.historyRef;
    const n = h.length(hi, ref);
    const off = h.start(hi, ref);
    let i = n - 1;
    while (i >= 0 && h.ints[(off + i) * h.intStride + h.intBase]! > day) i--;
    if (i >= 0 && h.ints[(off + i) * h.intStride + h.intBase] === day) {
      h.floats[(off + i) * h.floatStride]! += units;
      return;
    }
    const rec = h.insert(hi, ref, i + 1);
    h.ints[rec * h.intStride + h.intBase] = day;
    h.floats[rec * h.floatStride] = units;
  }
}

/** Adds `id` to an owner's distinct set (records [id, bucket]), or moves its bucket later. */
export function addMember(m: BlockLists, refs: Int32Array, at: number, id: number, bucket: number): void {
  const n = m.length(refs, at);
  const off = m.start(refs, at);
  const ints = m.ints;
  for (let rec = off; rec < off + n; rec++) {
    if (ints[rec * 2] === id) {
      if (bucket > ints[rec * 2 + 1]!) ints[rec * 2 + 1] = bucket;
      return;
    }
  }
  const rec = m.insert(refs, at, n);
  m.ints[rec * 2] = id;
  m.ints[rec * 2 + 1] = bucket;
}
