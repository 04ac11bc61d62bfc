/**
 * DIGINETICA (CIKM Cup 2016, personalized e-commerce search) → canonical events.
 *
 * Input: `;`-separated files with a header, told apart by it (any column order):
 * - item views (`train-item-views.csv`): `sessionId;userId;itemId;timeframe;eventdate` → `view`;
 * - purchases (`train-purchases.csv`): `sessionId;userId;timeframe;eventdate;ordernumber;itemId` → `purchase`.
 * Pass both (`--in train-item-views.csv --in train-purchases.csv`) for an event file with purchases; the
 * views alone are what session-based recommendation evaluates on.
 *
 * - Time: `eventdate` is the session's day and `timeframe` the milliseconds since the session's first
 *   query, so ts = the day's start (UTC) + timeframe; order within a session is exact, the day's hour is not
 *   in the data.
 * - Session = `dn-s<sessionId>`; subject = userId, or the session (`dn-s<sessionId>`) when userId is `NA`
 *   or empty (most sessions are anonymous).
 * - Event ids are `dn-v<line>` for views and `dn-p<line>` for purchases (`dn-v<k>.<line>` for the k-th of
 *   several inputs). The search, click and product files are not events and are refused.
 */
import type { EventType } from '../../engine/index.ts';
import { checkEpochMs, FieldProblem, type CanonicalEvent } from '../canonical-event.ts';
import { FileRows, headerColumns, isBlank, lineConverter, missingHeader, withoutCr, type ConversionStats, type InputFile, type LineConverter } from './conversion.ts';
import { parseIsoDay } from './utc-date.ts';

const REQUIRED = ['sessionId', 'userId', 'itemId', 'timeframe', 'eventdate'] as const;
type Column = (typeof REQUIRED)[number];
const DIGITS = /^\d{1,15}$/;

export const digineticaConverter = lineConverter(
  'diginetica',
  'DIGINETICA train-item-views.csv / train-purchases.csv (;-separated, header; sessionId,userId,itemId,timeframe,eventdate)',
  digineticaLines,
);

function digineticaLines(stats: ConversionStats, file: InputFile): LineConverter {
  let columns: Record<Column, number> | undefined;
  let width = 0;
  let type: EventType = 'view';
  let prefix = '';
  const rows = new FileRows('diginetica', stats, file);
  // A session's rows share its day: parse each distinct date once.
  let lastDateText = '';
  let lastDay = Number.NaN;
  return {
    line(raw, lineNumber, out) {
      if (isBlank(raw)) return;
      const fields = withoutCr(raw).split(';');
      if (columns === undefined) {
        columns = headerColumns(fields, REQUIRED, 'diginetica', file.path, lineNumber, ';');
        width = fields.length;
        const purchases = fields.some((name) => name.trim() === 'ordernumber');
        type = purchases ? 'purchase' : 'view';
        prefix = purchases ? 'dn-p' : 'dn-v';
        return;
      }
      rows.next();
      const session = fields[columns.sessionId]!;
      const item = fields[columns.itemId]!;
      const timeframe = fields[columns.timeframe]!;
      const dateText = fields[columns.eventdate]!;
      if (dateText !== lastDateText) {
        lastDateText = dateText;
        lastDay = parseIsoDay(dateText);
      }
      const problem =
        fields.length !== width ? `has ${fields.length} fields, expected ${width} as in the header`
        : !DIGITS.test(session) ? 'has a sessionId that is not a number'
        : item === '' ? 'lacks an itemId'
        : !DIGITS.test(timeframe) ? 'has a timeframe that is not milliseconds'
        : Number.isNaN(lastDay) ? 'has an eventdate that is not YYYY-MM-DD'
        : undefined;
      if (problem !== undefined) return rows.bad(lineNumber, problem);
      const ts = lastDay + Number(timeframe);
      if (checkEpochMs(ts) instanceof FieldProblem) return rows.skip(lineNumber, 'timestamp_out_of_range');
      const user = fields[columns.userId]!;
      const sessionId = `dn-s${session}`;
      const event: CanonicalEvent = { id: `${prefix}${file.tag}${lineNumber}`, ts, subject: user === '' || user === 'NA' ? sessionId : user, session: sessionId, type, item };
      out.push(event);
    },
    end() {
      if (columns === undefined) throw missingHeader('diginetica', file, REQUIRED);
    },
  };
}
