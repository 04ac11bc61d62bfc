/**
 * The canonical event: one row of the canonical event file (DESIGN.md, contracts). It is the behavior event
 * without `context`/`properties`, with `ts` already resolved to epoch milliseconds.
 *
 * The field rules here mirror BehaviorEventSchema in engine/event-schema.ts (same limits), so a file that
 * reads cleanly also crosses the ingest boundary. They are hand-written rather than zod because the
 * training-set builder reads millions of rows per second through them.
 *
 * Problems never carry the offending value: it may be a raw identifier.
 */
import { EVENT_TYPES, MAX_PRICE, MAX_QUANTITY, type EventType } from '../engine/index.ts';

export { MAX_PRICE, MAX_QUANTITY };

export interface CanonicalEvent {
  id: string;
  /** event time, epoch ms */
  ts: number;
  subject: string;
  session?: string;
  type: EventType;
  item?: string;
  category?: string;
  price?: number;
  quantity?: number;
}

/** Column order of the canonical file (the writer's order; readers accept any order). */
export const CANONICAL_COLUMNS = ['id', 'ts', 'subject', 'session', 'type', 'item', 'category', 'price', 'quantity'] as const;
export type CanonicalColumn = (typeof CANONICAL_COLUMNS)[number];
export const REQUIRED_COLUMNS: readonly CanonicalColumn[] = ['id', 'ts', 'subject', 'type'];

/**
 * A row as written, before validation: what a file may contain, valid or not. The generator uses it to
 * write deliberately bad rows, which a `CanonicalEvent` cannot express.
 */
export type RawCanonicalRow = { [C in CanonicalColumn]?: string | number };

/** Why a row was rejected: which column, and a reason that never repeats the value. */
export interface RowError {
  /** a canonical column, or `(row)` when the row as a whole is malformed */
  column: string;
  /** machine-readable, e.g. `required`, `invalid_timestamp`, `unknown_type` */
  reason: string;
  message: string;
}

/** One data row of a canonical file: the event, or why the row was rejected. `line` is 1-based (CSV header = 1). */
export type CanonicalRecord = { line: number; event: CanonicalEvent } | { line: number; error: RowError };

export const MAX_ID_LENGTH = 128;
export const MAX_SUBJECT_LENGTH = 256;
/** The largest time a JavaScript Date can hold; anything above is not a timestamp. */
const MAX_EPOCH_MS = 8.64e15;

/**
 * Epoch milliseconds before 1973-03-03: valid, but in behaviour data almost surely Unix seconds read as
 * milliseconds (every window then spans a thousandth of its length). Readers warn; they do not refuse.
 */
export const LIKELY_SECONDS_BELOW_MS = 1e11;

export function likelySecondsWarning(count: number, what: string, firstLine: number): string {
  return `warning: ${count} ${what}${count === 1 ? ' has a ts' : 's have ts'} before 1973 (first at line ${firstLine}): Unix seconds where epoch milliseconds are expected?`;
}

/**
 * A field parser returns the parsed value or one of these. Each problem is a shared constant: rejecting a
 * row allocates nothing, and the message is fixed text, which is how values are kept out of it.
 */
export class FieldProblem {
  constructor(
    readonly reason: string,
    readonly message: string,
  ) {}
}

export const PROBLEMS = {
  required: new FieldProblem('required', 'is required'),
  tooLongId: new FieldProblem('too_long', `is longer than ${MAX_ID_LENGTH} characters`),
  tooLongSubject: new FieldProblem('too_long', `is longer than ${MAX_SUBJECT_LENGTH} characters`),
  notIdentifier: new FieldProblem('invalid_type', 'must be a string or a non-negative integer'),
  timestamp: new FieldProblem('invalid_timestamp', 'is not a timestamp: expected epoch milliseconds (integer) or ISO-8601 with a time zone'),
  timestampNoZone: new FieldProblem('invalid_timestamp', 'is an ISO-8601 time without a time zone: add Z or an offset such as +01:00'),
  timestampRange: new FieldProblem('invalid_timestamp', 'is outside the range of dates'),
  unknownType: new FieldProblem('unknown_type', `is not one of ${EVENT_TYPES.join(', ')}`),
  notNumber: new FieldProblem('invalid_number', 'is not a number'),
  negativePrice: new FieldProblem('too_small', 'must be 0 or more'),
  priceRange: new FieldProblem('out_of_range', `must be at most ${MAX_PRICE.toLocaleString('en-US')}`),
  notInteger: new FieldProblem('invalid_number', 'must be a whole number'),
  quantityRange: new FieldProblem('out_of_range', `must be between 1 and ${MAX_QUANTITY}`),
} as const;

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: string): value is EventType {
  return EVENT_TYPE_SET.has(value);
}

