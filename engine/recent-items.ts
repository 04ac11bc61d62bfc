/**
 * Online offers state per subject (issue 6): the subject's most recent items (bounded) with the event type,
 * time and session key, and the categories of each of its recent sessions. The consumer applies events to
 * it in the same purpose gate as the personal feature views (purpose `personalization`, only admitted
 * events); it is purged with the subject's profile on withdrawal and erasure and shown in the export.
 *
 * It travels in the feature store's snapshot (an attachment, engine/features/snapshot.ts; on a partitioned
 * deployment, each partition's snapshot carries its subjects): it is fed by the same consumer as the store,
 * so it reflects the same stream sequence, and a restart or takeover that restores the snapshot resumes
 * both right after it; without a snapshot it is rebuilt by the
 * replay. A decayed subject vector is not stored: serving computes it per request from these items and the
 * model's item vectors (models/offers/ranker.ts), which keeps the state independent of the model version.
 *
 * Layout: typed arrays, as the feature store's (features/key-table.ts, features/block-lists.ts), not a JS
 * object per subject and per item. Objects cost 1,125 bytes of heap per subject with 5 recent items, so a
 * million subjects meant a gigabyte of heap for every major GC to walk; here a subject is a key-table slot
 * and two short lists of records, off the heap. Item ids, categories and session keys are held once each in
 * reference-counted string tables (a string goes when its last record does, so erased subjects' session
 * keys do not linger); items and categories keep one JS string each for serving, which looks items up in
 * the model's index by id.
 */
import { EVENT_TYPES, type EventType, type StoredEvent } from './event-schema.ts';
import { BlockLists } from './features/block-lists.ts';
import { KeyTable } from './features/key-table.ts';
import { sessionKey } from './features/sessions.ts';
import type { SnapshotAttachment } from './features/snapshot.ts';

export const RECENT_ITEMS = 20;
export const RECENT_SESSIONS = 5;
export const SESSION_CATEGORIES = 10;

export interface RecentItem {
  item: string;
  type: EventType;
  ts: number;
  /** the session key (engine/features/sessions.ts sessionKey): the session id or the subject's lane */
  session: string;
  category: string | undefined;
}

/** One subject's state as plain values (inspection, export, snapshots; serving reads `forRanking`). */
export interface SubjectOffersState {
  /** oldest first, at most RECENT_ITEMS */
  items: RecentItem[];
  /** [session key, its categories (most recent last)], at most RECENT_SESSIONS sessions, oldest first */
  sessions: Array<[string, string[]]>;
}

/** What ranking needs of a subject for one request, without session keys as strings. */
export interface RankingState {
  /** the subject's items, oldest first */
  items: string[];
  types: EventType[];
  /** per item: whether it belongs to the request's session */
  inSession: boolean[];
  /** the request's session's categories, most recent last */
  categories: string[];
}

export type ExportedRecentItem = Omit<RecentItem, 'category'> & { category?: string };

/** One subject in a snapshot: [sid, items as [item, type, ts, session, category | null], sessions]. */
type SavedSubject = [string, Array<[string, EventType, number, string, string | null]>, Array<[string, string[]]>];
interface SavedState {
  v: 1;
  subjects: SavedSubject[];
}

const NONE = -1;
/** An item or category record's session when the event had no session id: the subject's lane (sessionKey) */
const LANE = -2;
const TYPE_CODE = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]));

// Item records: ts (float), then item, session, category (string slots, category -1 when none), type code.
const ITEM = 0;
const SESSION = 1;
const CATEGORY = 2;
const TYPE = 3;
// Category records: session, category (string slots), grouped by session (sessions oldest first), each
// session's categories most recent last.
const CAT_SESSION = 0;
const CAT_CATEGORY = 1;

/**
 * Strings by slot, counted: `hold` takes a reference (adding the string on its first), `release` drops one
 * (removing the string with its last). `text` keeps the JS string of each slot when asked to.
 */
class CountedStrings {
  private readonly table = new KeyTable(1);
  private readonly text: Array<string | undefined> | undefined;

  constructor(keepText: boolean) {
    this.text = keepText ? [] : undefined;
  }

  find(key: string): number {
    return this.table.find(key);
  }

  hold(key: string): number {
    const slot = this.table.findOrInsert(key);
    if (this.table.inserted && this.text) this.text[slot] = key;
    this.table.f[this.countAt(slot)]!++;
    return slot;
  }

