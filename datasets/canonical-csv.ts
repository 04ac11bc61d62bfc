/**
 * The CSV form of the canonical event file: a header row naming the columns (any order, extra columns
 * ignored), then one event per record. Empty cells mean absent.
 */
import { EVENT_TYPES, IobError, type EventType } from '../engine/index.ts';
import {
  CANONICAL_COLUMNS,
  FieldProblem,
  MAX_ID_LENGTH,
  MAX_PRICE,
  MAX_QUANTITY,
  MAX_SUBJECT_LENGTH,
  PROBLEMS,
  REQUIRED_COLUMNS,
  parseIdentifierText,
  parsePriceText,
  parseQuantityText,
  parseTimestampText,
  rowError,
  type CanonicalColumn,
  type CanonicalEvent,
  type CanonicalRecord,
  type RawCanonicalRow,
  type RowError,
} from './canonical-event.ts';
import { CsvRecordAssembler, CsvSyntaxError, csvField, separatorHint } from './io/csv.ts';

export const CANONICAL_CSV_HEADER = CANONICAL_COLUMNS.join(',');

/** Where each canonical column sits in a row (-1: not in this file), and how wide rows are. */
type ColumnLayout = { [C in CanonicalColumn]: number } & { width: number };

/** Reads canonical CSV block by block; keeps the header, the line count and any record spanning blocks. */
export class CanonicalCsvDecoder {
  private readonly records = new CsvRecordAssembler();
  private layout: ColumnLayout | undefined;
  /** Reused for every row; sized by the header. */
  private row = new FieldSpans(0);
  private nextLine = 1;
  private blockHasQuotes = false;

  constructor(private readonly path: string) {}

  decode(block: string, out: CanonicalRecord[]): void {
    // Most blocks hold no quote at all, and then every line can take the fast path. The answer is kept
    // in a field on purpose: held in a local, V8's optimizing compiler moved the search into the loop and
    // repeated it for every line (a 20× slowdown on 1 MiB blocks, measured); a field store pins it here.
    this.blockHasQuotes = block.indexOf('"') !== -1;
    const length = block.length;
    // records of the lines that take the careful path (quotes, the header, a cell spanning lines)
    const sink = (fields: string[] | CsvSyntaxError) => this.accept(fields, out);
    let start = 0;
    while (start < length) {
      let end = block.indexOf('\n', start);
      if (end === -1) end = length;
      const line = this.nextLine++;
      const layout = this.layout;
      // The common case: a data line without quotes, not continuing a quoted field, not blank.
      if (layout !== undefined && end - start > 1 && !this.records.continuing && !(this.blockHasQuotes && lineHasQuote(block, start, end))) {
        this.row.splitPlain(block, start, end);
        const event = eventFromSpans(this.row, layout);
        out.push('id' in event ? { line, event } : { line, error: event });
      } else {
        this.records.push(block.slice(start, end), line, sink);
      }
      start = end + 1;
    }
  }

  finish(out: CanonicalRecord[]): void {
    this.records.finish((fields) => this.accept(fields, out));
    if (this.layout === undefined) {
      throw formatError(this.path, 1, 'empty_file', 'the file is empty: a canonical CSV file starts with a header line');
    }
  }

  private accept(fields: string[] | CsvSyntaxError, out: CanonicalRecord[]): void {
    const line = this.records.recordLine;
    if (this.layout === undefined) {
      if (fields instanceof CsvSyntaxError) throw formatError(this.path, line, fields.reason, `the header line is not valid CSV: ${fields.message}`);
      this.layout = layoutFromHeader(this.path, line, fields);
      this.row = new FieldSpans(this.layout.width);
      return;
    }
    if (fields instanceof CsvSyntaxError) {
      out.push({ line, error: { column: '(row)', reason: fields.reason, message: fields.message } });
      return;
    }
    this.row.fromCells(fields);
    const event = eventFromSpans(this.row, this.layout);
    out.push('id' in event ? { line, event } : { line, error: event });
  }
}

function lineHasQuote(block: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (block.charCodeAt(i) === 34 /* " */) return true;
  return false;
}

