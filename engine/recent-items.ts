/**
 * Online offers state per subject (issue 6): the subject's most recent items (bounded) with the event type,
 * time and session key, and the categories of each of its recent sessions. The consumer applies events to
 * it in the same purpose gate as the personal feature views (purpose `personalization`, only admitted
 * events); it is purged with the subject's profile on withdrawal and erasure and shown in the export.
 *
 * It is kept in memory only, outside the feature store's snapshot: after a restart that restores a
 * snapshot it starts empty and refills from new events (the consumer resumes after the snapshot's sequence);
 * without a snapshot it is rebuilt by the replay. A decayed subject vector is not stored: serving computes
 * it per request from these items and the model's item vectors (models/offers/ranker.ts), which keeps the
 * state independent of the model version.
 */
import type { StoredEvent } from './event-schema.ts';
import { sessionKey } from './features/sessions.ts';

export const RECENT_ITEMS = 20;
export const RECENT_SESSIONS = 5;
export const SESSION_CATEGORIES = 10;

export interface RecentItem {
  item: string;
  type: StoredEvent['type'];
  ts: number;
  /** the session key (engine/features/sessions.ts sessionKey): the session id or the subject's lane */
  session: string;
  category?: string;
}

export interface SubjectOffersState {
  /** oldest first, at most RECENT_ITEMS */
  items: RecentItem[];
  /** per session key, its categories, most recent last; at most RECENT_SESSIONS sessions */
  sessions: Map<string, string[]>;
}

export class RecentItemsState {
  private readonly subjects = new Map<string, SubjectOffersState>();
  constructor(private readonly limit = RECENT_ITEMS) {}

  apply(event: StoredEvent): void {
    if (event.item === undefined && event.category === undefined) return;
    let s = this.subjects.get(event.sid);
    if (!s) this.subjects.set(event.sid, (s = { items: [], sessions: new Map() }));
    const session = sessionKey(event.sid, event.ssid);
    if (event.item !== undefined) {
      const entry: RecentItem = { item: event.item, type: event.type, ts: event.ts, session, ...(event.category ? { category: event.category } : {}) };
      // Kept in event-time order (late events slot in); the oldest fall off.
      let at = s.items.length;
      while (at > 0 && s.items[at - 1]!.ts > event.ts) at--;
      s.items.splice(at, 0, entry);
      if (s.items.length > this.limit) s.items.splice(0, s.items.length - this.limit);
    }
    if (event.category !== undefined) {
      let cats = s.sessions.get(session);
      if (!cats) {
        s.sessions.set(session, (cats = []));
        if (s.sessions.size > RECENT_SESSIONS) s.sessions.delete(s.sessions.keys().next().value!);
      }
      const i = cats.indexOf(event.category);
      if (i >= 0) cats.splice(i, 1);
      cats.push(event.category);
      if (cats.length > SESSION_CATEGORIES) cats.shift();
    }
  }

  get(sid: string): SubjectOffersState | undefined {
    return this.subjects.get(sid);
  }

  /** What the export shows: the items and the sessions' categories. */
  export(sid: string): { items: RecentItem[]; sessionCategories: string[][] } | null {
    const s = this.subjects.get(sid);
    return s ? { items: s.items.map((i) => ({ ...i, session: i.session === sessionKey(sid) ? '(no session id)' : i.session })), sessionCategories: [...s.sessions.values()].map((c) => [...c]) } : null;
  }

  purge(sid: string): number {
    const s = this.subjects.get(sid);
    if (!s) return 0;
    this.subjects.delete(sid);
    return s.items.length + s.sessions.size;
  }

  get size(): number {
    return this.subjects.size;
  }
}
