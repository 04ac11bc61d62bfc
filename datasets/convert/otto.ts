/**
 * OTTO session dataset (otto-de/recsys-dataset) → canonical events.
 *
 * Input: JSON Lines, one session per line: `{"session": n, "events": [{"aid", "ts" (ms), "type"}]}` with
 * type `clicks` | `carts` | `orders`. The data is anonymous sessions, so subject and session are both the
 * session number, prefixed (`otto-s<n>`) to keep them apart from other sources. Event ids are
 * `otto-<session>-<i>`, i the event's position in its session (`otto-<k>.<session>-<i>` for the k-th of
 * several inputs: train and test files). `rowsRead` counts sessions.
 */
import type { EventType } from '../../engine/index.ts';
import { convertLines, countSkip, isBlank, wrongFormat, type ConversionStats, type Converter, type InputFile, type LineConverter } from './conversion.ts';

const TYPE_OF_OTTO: Readonly<Record<string, EventType>> = { clicks: 'view', carts: 'cart_add', orders: 'purchase' };

interface OttoSession {
  session: number;
  events: unknown[];
}

function isOttoSession(value: unknown): value is OttoSession {
  const v = value as Partial<OttoSession> | null;
  return typeof v === 'object' && v !== null && Number.isSafeInteger(v.session) && (v.session as number) >= 0 && Array.isArray(v.events);
}

export const ottoConverter: Converter = {
  name: 'otto',
  description: 'OTTO sessions JSONL ({session, events: [{aid, ts (ms), type: clicks|carts|orders}]})',
  convert: (input) => convertLines(input, ottoLines),
};

function ottoLines(stats: ConversionStats, file: InputFile): LineConverter {
  let rows = 0;
  return {
    line(raw, lineNumber, out) {
      if (isBlank(raw)) return;
      stats.rowsRead++;
      rows++;
      let session: unknown;
      try {
        session = JSON.parse(raw);
      } catch {
        session = undefined;
      }
      if (!isOttoSession(session)) {
        if (rows === 1) throw wrongFormat('otto', file.path, lineNumber, 'is not a JSON session object with "session" and "events"');
        return countSkip(stats, 'malformed_session', lineNumber, file);
      }
      const id = `otto-s${session.session}`;
      session.events.forEach((value, index) => {
        const event = value as { aid?: unknown; ts?: unknown; type?: unknown } | null;
        if (typeof event !== 'object' || event === null || !Number.isSafeInteger(event.aid) || !Number.isSafeInteger(event.ts) || (event.ts as number) < 0) {
          return countSkip(stats, 'malformed_event', lineNumber, file);
        }
        const type = typeof event.type === 'string' ? TYPE_OF_OTTO[event.type] : undefined;
        if (type === undefined) return countSkip(stats, 'unknown_event_type', lineNumber, file);
        out.push({ id: `otto-${file.tag}${session.session}-${index}`, ts: event.ts as number, subject: id, session: id, type, item: String(event.aid) });
      });
    },
  };
}