function layoutFromHeader(path: string, line: number, header: string[]): ColumnLayout {
  const names = header.map((name) => name.trim().toLowerCase());
  const layout = { width: header.length } as ColumnLayout;
  for (const column of CANONICAL_COLUMNS) {
    const index = names.indexOf(column);
    if (index !== -1 && names.indexOf(column, index + 1) !== -1) {
      throw formatError(path, line, 'duplicate_column', `the header names the column ${column} twice`);
    }
    layout[column] = index;
  }
  const missing = REQUIRED_COLUMNS.filter((column) => layout[column] === -1);
  if (missing.length > 0) {
    // The "header" may really be a data row (a file without header): its cells are not repeated here.
    throw formatError(
      path,
      line,
      'missing_columns',
      `the header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; ` +
        `a canonical CSV file starts with a header such as ${CANONICAL_CSV_HEADER}${separatorHint(header)}`,
    );
  }
  return layout;
}

function formatError(path: string, line: number, reason: string, message: string): IobError {
  return new IobError('IOB_ERR_VALIDATION', `${path}: line ${line}: ${message}`, [{ path: `lines.${line}`, reason, message }]);
}

const FIELD_COUNT_MISMATCH = (found: number, expected: number): RowError => ({
  column: '(row)',
  reason: 'field_count',
  message: `has ${found} fields where the header has ${expected}`,
});

/**
 * A row as spans of one string (the block it is in): field i runs from `start(i)` to `ends[i]`.
 * Validating spans instead of split cells saves an array and a string per cell (the reader's budget is
 * about 1 µs per row, and garbage collection was half of it). Only the identifiers become strings.
 */
export class FieldSpans {
  text = '';
  lineStart = 0;
  count = 0;
  readonly ends: Int32Array;

  constructor(capacity: number) {
    this.ends = new Int32Array(capacity);
  }

  /** Splits a line without quotes. Past the capacity, fields are only counted (the row is bad anyway). */
  splitPlain(text: string, lineStart: number, lineEnd: number): void {
    let end = lineEnd;
    if (end > lineStart && text.charCodeAt(end - 1) === 13 /* \r */) end--;
    const ends = this.ends;
    const capacity = ends.length;
    let count = 0;
    let from = lineStart;
    for (;;) {
      const comma = text.indexOf(',', from);
      if (comma === -1 || comma >= end) {
        if (count < capacity) ends[count] = end;
        count++;
        break;
      }
      if (count < capacity) ends[count] = comma;
      count++;
      from = comma + 1;
    }
    this.text = text;
    this.lineStart = lineStart;
    this.count = count;
  }

  /** Takes cells already unquoted by the careful CSV path. */
  fromCells(cells: readonly string[]): void {
    this.count = cells.length;
    if (cells.length > this.ends.length) return;
    let position = -1;
    for (let i = 0; i < cells.length; i++) this.ends[i] = position += (cells[i] as string).length + 1;
    this.text = cells.join(',');
    this.lineStart = 0;
  }

  start(field: number): number {
    return field === 0 ? this.lineStart : (this.ends[field - 1] as number) + 1;
  }

  isEmpty(field: number): boolean {
    return field === -1 || this.start(field) === this.ends[field];
  }

  slice(field: number): string {
    return this.text.slice(this.start(field), this.ends[field]);
  }
}

export function eventFromSpans(row: FieldSpans, layout: ColumnLayout): CanonicalEvent | RowError {
  // A row with too few or too many fields has shifted columns: reading it would misplace identifiers.
  if (row.count !== layout.width) return FIELD_COUNT_MISMATCH(row.count, layout.width);

  if (row.isEmpty(layout.id)) return rowError('id', PROBLEMS.required);
  const id = parseIdentifierText(row.slice(layout.id), MAX_ID_LENGTH);
  if (id instanceof FieldProblem) return rowError('id', id);

  if (row.isEmpty(layout.ts)) return rowError('ts', PROBLEMS.required);
  const ts = timestampAt(row, layout.ts);
  if (ts instanceof FieldProblem) return rowError('ts', ts);

  if (row.isEmpty(layout.subject)) return rowError('subject', PROBLEMS.required);
  const subject = parseIdentifierText(row.slice(layout.subject), MAX_SUBJECT_LENGTH);
  if (subject instanceof FieldProblem) return rowError('subject', subject);

  if (row.isEmpty(layout.type)) return rowError('type', PROBLEMS.required);
  const type = eventTypeAt(row, layout.type);
  if (type === undefined) return rowError('type', PROBLEMS.unknownType);

  const event: CanonicalEvent = { id, ts, subject, type };

  if (!row.isEmpty(layout.session)) {
    const session = parseIdentifierText(row.slice(layout.session), MAX_SUBJECT_LENGTH);
    if (session instanceof FieldProblem) return rowError('session', session);
    event.session = session;
  }
  if (!row.isEmpty(layout.item)) {
    const item = parseIdentifierText(row.slice(layout.item), MAX_ID_LENGTH);
    if (item instanceof FieldProblem) return rowError('item', item);
    event.item = item;
  }
  if (!row.isEmpty(layout.category)) {
    const category = parseIdentifierText(row.slice(layout.category), MAX_ID_LENGTH);
    if (category instanceof FieldProblem) return rowError('category', category);
    event.category = category;
  }
  if (!row.isEmpty(layout.price)) {
    const price = priceAt(row, layout.price);
    if (price instanceof FieldProblem) return rowError('price', price);
    event.price = price;
  }
  if (!row.isEmpty(layout.quantity)) {
    const quantity = quantityAt(row, layout.quantity);
    if (quantity instanceof FieldProblem) return rowError('quantity', quantity);
    event.quantity = quantity;
  }
  return event;
}