// ---------------------------------------------------------------------------------------------------------
// Text fields (CSV cells, and JSON strings). Empty text means the field is absent.

export function parseIdentifierText(text: string, maxLength: number): string | FieldProblem {
  if (text.length > maxLength) return maxLength === MAX_ID_LENGTH ? PROBLEMS.tooLongId : PROBLEMS.tooLongSubject;
  return text;
}

function isAsciiDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// YYYY-MM-DD, T or space, hh:mm, optional :ss and fraction, then Z or ±hh[:]mm (or nothing, reported apart).
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * ISO-8601 to epoch ms. Parsed by hand because `Date.parse` accepts impossible dates (it reads Feb 30 as
 * Mar 1) and formats that are not ISO at all.
 */
export function parseIsoTimestamp(text: string): number | FieldProblem {
  const m = ISO_TIMESTAMP.exec(text);
  if (m === null) return PROBLEMS.timestamp;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  if (zone === undefined) return PROBLEMS.timestampNoZone;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return PROBLEMS.timestamp;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  let epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls day 31 of a 30-day month over into the next month: that is how we catch it.
  if (new Date(epoch).getUTCDate() !== day) return PROBLEMS.timestamp;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.charCodeAt(0) === 45 /* - */ ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMinutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (offsetHours > 23 || offsetMinutes > 59) return PROBLEMS.timestamp;
    epoch -= sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  if (!(epoch >= 0 && epoch <= MAX_EPOCH_MS)) return PROBLEMS.timestampRange;
  return epoch;
}

/** Epoch milliseconds (digits only) or ISO-8601 with a time zone. */
export function parseTimestampText(text: string): number | FieldProblem {
  if (isAsciiDigits(text)) {
    const epoch = Number(text);
    return epoch <= MAX_EPOCH_MS ? epoch : PROBLEMS.timestampRange;
  }
  return parseIsoTimestamp(text);
}

export function parseTypeText(text: string): EventType | FieldProblem {
  return isEventType(text) ? text : PROBLEMS.unknownType;
}

// Plain decimal notation with an optional exponent; rejects what `Number()` would also accept (hex, Infinity, spaces).
/** A number written in decimal (optionally with an exponent): what readers of text take for one. */
export const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parsePriceText(text: string): number | FieldProblem {
  if (!DECIMAL.test(text)) return PROBLEMS.notNumber;
  return checkPrice(Number(text));
}

export function parseQuantityText(text: string): number | FieldProblem {
  if (isAsciiDigits(text)) return checkQuantity(Number(text));
  if (text.charCodeAt(0) === 45 /* - */ && isAsciiDigits(text.slice(1))) return PROBLEMS.quantityRange;
  // a number written another way (1e308, 3.0): out of range says more than "not a whole number" when it is
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  return Number.isInteger(value) && (value < 1 || value > MAX_QUANTITY) ? PROBLEMS.quantityRange : PROBLEMS.notInteger;
}

// ---------------------------------------------------------------------------------------------------------
// Number checks shared by text and JSON input.

export function checkPrice(price: number): number | FieldProblem {
  if (!Number.isFinite(price)) return PROBLEMS.notNumber;
  if (price === 0) return 0; // also turns -0 into 0
  if (price > MAX_PRICE) return PROBLEMS.priceRange;
  return price > 0 ? price : PROBLEMS.negativePrice;
}

export function checkQuantity(quantity: number): number | FieldProblem {
  if (!Number.isInteger(quantity)) return PROBLEMS.notInteger;
  return quantity >= 1 && quantity <= MAX_QUANTITY ? quantity : PROBLEMS.quantityRange;
}

export function checkEpochMs(ts: number): number | FieldProblem {
  if (!Number.isInteger(ts)) return PROBLEMS.timestamp;
  return ts >= 0 && ts <= MAX_EPOCH_MS ? ts : PROBLEMS.timestampRange;
}

export function rowError(column: string, problem: FieldProblem): RowError {
  return { column, reason: problem.reason, message: problem.message };
}
