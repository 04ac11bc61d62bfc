/**
 * The JSON Lines form of the canonical event file: one JSON object per line, keys as the CSV columns.
 * `null` and missing keys mean absent; other keys are ignored. Identifiers may be strings or non-negative
 * integers (as the event schema allows); `ts` a number (epoch ms) or a string (epoch ms or ISO-8601).
 */
import { IobError } from '../engine/index.ts';
import {
  CANONICAL_COLUMNS,
  FieldProblem,
  MAX_ID_LENGTH,
  MAX_SUBJECT_LENGTH,
  PROBLEMS,
  checkEpochMs,
  checkPrice,
  checkQuantity,
  isEventType,
  parseIdentifierText,
  parseTimestampText,
  rowError,
  type CanonicalEvent,
  type CanonicalRecord,
  type RawCanonicalRow,
  type RowError,
} from './canonical-event.ts';

const NOT_JSON: RowError = { column: '(row)', reason: 'malformed_json', message: 'is not valid JSON' };
const NOT_OBJECT: RowError = { column: '(row)', reason: 'not_an_object', message: 'is not a JSON object' };

const BLANK = /^\s*$/;

export class CanonicalJsonlDecoder {
  private sawRecord = false;
  private nextLine = 1;

  constructor(private readonly path: string) {}

  decode(block: string, out: CanonicalRecord[]): void {
    const length = block.length;
    let start = 0;
    while (start < length) {
      let end = block.indexOf('\n', start);
      if (end === -1) end = length;
      const line = this.nextLine++;
      const text = block.slice(start, end);
      start = end + 1;
      // Blank lines are skipped; only a line starting with whitespace can be blank, so test only those.
      if (text.length === 0 || (text.charCodeAt(0) <= 32 && BLANK.test(text))) continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // The first line decides whether this is JSON Lines at all (a CSV named .jsonl, say): then stop.
        // Later, one bad line is a bad row like any other.
        if (!this.sawRecord) {
          const message = 'is not valid JSON: a canonical .jsonl file holds one JSON object per line';
          throw new IobError('IOB_ERR_VALIDATION', `${this.path}: line ${line} ${message}`, [
            { path: `lines.${line}`, reason: 'malformed_json', message },
          ]);
        }
        out.push({ line, error: NOT_JSON });
        continue;
      }
      this.sawRecord = true;
      const event = eventFromJson(value);
      out.push('id' in event ? { line, event } : { line, error: event });
    }
  }

  finish(_out: CanonicalRecord[]): void {}
}

function identifierFromJson(value: unknown, maxLength: number): string | FieldProblem | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return parseIdentifierText(value, maxLength);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return PROBLEMS.notIdentifier;
}

function timestampFromJson(value: unknown): number | FieldProblem | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return checkEpochMs(value);
  if (typeof value === 'string') return parseTimestampText(value);
  return PROBLEMS.timestamp;
}

export function eventFromJson(value: unknown): CanonicalEvent | RowError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return NOT_OBJECT;
  const o = value as Record<string, unknown>;

  const id = identifierFromJson(o.id, MAX_ID_LENGTH);
  if (id === undefined) return rowError('id', PROBLEMS.required);
  if (id instanceof FieldProblem) return rowError('id', id);

  const ts = timestampFromJson(o.ts);
  if (ts === undefined) return rowError('ts', PROBLEMS.required);
  if (ts instanceof FieldProblem) return rowError('ts', ts);

  const subject = identifierFromJson(o.subject, MAX_SUBJECT_LENGTH);
  if (subject === undefined) return rowError('subject', PROBLEMS.required);
  if (subject instanceof FieldProblem) return rowError('subject', subject);

  const type = o.type;
  if (type === undefined || type === null || type === '') return rowError('type', PROBLEMS.required);
  if (typeof type !== 'string' || !isEventType(type)) return rowError('type', PROBLEMS.unknownType);

  const event: CanonicalEvent = { id, ts, subject, type };

  const session = identifierFromJson(o.session, MAX_SUBJECT_LENGTH);
  if (session instanceof FieldProblem) return rowError('session', session);
  if (session !== undefined) event.session = session;

  const item = identifierFromJson(o.item, MAX_ID_LENGTH);
  if (item instanceof FieldProblem) return rowError('item', item);
  if (item !== undefined) event.item = item;

  const category = identifierFromJson(o.category, MAX_ID_LENGTH);
  if (category instanceof FieldProblem) return rowError('category', category);
  if (category !== undefined) event.category = category;

  if (o.price !== undefined && o.price !== null) {
    const price = typeof o.price === 'number' ? checkPrice(o.price) : PROBLEMS.notNumber;
    if (price instanceof FieldProblem) return rowError('price', price);
    event.price = price;
  }
  if (o.quantity !== undefined && o.quantity !== null) {
    const quantity = typeof o.quantity === 'number' ? checkQuantity(o.quantity) : PROBLEMS.notInteger;
    if (quantity instanceof FieldProblem) return rowError('quantity', quantity);
    event.quantity = quantity;
  }
  return event;
}

/** One JSON line (with its `\n`), keys in canonical column order, absent fields left out. */
export function canonicalJsonLine(row: RawCanonicalRow): string {
  const ordered: RawCanonicalRow = {};
  for (const column of CANONICAL_COLUMNS) {
    const value = row[column];
    if (value !== undefined) ordered[column] = value;
  }
  return `${JSON.stringify(ordered)}\n`;
}
