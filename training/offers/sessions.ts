/**
 * Session logs for next-item evaluation and item embeddings: a canonical event file → item sessions.
 *
 * Sessions follow the engine's definition (engine/features/sessions.ts): an event's session key is its
 * session id, or its subject's lane when it has none (`sessionKey`); a key's events, in time order, split
 * wherever two consecutive events are more than the gap apart (the engine's default 30 minutes). So a log
 * without session ids (Taobao UserBehavior) is sessionized exactly as the online store sessionizes it, and
 * serving later sees the same sessions training saw.
 *
 * Only events with an item become steps, but every event counts for the session boundaries, as in the engine
 * (a search keeps a session alive); sessions without any item are left out. A repeat of the item just seen
 * (a view then a cart of the same item) is one step: predicting "the item you are on" would be a free hit
 * for every ranker and says nothing about what comes next.
 */
import { readCanonicalBatches, type RowError } from '../../datasets/index.ts';
import { assignSessions, DEFAULT_SESSION_GAP_MS, EventColumns, IobError, type EventType } from '../../engine/index.ts';

export interface ItemSession {
  /** The subject (as given in the file; a training file is already pseudonymized or public data). */
  subject: string;
  /** Time of the first and last event (epoch ms). */
  start: number;
  end: number;
  /** Item indices into `SessionLog.items`, consecutive repeats collapsed. */
  items: number[];
  /** Event time of each step. */
  times: number[];
  /** Event type of each step (the last of a collapsed run: a view then a cart counts as a cart). */
  types: EventType[];
}

export interface BadRow {
  line: number;
  error: RowError;
}

export interface SessionLog {
  /** Index → item id, for every item in the file. */
  items: string[];
  /** Sessions ordered by start time (ties: key order of first appearance). */
  sessions: ItemSession[];
  /** Events read with an item / without one (ignored). */
  events: number;
  eventsWithoutItem: number;
  /** Rows the reader rejected and the load skipped (with `strict`, the first one throws instead). */
  badRows: BadRow[];
  gapMs: number;
  /** Events left out by `keep` (erased subjects, no consent for the purpose). */
  excluded: number;
}

export interface LoadSessionsOptions {
  gapMs?: number;
  /** Refuse a file with bad rows (an error naming line and column); by default they are skipped and listed in `badRows`. */
  strict?: boolean;
  /** Which events may be used at all (erasure list and consent, training/feature-events.ts); default every one. */
  keep?: (event: { subject: string; ts: number }) => boolean;
}

/** How many bad rows a message lists before it says "and N more". */
export const LISTED_BAD_ROWS = 10;

/**
 * Reads a canonical event file into sessions. Bad rows are skipped and listed, or with `strict` fail the load.
 * Events are held as columns while the file is read (engine/features/event-columns.ts: ~40 bytes an event,
 * where an object per event cost several times that) and sessionized by the engine's own `assignSessions`.
 */
export async function loadSessionLog(path: string, options: LoadSessionsOptions = {}): Promise<SessionLog> {
  const gapMs = options.gapMs ?? DEFAULT_SESSION_GAP_MS;
  const columns = new EventColumns();
  const badRows: BadRow[] = [];
  let events = 0;
  let eventsWithoutItem = 0;
  let excluded = 0;
  for await (const batch of readCanonicalBatches(path)) {
    for (const record of batch) {
      if ('error' in record) {
        badRows.push({ line: record.line, error: record.error });
        continue;
      }
      const e = record.event;
      if (options.keep && !options.keep(e)) {
        excluded++;
        continue;
      }
      // an event without an item only keeps its session alive
      const item = e.item === '' ? undefined : e.item;
      if (item === undefined) eventsWithoutItem++;
      else events++;
      columns.push({ ts: e.ts, sid: e.subject, type: e.type, ssid: e.session, item });
    }
  }
  if (badRows.length > 0 && options.strict) throw badRowsError(path, badRows);
  return { items: columns.items.values, sessions: itemSessions(columns, gapMs), events, eventsWithoutItem, badRows, gapMs, excluded };
}

export function badRowsError(path: string, badRows: readonly BadRow[]): IobError {
  const listed = badRows.slice(0, LISTED_BAD_ROWS);
  const more = badRows.length - listed.length;
  return new IobError(
    'IOB_ERR_VALIDATION',
    `${path}: ${badRows.length} bad row${badRows.length === 1 ? '' : 's'} (fix them, or drop --strict to train without them)`,
    [
      ...listed.map(({ line, error }) => ({ path: `line ${line}, column ${error.column}`, reason: error.reason, message: error.message })),
      ...(more > 0 ? [{ path: '', reason: 'more', message: `and ${more} more bad row${more === 1 ? '' : 's'}` }] : []),
    ],
  );
}

/** The sessions' item steps, consecutive repeats collapsed, sessions ordered by start (ties: their first event's input order). */
function itemSessions(columns: EventColumns, gapMs: number): ItemSession[] {
  const { session, start, end, order } = assignSessions(columns, gapMs);
  const sessions: Array<ItemSession & { first: number }> = [];
  let current: (ItemSession & { first: number }) | undefined;
  let currentId = -1;
  for (const i of order) {
    const s = session[i]!;
    if (s !== currentId) {
      currentId = s;
      current = { subject: columns.subjectAt(i), start: start[s]!, end: end[s]!, items: [], times: [], types: [], first: i };
      sessions.push(current);
    }
    const item = columns.item[i]!;
    if (item < 0) continue;
    const type = columns.typeAt(i) as EventType;
    const last = current!.items.length - 1;
    if (last >= 0 && current!.items[last] === item) {
      current!.types[last] = type;
      continue;
    }
    current!.items.push(item);
    current!.times.push(columns.ts[i]!);
    current!.types.push(type);
  }
  sessions.sort((a, b) => a.start - b.start || a.first - b.first);
  return sessions.filter((s) => s.items.length > 0).map(({ first: _first, ...s }) => s);
}
