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
import { FileRows, isBlank, lineConverter, type ConversionStats, type InputFile, type LineConverter } from './conversion.ts';

const TYPE_OF_OTTO: Readonly<Record<string, EventType>> = { clicks: 'view', carts: 'cart_add', orders: 'purchase' };

interface OttoSession {
  session: number;
  events: unknown[];
}

function isOttoSession(value: unknown): value is OttoSession {
  const v = value as Partial<OttoSession> | null;
  return typeof v === 'object' && v !== null && Number.isSafeInteger(v.session) && (v.session as number) >= 0 && Array.isArray(v.events);
}

export const ottoConverter = lineConverter('otto', 'OTTO sessions JSONL ({session, events: [{aid, ts (ms), type: clicks|carts|orders}]})', ottoLines);

function ottoLines(stats: ConversionStats, file: InputFile): LineConverter {
  const rows = new FileRows('otto', stats, file);
  return {
    line(raw, lineNumber, out) {
      if (isBlank(raw)) return;
      rows.next();
      let session: unknown;
      try {
        session = JSON.parse(raw);
      } catch {
        session = undefined;
      }
      if (!isOttoSession(session)) return rows.bad(lineNumber, 'is not a JSON session object with "session" and "events"', 'malformed_session');
      const id = `otto-s${session.session}`;
      session.events.forEach((value, index) => {
        const event = value as { aid?: unknown; ts?: unknown; type?: unknown } | null;
        if (typeof event !== 'object' || event === null || !Number.isSafeInteger(event.aid) || !Number.isSafeInteger(event.ts) || (event.ts as number) < 0) {
          return rows.skip(lineNumber, 'malformed_event');
        }
        const type = typeof event.type === 'string' ? TYPE_OF_OTTO[event.type] : undefined;
        if (type === undefined) return rows.skip(lineNumber, 'unknown_event_type');
        out.push({ id: `otto-${file.tag}${session.session}-${index}`, ts: event.ts as number, subject: id, session: id, type, item: String(event.aid) });
      });
    },
  };
}