// Number fast paths read digits straight from the line; anything unusual goes to the general parser.

/** The value of a span of 1–15 ASCII digits, or -1. (15 digits stay below 2^53, so the sum is exact.) */
function digitsValue(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function timestampAt(row: FieldSpans, field: number): number | FieldProblem {
  const epoch = digitsValue(row.text, row.start(field), row.ends[field] as number);
  return epoch >= 0 ? epoch : parseTimestampText(row.slice(field));
}

function quantityAt(row: FieldSpans, field: number): number | FieldProblem {
  const quantity = digitsValue(row.text, row.start(field), row.ends[field] as number);
  return quantity >= 1 && quantity <= MAX_QUANTITY ? quantity : parseQuantityText(row.slice(field));
}

const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * `digits[.digits]` with at most 15 digits in all. The mantissa and the power of ten are both exact
 * doubles, so their quotient is the correctly rounded value, the same number `Number(text)` gives.
 */
function priceAt(row: FieldSpans, field: number): number | FieldProblem {
  const text = row.text;
  const start = row.start(field);
  const end = row.ends[field] as number;
  let mantissa = 0;
  let digits = 0;
  let point = -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */ && point === -1) {
      point = i;
      continue;
    }
    const digit = c - 48;
    if (digit < 0 || digit > 9 || ++digits > 15) return parsePriceText(row.slice(field));
    mantissa = mantissa * 10 + digit;
  }
  if (digits === 0) return parsePriceText(row.slice(field));
  const price = point === -1 ? mantissa : mantissa / (POWERS_OF_TEN[end - point - 1] as number);
  return price <= MAX_PRICE ? price : PROBLEMS.priceRange;
}

/**
 * Event types keyed by length, first and last character: distinct for every type, so one lookup and one
 * comparison match a span without making a string of it.
 */
function typeKey(length: number, first: number, last: number): number {
  return (length << 16) | (first << 8) | last;
}
const EVENT_TYPE_BY_KEY = new Map<number, EventType>();
for (const type of EVENT_TYPES) {
  const key = typeKey(type.length, type.charCodeAt(0), type.charCodeAt(type.length - 1));
  if (EVENT_TYPE_BY_KEY.has(key)) throw new Error(`event types ${type} and ${EVENT_TYPE_BY_KEY.get(key)} share a lookup key`);
  EVENT_TYPE_BY_KEY.set(key, type);
}

function eventTypeAt(row: FieldSpans, field: number): EventType | undefined {
  const text = row.text;
  const start = row.start(field);
  const end = row.ends[field] as number;
  const type = EVENT_TYPE_BY_KEY.get(typeKey(end - start, text.charCodeAt(start), text.charCodeAt(end - 1)));
  return type !== undefined && text.startsWith(type, start) ? type : undefined;
}

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'number' ? String(value) : csvField(value);
}

/** One CSV line (with its `\n`) in canonical column order. */
export function canonicalCsvLine(row: RawCanonicalRow): string {
  return (
    `${csvCell(row.id)},${csvCell(row.ts)},${csvCell(row.subject)},${csvCell(row.session)},${csvCell(row.type)},` +
    `${csvCell(row.item)},${csvCell(row.category)},${csvCell(row.price)},${csvCell(row.quantity)}\n`
  );
}