  /** `hold` through the caller's map of slots by string (a restore meets the same strings many times). */
  holdVia(key: string, slots: Map<string, number>): number {
    const slot = slots.get(key);
    if (slot === undefined) {
      const added = this.hold(key);
      slots.set(key, added);
      return added;
    }
    this.retain(slot);
    return slot;
  }

  reserve(more: number): void {
    this.table.reserve(more);
  }

  retain(slot: number): void {
    this.table.f[this.countAt(slot)]!++;
  }

  release(slot: number): void {
    if (--this.table.f[this.countAt(slot)]! > 0) return;
    this.table.remove(slot);
    if (this.text) this.text[slot] = undefined;
  }

  get(slot: number): string {
    return this.text?.[slot] ?? this.table.keyOf(slot);
  }

  get size(): number {
    return this.table.size;
  }

  byteSize(): number {
    return this.table.byteSize();
  }

  private countAt(slot: number): number {
    return slot * (this.table.stride >> 1) + this.table.payload;
  }
}

export class RecentItemsState {
  /** subject → [items list ref (2 ints), categories list ref (2 ints)] */
  private readonly subjects = new KeyTable(2);
  private readonly items = new BlockLists(1, 4);
  private readonly categories = new BlockLists(0, 2);
  /** item ids and categories (one table: a string used as both is held once) */
  private readonly names = new CountedStrings(true);
  private readonly sessions = new CountedStrings(false);
  /** Removals (purge, forget, restore): a snapshot saving in parts saves again across one (snapshot.ts). */
  private removals = 0;
  constructor(private readonly limit = RECENT_ITEMS) {}

  apply(event: StoredEvent): void {
    if (event.item === undefined && event.category === undefined) return;
    const subject = this.subjectSlot(event.sid);
    // references for the call, so that a string is not dropped between its records
    const session = event.ssid === undefined || event.ssid === '' ? LANE : this.sessions.hold(event.ssid);
    const category = event.category === undefined ? NONE : this.names.hold(event.category);
    if (event.item !== undefined) this.addItem(subject, event.item, event.type, event.ts, session, category);
    if (category !== NONE) this.addCategory(subject, session, category);
    this.releaseSession(session);
    if (category !== NONE) this.names.release(category);
  }

  /**
   * The subject's items and one session's categories, for ranking: `session` is the request's session key
   * (default: the session of the subject's newest item, or its lane). Undefined for an unknown subject.
   */
  forRanking(sid: string, session?: string): RankingState | undefined {
    const subject = this.subjects.find(sid);
    if (subject < 0) return undefined;
    const at = this.refsAt(subject);
    const hi = this.subjects.i;
    const { ints, intStride, intBase } = this.items;
    const n = this.items.length(hi, at);
    const off = this.items.start(hi, at);
    let wanted: number;
    if (session !== undefined) wanted = session === sessionKey(sid) ? LANE : this.sessions.find(session);
    else if (n > 0) wanted = ints[(off + n - 1) * intStride + intBase + SESSION]!;
    else wanted = LANE;
    const state: RankingState = { items: [], types: [], inSession: [], categories: [] };
    for (let rec = off; rec < off + n; rec++) {
      const r = rec * intStride + intBase;
      state.items.push(this.names.get(ints[r + ITEM]!));
      state.types.push(EVENT_TYPES[ints[r + TYPE]!]!);
      state.inSession.push(ints[r + SESSION] === wanted);
    }
    const c = this.categories;
    for (let rec = c.start(hi, at + 2), end = rec + c.length(hi, at + 2); rec < end; rec++) {
      const r = rec * c.intStride + c.intBase;
      if (c.ints[r + CAT_SESSION] === wanted) state.categories.push(this.names.get(c.ints[r + CAT_CATEGORY]!));
    }
    return state;
  }

  /** The subject's state as plain values (a copy), or undefined. */
  get(sid: string): SubjectOffersState | undefined {
    const subject = this.subjects.find(sid);
    return subject < 0 ? undefined : this.stateOf(subject, sid);
  }

  /** What the export shows: the items and the sessions' categories. */
  export(sid: string): { items: ExportedRecentItem[]; sessionCategories: string[][] } | null {
    const s = this.get(sid);
    if (!s) return null;
    const lane = sessionKey(sid);
    const items = s.items.map(({ category, ...i }) => ({ ...i, session: i.session === lane ? '(no session id)' : i.session, ...(category === undefined ? {} : { category }) }));
    return { items, sessionCategories: s.sessions.map(([, c]) => c) };
  }

