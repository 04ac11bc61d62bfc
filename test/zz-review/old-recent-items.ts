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
 */
import type { StoredEvent } from '../../engine/event-schema.ts';
import { sessionKey } from '../../engine/features/sessions.ts';
import type { SnapshotAttachment } from '../../engine/features/snapshot.ts';

export const RECENT_ITEMS = 20;
export const RECENT_SESSIONS = 5;
export const SESSION_CATEGORIES = 10;

export interface RecentItem {
  item: string;
  type: StoredEvent['type'];
  ts: number;
  /** the session key (engine/features/sessions.ts sessionKey): the session id or the subject's lane */
  session: string;
  category: string | undefined;
}

export interface SubjectOffersState {
  /** oldest first, at most RECENT_ITEMS */
  items: RecentItem[];
  /** [session key, its categories (most recent last)], at most RECENT_SESSIONS sessions, oldest first (a small array: a Map per subject costs more than it saves) */
  sessions: Array<[string, string[]]>;
}

/** The categories of one of the subject's sessions (empty when none). */
export function sessionCategories(state: SubjectOffersState, session: string): readonly string[] {
  for (const [key, categories] of state.sessions) if (key === session) return categories;
  return [];
}

export type ExportedRecentItem = Omit<RecentItem, 'category'> & { category?: string };

/** One subject in a snapshot: [sid, items as [item, type, ts, session, category | null], sessions]. */
type SavedSubject = [string, Array<[string, StoredEvent['type'], number, string, string | null]>, Array<[string, string[]]>];
interface SavedState {
  v: 1;
  subjects: SavedSubject[];
}

/** Item ids and categories repeat across a million subjects: one string instance each (bounded pool). */
const POOL_LIMIT = 2_000_000;

export class RecentItemsState {
  private readonly subjects = new Map<string, SubjectOffersState>();
  private pool = new Map<string, string>();
  /** Removals (purge, forget, restore): a snapshot saving in parts saves again across one (snapshot.ts). */
  private removals = 0;
  constructor(private readonly limit = RECENT_ITEMS) {}

  private intern(value: string): string {
    const held = this.pool.get(value);
    if (held !== undefined) return held;
    if (this.pool.size >= POOL_LIMIT) this.pool = new Map();
    this.pool.set(value, value);
    return value;
  }

  apply(event: StoredEvent): void {
    if (event.item === undefined && event.category === undefined) return;
    let s = this.subjects.get(event.sid);
    if (!s) this.subjects.set(event.sid, (s = { items: [], sessions: [] }));
    // The subject's session keys are shared by its items (the decoder makes a new string per event).
    let session = sessionKey(event.sid, event.ssid);
    for (const [known] of s.sessions) if (known === session) session = known;
    const last = s.items.at(-1);
    if (last !== undefined && last.session === session) session = last.session;
    const category = event.category === undefined ? undefined : this.intern(event.category);
    if (event.item !== undefined) {
      const entry: RecentItem = { item: this.intern(event.item), type: event.type, ts: event.ts, session, category };
      // Kept in event-time order (late events slot in); the oldest fall off.
      let at = s.items.length;
      while (at > 0 && s.items[at - 1]!.ts > event.ts) at--;
      s.items.splice(at, 0, entry);
      if (s.items.length > this.limit) s.items.splice(0, s.items.length - this.limit);
    }
    if (category !== undefined) {
      let cats = s.sessions.find(([key]) => key === session)?.[1];
      if (!cats) {
        s.sessions.push([session, (cats = [])]);
        if (s.sessions.length > RECENT_SESSIONS) s.sessions.shift();
      }
      const i = cats.indexOf(category);
      if (i >= 0) cats.splice(i, 1);
      cats.push(category);
      if (cats.length > SESSION_CATEGORIES) cats.shift();
    }
  }

  get(sid: string): SubjectOffersState | undefined {
    return this.subjects.get(sid);
  }

  /** What the export shows: the items and the sessions' categories. */
  export(sid: string): { items: ExportedRecentItem[]; sessionCategories: string[][] } | null {
    const s = this.subjects.get(sid);
    if (!s) return null;
    const items = s.items.map(({ category, ...i }) => ({ ...i, session: i.session === sessionKey(sid) ? '(no session id)' : i.session, ...(category === undefined ? {} : { category }) }));
    return { items, sessionCategories: s.sessions.map(([, c]) => [...c]) };
  }

  purge(sid: string): number {
    const s = this.subjects.get(sid);
    if (!s) return 0;
    this.subjects.delete(sid);
    this.removals++;
    return s.items.length + s.sessions.length;
  }

  get size(): number {
    return this.subjects.size;
  }

  /**
   * The state as a snapshot attachment. `keep` says which subjects may be restored (the engine passes
   * "personalization still allowed": a withdrawal or an erasure while the process was down must not bring a
   * profile back). `covers` names the subjects the snapshot is about (default: all of them): a partitioned
   * worker snapshots each partition's store with the recent items of that partition's subjects only, and
   * restoring one partition replaces only its subjects.
   */
  attachment(keep: (sid: string) => boolean = () => true, covers: (sid: string) => boolean = () => true): SnapshotAttachment {
    const subjects = this.subjects;
    return {
      name: 'recentItems',
      changes: () => this.removals,
      saveParts: function* (this: void, size: number): Generator<SavedState> {
        let part: SavedSubject[] = [];
        let parts = 0;
        for (const [sid, s] of subjects) {
          if (!covers(sid)) continue;
          part.push([sid, s.items.map((i) => [i.item, i.type, i.ts, i.session, i.category ?? null]), s.sessions.map(([key, cats]) => [key, [...cats]])]);
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
        // Read whole before replacing anything: a snapshot that fails half-way leaves the state as it was.
        const restored = new Map<string, SubjectOffersState>();
        for (const [sid, items, sessions] of saved.flatMap((p) => p.subjects!)) {
          if (!keep(sid) || !covers(sid)) continue;
          // One string per session key within a subject, as apply() keeps them.
          const keys = new Map<string, string>();
          const key = (k: string): string => keys.get(k) ?? (keys.set(k, k), k);
          restored.set(sid, {
            items: items.map(([item, type, ts, session, category]) => ({ item: this.intern(item), type, ts, session: key(session), category: category === null ? undefined : this.intern(category) })),
            sessions: sessions.map(([k, cats]) => [key(k), cats.map((c) => this.intern(c))]),
          });
        }
        this.forget(covers);
        for (const [sid, s] of restored) this.subjects.set(sid, s);
      },
    };
  }

  /** Drops the subjects `covers` names (a partition this worker no longer holds); how many. */
  forget(covers: (sid: string) => boolean): number {
    let n = 0;
    for (const sid of this.subjects.keys()) if (covers(sid)) n += Number(this.subjects.delete(sid));
    this.removals += n;
    return n;
  }
}
