/**
 * The session-rec / GRU4Rec interchange format → canonical events: the preprocessed files that
 * session-based recommendation code passes around (`rsc15_train_full.txt`, `train.csv` of session-rec's
 * data folders for YOOCHOOSE, DIGINETICA, RetailRocket, Tmall …).
 *
 * Input: a header naming `SessionId`, `ItemId` and `Time` (any order, other columns ignored; `UserId` is
 * used when present), separated by tabs or commas (told by the header). `Time` is Unix seconds, with or
 * without a fraction (`1396839069.277`); a value of 1e11 or more is taken as epoch milliseconds. Every
 * row is a `view` (these files hold the clicks the models learn from).
 *
 * - Session = `sr-s<SessionId>`; subject = the row's UserId when the file has that column and the row a
 *   value, else the session.
 * - Event ids are `sr-<line>` (`sr-<k>.<line>` for the k-th of several inputs, e.g. train and test).
 */
import { checkEpochMs, FieldProblem, type CanonicalEvent } from '../canonical-event.ts';
import { FileRows, headerColumns, isBlank, lineConverter, missingHeader, withoutCr, type ConversionStats, type InputFile, type LineConverter } from './conversion.ts';

const REQUIRED = ['SessionId', 'ItemId', 'Time'] as const;
/** Unix seconds with an optional fraction, or integer milliseconds. */
const TIME = /^\d{1,16}(\.\d+)?$/;
/** Times at or above this are epoch milliseconds (1e11 s is the year 5138). */
const MS_FROM = 1e11;

export const sessionRecConverter = lineConverter(
  'session-rec',
  'session-rec / GRU4Rec files (header SessionId, ItemId, Time in Unix seconds, optional UserId; tab or comma separated)',
  sessionRecLines,
);

function sessionRecLines(stats: ConversionStats, file: InputFile): LineConverter {
  let columns: Record<(typeof REQUIRED)[number], number> | undefined;
  let user = -1;
  let separator = '\t';
  let width = 0;
  const rows = new FileRows('session-rec', stats, file);
  return {
    line(raw, lineNumber, out) {
      if (isBlank(raw)) return;
      const text = withoutCr(raw);
      if (columns === undefined) {
        separator = text.includes('\t') ? '\t' : ',';
        const names = text.split(separator);
        columns = headerColumns(names, REQUIRED, 'session-rec', file.path, lineNumber, 'tabs or commas');
        user = names.findIndex((name) => name.trim() === 'UserId');
        width = names.length;
        return;
      }
      rows.next();
      const fields = text.split(separator);
      const session = fields[columns.SessionId]!;
      const item = fields[columns.ItemId]!;
      const time = fields[columns.Time]!;
      const problem =
        fields.length !== width ? `has ${fields.length} fields, expected ${width} as in the header`
        : session === '' || item === '' ? 'lacks a SessionId or ItemId'
        : !TIME.test(time) ? 'has a Time that is not Unix seconds'
        : undefined;
      if (problem !== undefined) return rows.bad(lineNumber, problem);
      const value = Number(time);
      const ts = Math.round(value >= MS_FROM ? value : value * 1000);
      if (checkEpochMs(ts) instanceof FieldProblem) return rows.skip(lineNumber, 'timestamp_out_of_range');
      const sessionId = `sr-s${session}`;
      const userId = user >= 0 ? fields[user]! : '';
      const event: CanonicalEvent = { id: `sr-${file.tag}${lineNumber}`, ts, subject: userId === '' ? sessionId : userId, session: sessionId, type: 'view', item };
      out.push(event);
    },
    end() {
      if (columns === undefined) throw missingHeader('session-rec', file, REQUIRED);
    },
  };
}