  purge(sid: string): number {
    const subject = this.subjects.find(sid);
    if (subject < 0) return 0;
    const removed = this.remove(subject);
    this.removals++;
    return removed;
  }

  get size(): number {
    return this.subjects.size;
  }

  /**
   * Subjects, the distinct item ids and categories and the session keys they reference, and the bytes of
   * the state's arrays (its JS strings, one per distinct item and category, aside).
   */
  stats(): { subjects: number; names: number; sessions: number; bytes: number } {
    return {
      subjects: this.subjects.size,
      names: this.names.size,
      sessions: this.sessions.size,
      bytes: this.subjects.byteSize() + this.items.byteSize() + this.categories.byteSize() + this.names.byteSize() + this.sessions.byteSize(),
    };
  }

  /**
   * The state as a snapshot attachment. `keep` says which subjects may be restored (the engine passes
   * "personalization still allowed": a withdrawal or an erasure while the process was down must not bring a
   * profile back). `covers` names the subjects the snapshot is about (default: all of them): a partitioned
   * worker snapshots each partition's store with the recent items of that partition's subjects only, and
   * restoring one partition replaces only its subjects.
   */
  attachment(keep: (sid: string) => boolean = () => true, covers: (sid: string) => boolean = () => true): SnapshotAttachment {
    const self = this;
    return {
      name: 'recentItems',
      changes: () => this.removals,
      // Slots, not a live iterator: between parts only removals happen (the consumer is held), and a
      // removal makes the writer save again (`changes`).
      saveParts: function* (this: void, size: number): Generator<SavedState> {
        let part: SavedSubject[] = [];
        let parts = 0;
        for (let subject = 0; subject < self.subjects.highWater; subject++) {
          if (!self.subjects.isLive(subject)) continue;
          const sid = self.subjects.keyOf(subject);
          if (!covers(sid)) continue;
          part.push(self.savedOf(subject, sid));
          if (part.length >= size) {
            yield { v: 1, subjects: part };
            parts++;
            part = [];
          }
        }
        if (part.length > 0 || parts === 0) yield { v: 1, subjects: part };
      },
      restore: (parts) => {
        const saved = parts as ReadonlyArray<Partial<SavedState>>;
        if (!saved.every((p) => p?.v === 1 && Array.isArray(p.subjects))) throw new Error('the snapshot holds offers state in a format this version does not read');
        // Check whole before replacing anything: a snapshot that fails half-way leaves the state as it was.
        for (const part of saved) for (const subject of part.subjects!) checkSaved(subject);
        this.forget(covers);
        // The arrays are sized once: grown step by step, each new buffer counted against V8's external
        // memory limit and set off a full collection of the heap, which holds the decoded parts (half the
        // restore's time at 300k subjects). Last part first: a subject saved twice is restored from its
        // last copy (it is then held, and the earlier copy skipped). Nothing is released while restoring,
        // so the map of item and category slots by string stays valid.
        let subjects = 0;
        let itemRecords = 0;
        let categoryRecords = 0;
        let sessionKeys = 0;
        for (const part of saved) {
          for (const [sid, items, sessions] of part.subjects!) {
            subjects++;
            itemRecords += blockOf(Math.min(items.length, this.limit));
            categoryRecords += blockOf(this.categoryCount(sessions));
            sessionKeys += this.sessionKeyCount(sid, items, sessions);
          }
        }
        this.subjects.reserve(subjects);
        this.items.reserve(itemRecords);
        this.categories.reserve(categoryRecords);
        this.sessions.reserve(sessionKeys);
        const names = new Map<string, number>();
        for (let p = saved.length - 1; p >= 0; p--) {
          const subjects = saved[p]!.subjects!;
          for (let i = subjects.length - 1; i >= 0; i--) {
            const [sid, items, sessionCategories] = subjects[i]!;
            if (keep(sid) && covers(sid) && this.subjects.find(sid) < 0) this.restoreSubject(sid, items, sessionCategories, names);
          }
        }
      },
    };
  }

  /** Drops the subjects `covers` names (a partition this worker no longer holds); how many. */
  forget(covers: (sid: string) => boolean): number {
    let n = 0;
    for (let subject = 0; subject < this.subjects.highWater; subject++) {
      if (!this.subjects.isLive(subject) || !covers(this.subjects.keyOf(subject))) continue;
      this.remove(subject);
      n++;
    }
    this.removals += n;
    return n;
  }

  // ---------------------------------------------------------------------------------------------------

