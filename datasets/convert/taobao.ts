/**
 * Taobao UserBehavior (Alibaba Tianchi) → canonical events.
 *
 * Input: CSV without header, `user_id,item_id,category_id,behavior_type,timestamp` (Unix seconds, UTC),
 * behavior `pv` | `cart` | `fav` | `buy`. Ids are kept as they are. The data has no sessions: `session` is
 * left empty and the engine sessionizes by its 30-minute inactivity gap. Event ids are `tb-<line>`
 * (`tb-<k>.<line>` for the k-th of several inputs, e.g. the full set's parts).
 */
import type { EventType } from '../../engine/index.ts';
import { checkEpochMs, FieldProblem, type CanonicalEvent } from '../canonical-event.ts';
import { FileRows, isBlank, lineConverter, withoutCr, type ConversionStats, type InputFile, type LineConverter } from './conversion.ts';

const TYPE_OF_BEHAVIOR: Readonly<Record<string, EventType>> = { pv: 'view', cart: 'cart_add', fav: 'favorite', buy: 'purchase' };

const DIGITS = /^\d{1,15}$/;

export const taobaoConverter = lineConverter('taobao', 'Taobao UserBehavior CSV (user,item,category,behavior,timestamp in seconds; no header)', taobaoLines);

function taobaoLines(stats: ConversionStats, file: InputFile): LineConverter {
  const rows = new FileRows('taobao', stats, file);
  return {
    line(raw, lineNumber, out) {
      if (isBlank(raw)) return;
      rows.next();
      const fields = withoutCr(raw).split(',');
      const [user, item, category, behavior, seconds] = fields as [string, string, string, string, string];
      const problem =
        fields.length !== 5 ? `has ${fields.length} fields, expected 5`
        : user === '' || item === '' ? 'lacks a user or item id'
        : !DIGITS.test(seconds) ? 'has a timestamp that is not Unix seconds'
        : undefined;
      if (problem !== undefined) return rows.bad(lineNumber, problem);
      const type = TYPE_OF_BEHAVIOR[behavior];
      if (type === undefined) return rows.bad(lineNumber, 'has a behavior other than pv, cart, fav, buy', 'unknown_behavior');
      const ts = Number(seconds) * 1000;
      // digits, but past the dates an event file may hold: the canonical reader would refuse the row
      if (checkEpochMs(ts) instanceof FieldProblem) return rows.skip(lineNumber, 'timestamp_out_of_range');
      const event: CanonicalEvent = { id: `tb-${file.tag}${lineNumber}`, ts, subject: user, type, item };
      if (category !== '') event.category = category;
      out.push(event);
    },
  };
}
