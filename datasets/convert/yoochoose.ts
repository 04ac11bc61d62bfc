/**
 * YOOCHOOSE (RecSys Challenge 2015) → canonical events.
 *
 * Input: CSV without header, in two shapes, told apart by the file's first data row:
 * - clicks (`yoochoose-clicks.dat`, `yoochoose-test.dat`): `SessionID,Timestamp,ItemID,Category` → `view`;
 * - buys (`yoochoose-buys.dat`): `SessionID,Timestamp,ItemID,Price,Quantity` → `purchase`.
 * Pass both (`--in yoochoose-clicks.dat --in yoochoose-buys.dat`) for an event file with purchases in it;
 * the clicks alone are what session-based recommendation evaluates on.
 *
 * - Timestamp is ISO 8601 in UTC (`2014-04-07T10:51:09.277Z`).
 * - The data is anonymous sessions, so subject and session are both the session number, prefixed
 *   (`yc-s<SessionID>`).
 * - Category: `0` (unknown) is left out; anything else is kept as the event's category (`1`–`12` are
 *   categories, `S` a special offer, a long number the brand).
 * - Price and quantity of a buy are left out when 0 (the data's "unknown"); beyond the canonical limits the
 *   row is skipped and counted.
 * - Event ids are `yc-c<line>` for clicks and `yc-b<line>` for buys (`yc-c<k>.<line>` for the k-th of
 *   several inputs).
 */
import type { EventType } from '../../engine/index.ts';
import { checkEpochMs, FieldProblem, MAX_PRICE, MAX_QUANTITY, type CanonicalEvent } from '../canonical-event.ts';
import { FileRows, isBlank, lineConverter, withoutCr, type ConversionStats, type InputFile, type LineConverter } from './conversion.ts';
import { parseIsoUtc } from './utc-date.ts';

const DIGITS = /^\d{1,18}$/;
/** A price as the data writes it: digits, with a decimal fraction in some copies. */
const PRICE = /^\d{1,15}(\.\d+)?$/;

/** The two shapes of the data's rows: by their field count. */
const SHAPES: Readonly<Record<number, { type: EventType; prefix: string }>> = {
  4: { type: 'view', prefix: 'yc-c' },
  5: { type: 'purchase', prefix: 'yc-b' },
};

export const yoochooseConverter = lineConverter(
  'yoochoose',
  'YOOCHOOSE clicks (SessionID,Timestamp,ItemID,Category) and buys (SessionID,Timestamp,ItemID,Price,Quantity) files; no header',
  yoochooseLines,
);

function yoochooseLines(stats: ConversionStats, file: InputFile): LineConverter {
  const rows = new FileRows('yoochoose', stats, file);
  /** fields per row in this file: 4 (clicks) or 5 (buys), from its first data row */
  let width = 0;
  return {
    line(raw, lineNumber, out) {
      if (isBlank(raw)) return;
      rows.next();
      const fields = withoutCr(raw).split(',');
      if (rows.count === 1) {
        if (SHAPES[fields.length] === undefined) return rows.bad(lineNumber, `has ${fields.length} fields, expected 4 (clicks) or 5 (buys)`);
        width = fields.length;
      }
      const [session, time, item] = fields as [string, string, string];
      const ts = fields.length === width ? parseIsoUtc(time) : Number.NaN;
      const problem =
        fields.length !== width ? `has ${fields.length} fields, expected ${width} as the file's first row`
        : !DIGITS.test(session) ? 'has a SessionID that is not a number'
        : item === '' ? 'lacks an ItemID'
        : Number.isNaN(ts) ? 'has a Timestamp that is not ISO 8601 UTC (2014-04-07T10:51:09.277Z)'
        : undefined;
      if (problem !== undefined) return rows.bad(lineNumber, problem);
      if (checkEpochMs(ts) instanceof FieldProblem) return rows.skip(lineNumber, 'timestamp_out_of_range');
      const { type, prefix } = SHAPES[width]!;
      const id = `yc-s${session}`;
      const event: CanonicalEvent = { id: `${prefix}${file.tag}${lineNumber}`, ts, subject: id, session: id, type, item };
      if (width === 4) {
        const category = fields[3]!;
        if (category !== '0' && category !== '') event.category = category;
      } else {
        const priceText = fields[3]!;
        const quantityText = fields[4]!;
        if (!PRICE.test(priceText) || !DIGITS.test(quantityText)) return rows.bad(lineNumber, 'has a Price or Quantity that is not a plain number');
        const price = Number(priceText);
        const quantity = Number(quantityText);
        if (price > MAX_PRICE || quantity > MAX_QUANTITY) return rows.skip(lineNumber, 'price_or_quantity_out_of_range');
        if (price > 0) event.price = price;
        if (quantity > 0) event.quantity = quantity;
      }
      out.push(event);
    },
  };
}