  /** The subject's slot, added with empty lists when new. */
  private subjectSlot(sid: string): number {
    const subject = this.subjects.findOrInsert(sid);
    if (this.subjects.inserted) {
      const hi = this.subjects.i;
      const at = this.refsAt(subject);
      hi[at] = NONE;
      hi[at + 1] = 0;
      hi[at + 2] = NONE;
      hi[at + 3] = 0;
    }
    return subject;
  }

  /** Where a subject's list references start in the key table's ints. */
  private refsAt(subject: number): number {
    return 2 * (subject * (this.subjects.stride >> 1) + this.subjects.payload);
  }

  private addItem(subject: number, item: string, type: EventType, ts: number, session: number, category: number): void {
    const list = this.items;
    const at = this.refsAt(subject);
    const hi = this.subjects.i;
    const n = list.length(hi, at);
    // Kept in event-time order (late events slot in); the oldest fall off.
    let pos = n;
    for (const off = list.start(hi, at); pos > 0 && list.floats[(off + pos - 1) * list.floatStride]! > ts; ) pos--;
    if (pos === 0 && n >= this.limit) return; // older than everything kept: it would fall off at once
    const rec = list.insert(hi, at, pos);
    list.floats[rec * list.floatStride] = ts;
    const r = rec * list.intStride + list.intBase;
    list.ints[r + ITEM] = this.names.hold(item);
    list.ints[r + SESSION] = session;
    list.ints[r + CATEGORY] = category;
    list.ints[r + TYPE] = TYPE_CODE.get(type) ?? 0;
    this.retainSession(session);
    if (category !== NONE) this.names.retain(category);
    if (n + 1 > this.limit) this.removeItem(at, 0);
  }

  private removeItem(at: number, pos: number): void {
    const list = this.items;
    const r = (list.start(this.subjects.i, at) + pos) * list.intStride + list.intBase;
    this.names.release(list.ints[r + ITEM]!);
    this.releaseSession(list.ints[r + SESSION]!);
    if (list.ints[r + CATEGORY]! !== NONE) this.names.release(list.ints[r + CATEGORY]!);
    list.remove(this.subjects.i, at, pos);
  }

  private addCategory(subject: number, session: number, category: number): void {
    const c = this.categories;
    const at = this.refsAt(subject) + 2;
    const hi = this.subjects.i;
    const off = c.start(hi, at);
    const n = c.length(hi, at);
    // The session's group [first, end), and the category's record in it.
    let first = -1;
    let end = -1;
    let found = -1;
    let groups = 0;
    for (let k = 0, previous = NONE; k < n; k++) {
      const r = (off + k) * c.intStride + c.intBase;
      const s = c.ints[r + CAT_SESSION]!;
      if (s !== previous) groups++;
      previous = s;
      if (s !== session) continue;
      if (first < 0) first = k;
      end = k + 1;
      if (c.ints[r + CAT_CATEGORY] === category) found = k;
    }
    if (first < 0) {
      // a new session: its group goes last; the oldest session's group goes beyond RECENT_SESSIONS
      this.insertCategory(at, n, session, category);
      if (groups + 1 > RECENT_SESSIONS) this.removeOldestSession(at);
      return;
    }
    // most recent last, no repeats, at most SESSION_CATEGORIES
    if (found >= 0) {
      this.removeCategory(at, found);
      end--;
    }
    this.insertCategory(at, end, session, category);
    if (end - first + 1 > SESSION_CATEGORIES) this.removeCategory(at, first);
  }

  private insertCategory(at: number, pos: number, session: number, category: number): void {
    const c = this.categories;
    const rec = c.insert(this.subjects.i, at, pos);
    const r = rec * c.intStride + c.intBase;
    c.ints[r + CAT_SESSION] = session;
    c.ints[r + CAT_CATEGORY] = category;
    this.retainSession(session);
    this.names.retain(category);
  }

  private removeCategory(at: number, pos: number): void {
    const c = this.categories;
    const r = (c.start(this.subjects.i, at) + pos) * c.intStride + c.intBase;
    this.releaseSession(c.ints[r + CAT_SESSION]!);
    this.names.release(c.ints[r + CAT_CATEGORY]!);
    c.remove(this.subjects.i, at, pos);
  }

  private removeOldestSession(at: number): void {
    const c = this.categories;
    const oldest = c.ints[c.start(this.subjects.i, at) * c.intStride + c.intBase + CAT_SESSION]!;
    while (c.length(this.subjects.i, at) > 0 && c.ints[c.start(this.subjects.i, at) * c.intStride + c.intBase + CAT_SESSION] === oldest) this.removeCategory(at, 0);
  }

