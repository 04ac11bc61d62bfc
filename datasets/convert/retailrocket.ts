/**
 * RetailRocket e-commerce dataset (Kaggle, `events.csv`) → canonical events.
 *
 * Input: CSV with header `timestamp,visitorid,event,itemid,transactionid` (any column order), timestamp in
 * epoch milliseconds, event `view` | `addtocart` | `transaction`. Ids are kept as they are. The data has no
 * sessions: `session` is left empty and the engine sessionizes by its 30-minute inactivity gap (as
 * session-based recommendation papers do with this set). The item properties files (category over time)
 * are not events and are not read. Event ids are `rr-<line>` (`rr-<k>.<line>` for the k-th of several
 * inputs).
 */
import type { EventType } from '../../engine/index.ts';
import { checkEpochMs, FieldProblem, type CanonicalEvent } from '../canonical-event.ts';
import { FileRows, headerColumns, isBlank, lineConverter, missingHeader, withoutCr, type ConversionStats, type InputFile, type LineConverter } from './conversion.ts';

const TYPE_OF_EVENT: Readonly<Record<string, EventType>> = { view: 'view', addtocart: 'cart_add', transaction: 'purchase' };
const REQUIRED = ['timestamp', 'visitorid', 'event', 'itemid'] as const;
const DIGITS = /^\d{1,16}$/;

export const retailrocketConverter = lineConverter(
  'retailrocket',
  'RetailRocket events.csv (timestamp in ms,visitorid,event: view|addtocart|transaction,itemid,transactionid)',
  retailrocketLines,
);

function retailrocketLines(stats: ConversionStats, file: InputFile): LineConverter {
  let columns: Record<(typeof REQUIRED)[number], number> | undefined;
  let width = 0;
  const rows = new FileRows('retailrocket', stats, file);
  return {
    line(raw, lineNumber, out) {
      if (isBlank(raw)) return;
      const fields = withoutCr(raw).split(',');
      if (columns === undefined) {
        columns = headerColumns(fields, REQUIRED, 'retailrocket', file.path, lineNumber, 'commas');
        width = fields.length;
        return;
      }
      rows.next();
      const time = fields[columns.timestamp]!;
      const visitor = fields[columns.visitorid]!;
      const item = fields[columns.itemid]!;
      const problem =
        fields.length !== width ? `has ${fields.length} fields, expected ${width} as in the header`
        : !DIGITS.test(time) ? 'has a timestamp that is not epoch milliseconds'
        : visitor === '' || item === '' ? 'lacks a visitorid or itemid'
        : undefined;
      if (problem !== undefined) return rows.bad(lineNumber, problem);
      const type = TYPE_OF_EVENT[fields[columns.event]!];
      if (type === undefined) return rows.bad(lineNumber, 'has an event other than view, addtocart, transaction', 'unknown_event');
      const ts = Number(time);
      if (checkEpochMs(ts) instanceof FieldProblem) return rows.skip(lineNumber, 'timestamp_out_of_range');
      const event: CanonicalEvent = { id: `rr-${file.tag}${lineNumber}`, ts, subject: visitor, type, item };
      out.push(event);
    },
    end() {
      if (columns === undefined) throw missingHeader('retailrocket', file, REQUIRED);
    },
  };
}
