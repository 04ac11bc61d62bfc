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
import { DEFAULT_SESSION_GAP_MS, IobError, sessionKey, type EventType } from '../../engine/index.ts';

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

interface RawStep {
  ts: number;
  order: number;
  /** −1 for an event without an item (it only keeps the session alive). */
  item: number;
  type: EventType;
}

/** Reads a canonical event file into sessions. Bad rows are skipped and listed, or with `strict` fail the load. */
export async function loadSessionLog(path: string, options: LoadSessionsOptions = {}): Promise<SessionLog> {
  const gapMs = options.gapMs ?? DEFAULT_SESSION_GAP_MS;
  const itemIndex = new Map<string, number>();
  const items: string[] = [];
  const byKey = new Map<string, { subject: string; steps: RawStep[] }>();
  const badRows: BadRow[] = [];
  let events = 0;
  let eventsWithoutItem = 0;
  let order = 0;
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
      let item = -1;
      if (e.item === undefined || e.item === '') eventsWithoutItem++;
      else {
        events++;
        item = itemIndex.get(e.item) ?? -1;
        if (item < 0) {
          item = items.length;
          itemIndex.set(e.item, item);
          items.push(e.item);
        }
      }
      const key = sessionKey(e.subject, e.session);
      let lane = byKey.get(key);
      if (lane === undefined) byKey.set(key, (lane = { subject: e.subject, steps: [] }));
      lane.steps.push({ ts: e.ts, order: order++, item, type: e.type });
    }
  }
  if (badRows.length > 0 && options.strict) throw badRowsError(path, badRows);
  return { items, sessions: splitSessions(byKey.values(), gapMs), events, eventsWithoutItem, badRows, gapMs, excluded };
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

/** Splits each key's steps at gaps longer than `gapMs`, collapses consecutive repeats, orders sessions by start. */
function splitSessions(lanes: Iterable<{ subject: string; steps: RawStep[] }>, gapMs: number): ItemSession[] {
  const sessions: Array<ItemSession & { order: number }> = [];
  for (const { subject, steps } of lanes) {
    steps.sort((a, b) => a.ts - b.ts || a.order - b.order);
    let current: (ItemSession & { order: number }) | undefined;
    for (const step of steps) {
      if (current === undefined || step.ts - current.end > gapMs) {
        current = { subject, start: step.ts, end: step.ts, items: [], times: [], types: [], order: step.order };
        sessions.push(current);
      }
      current.end = step.ts;
      if (step.item < 0) continue;
      const last = current.items.length - 1;
      if (last >= 0 && current.items[last] === step.item) {
        current.types[last] = step.type;
        continue;
      }
      current.items.push(step.item);
      current.times.push(step.ts);
      current.types.push(step.type);
    }
  }
  sessions.sort((a, b) => a.start - b.start || a.order - b.order);
  return sessions.filter((s) => s.items.length > 0).map(({ order: _order, ...s }) => s);
}