  /** Removes a subject and its references; how many items and sessions it held (the erasure receipt's count). */
  private remove(subject: number): number {
    const at = this.refsAt(subject);
    const items = this.items.length(this.subjects.i, at);
    const sessions = this.sessionCount(at + 2);
    while (this.items.length(this.subjects.i, at) > 0) this.removeItem(at, this.items.length(this.subjects.i, at) - 1);
    while (this.categories.length(this.subjects.i, at + 2) > 0) this.removeCategory(at + 2, this.categories.length(this.subjects.i, at + 2) - 1);
    this.subjects.remove(subject);
    return items + sessions;
  }

  /** Sessions in a categories list (groups of consecutive records of one session). */
  private sessionCount(at: number): number {
    const c = this.categories;
    let groups = 0;
    for (let rec = c.start(this.subjects.i, at), end = rec + c.length(this.subjects.i, at), previous = NONE; rec < end; rec++) {
      const session = c.ints[rec * c.intStride + c.intBase + CAT_SESSION]!;
      if (session !== previous) groups++;
      previous = session;
    }
    return groups;
  }

  private stateOf(subject: number, sid: string): SubjectOffersState {
    const [, items, sessions] = this.savedOf(subject, sid);
    return { items: items.map(([item, type, ts, session, category]) => ({ item, type, ts, session, category: category ?? undefined })), sessions };
  }

  /**
   * A subject's records name a few sessions many times: savedOf decodes each key once, restoreSubject
   * looks each up once (methods over two reused arrays, not a closure or a map per subject).
   */
  private readonly decodedSlots: number[] = [];
  private readonly decodedKeys: string[] = [];
  private decodedSession(slot: number, sid: string): string {
    if (slot === LANE) return sessionKey(sid);
    const i = this.decodedSlots.indexOf(slot);
    if (i >= 0) return this.decodedKeys[i]!;
    this.decodedSlots.push(slot);
    return this.decodedKeys[this.decodedKeys.push(this.sessions.get(slot)) - 1]!;
  }

  /** A subject as a snapshot holds it (and as `get` shows it): its records with their strings. */
  private savedOf(subject: number, sid: string): SavedSubject {
    const at = this.refsAt(subject);
    const hi = this.subjects.i;
    this.decodedSlots.length = 0;
    this.decodedKeys.length = 0;
    const list = this.items;
    const items: SavedSubject[1] = [];
    for (let rec = list.start(hi, at), end = rec + list.length(hi, at); rec < end; rec++) {
      const r = rec * list.intStride + list.intBase;
      const category = list.ints[r + CATEGORY]!;
      items.push([
        this.names.get(list.ints[r + ITEM]!),
        EVENT_TYPES[list.ints[r + TYPE]!]!,
        list.floats[rec * list.floatStride]!,
        this.decodedSession(list.ints[r + SESSION]!, sid),
        category === NONE ? null : this.names.get(category),
      ]);
    }
    const sessions: SavedSubject[2] = [];
    const c = this.categories;
    let previous = NONE;
    for (let rec = c.start(hi, at + 2), end = rec + c.length(hi, at + 2); rec < end; rec++) {
      const r = rec * c.intStride + c.intBase;
      const session = c.ints[r + CAT_SESSION]!;
      if (session !== previous) sessions.push([this.decodedSession(session, sid), []]);
      previous = session;
      sessions.at(-1)![1].push(this.names.get(c.ints[r + CAT_CATEGORY]!));
    }
    return [sid, items, sessions];
  }

  /**
   * A saved subject written straight into the lists (not replayed through apply: a restore of a million
   * subjects took 3× the old object state's time that way). The saved lists are in the order apply keeps;
   * the bounds are applied again, so a hand-edited snapshot cannot overfill them.
   */
  private restoreSubject(sid: string, items: SavedSubject[1], sessions: SavedSubject[2], nameSlots: Map<string, number>): void {
    const at = this.refsAt(this.subjectSlot(sid));
    const hi = this.subjects.i;
    // loops over indices, no slices or closures: this runs once per subject of the snapshot
    this.decodedSlots.length = 0;
    this.decodedKeys.length = 0;
    const lane = sessionKey(sid);
    const c = this.categories;
    let rec = c.appendBlock(hi, at + 2, this.categoryCount(sessions));
    for (let g = Math.max(0, sessions.length - RECENT_SESSIONS); g < sessions.length; g++) {
      const key = sessions[g]![0];
      const categories = sessions[g]![1];
      for (let k = Math.max(0, categories.length - SESSION_CATEGORIES); k < categories.length; k++, rec++) {
        const r = rec * c.intStride + c.intBase;
        c.ints[r + CAT_SESSION] = this.heldSession(key, lane);
        c.ints[r + CAT_CATEGORY] = this.names.holdVia(categories[k]!, nameSlots);
      }
    }
    let ordered = items;
    for (let i = 1; i < items.length && ordered === items; i++) if (items[i - 1]![2] > items[i]![2]) ordered = [...items].sort((a, b) => a[2] - b[2]);
    const list = this.items;
    const first = Math.max(0, ordered.length - this.limit);
    const block = list.appendBlock(hi, at, ordered.length - first);
    for (let i = first; i < ordered.length; i++) {
      const saved = ordered[i]!;
      const category = saved[4];
      const rec = block + i - first;
      list.floats[rec * list.floatStride] = saved[2];
      const r = rec * list.intStride + list.intBase;
      list.ints[r + ITEM] = this.names.holdVia(saved[0], nameSlots);
      list.ints[r + SESSION] = this.heldSession(saved[3], lane);
      list.ints[r + CATEGORY] = category === null ? NONE : this.names.holdVia(category, nameSlots);
      list.ints[r + TYPE] = TYPE_CODE.get(saved[1])!;
    }
  }

  /** The session keys with an entry of their own (not the lane) a saved subject names, at most (shared ones count per subject). */
  private sessionKeyCount(sid: string, items: SavedSubject[1], sessions: SavedSubject[2]): number {
    const lane = sessionKey(sid);
    const seen = this.decodedKeys;
    seen.length = 0;
    for (const item of items) if (item[3] !== lane && !seen.includes(item[3])) seen.push(item[3]);
    for (const group of sessions) if (group[0] !== lane && !seen.includes(group[0])) seen.push(group[0]);
    const n = seen.length;
    seen.length = 0;
    return n;
  }

  /** Session references: the subject's lane has no entry of its own (it is the subject's id). */
  private retainSession(slot: number): void {
    if (slot !== LANE) this.sessions.retain(slot);
  }

  private releaseSession(slot: number): void {
    if (slot !== LANE) this.sessions.release(slot);
  }

  /** The category records a saved subject's sessions make, within the bounds. */
  private categoryCount(sessions: SavedSubject[2]): number {
    let n = 0;
    for (let g = Math.max(0, sessions.length - RECENT_SESSIONS); g < sessions.length; g++) n += Math.min(sessions[g]![1].length, SESSION_CATEGORIES);
    return n;
  }

  /** A session key's slot with one more reference, through the subject's few keys held so far (restoreSubject). */
  private heldSession(key: string, lane: string): number {
    if (key === lane) return LANE;
    const i = this.decodedKeys.indexOf(key);
    if (i >= 0) {
      this.sessions.retain(this.decodedSlots[i]!);
      return this.decodedSlots[i]!;
    }
    const slot = this.sessions.hold(key);
    this.decodedKeys.push(key);
    this.decodedSlots.push(slot);
    return slot;
  }

}

/** The records a block list sets aside for a list of n (a power of two; none for an empty list). */
const blockOf = (n: number): number => (n === 0 ? 0 : 2 ** Math.ceil(Math.log2(n)));

/** Throws unless `s` is a subject as saveParts writes it (checked before a restore replaces anything). */
function checkSaved(s: unknown): asserts s is SavedSubject {
  const fail = (what: string): never => {
    throw new Error(`the snapshot's offers state is malformed: ${what}`);
  };
  if (!Array.isArray(s) || typeof s[0] !== 'string' || !Array.isArray(s[1]) || !Array.isArray(s[2])) return fail('a subject is not [sid, items, sessions]');
  for (const i of s[1] as unknown[]) {
    if (!Array.isArray(i) || typeof i[0] !== 'string' || !TYPE_CODE.has(i[1]) || typeof i[2] !== 'number' || typeof i[3] !== 'string' || (i[4] !== null && typeof i[4] !== 'string')) fail('an item is not [item, type, ts, session, category]');
  }
  for (const x of s[2] as unknown[]) {
    if (!Array.isArray(x) || typeof x[0] !== 'string' || !Array.isArray(x[1]) || !x[1].every((c) => typeof c === 'string')) fail('a session is not [key, categories]');
  }
}
