/**
 * CSV records (RFC 4180) from lines, and CSV quoting for writers.
 *
 * Hand-rolled for speed: nearly every line of a behavior log has no quote at all, and for those a
 * `String.prototype.split(',')` is the whole job. Lines with quotes take the careful path: quoted fields may
 * hold commas, doubled quotes and line breaks (a record then spans several lines).
 *
 * Lenient in one way, as most readers are: a quote inside an unquoted field (`5" nails`) is kept literally.
 */

const QUOTE = 34;
const COMMA = 44;
const CR = 13;

/** Why a line could not be split. Constants: the message is fixed text and never repeats the line. */
export class CsvSyntaxError {
  constructor(
    readonly reason: string,
    readonly message: string,
  ) {}
}

export const CSV_ERRORS = {
  unterminatedQuote: new CsvSyntaxError('unterminated_quote', 'a quoted field is never closed'),
  textAfterQuote: new CsvSyntaxError('text_after_quote', 'a quoted field is followed by text other than a comma'),
} as const;

/** Signals that the text ended inside a quoted field: the record continues on the next line. */
const CONTINUES = Symbol('continues');

/** A quoted value may span lines, but not without limit: an unbalanced quote would otherwise swallow the file. */
const MAX_RECORD_CHARS = 1 << 20;

function withoutTrailingCr(text: string): string {
  return text.charCodeAt(text.length - 1) === CR ? text.slice(0, -1) : text;
}

/** Splits one complete record. The text may end in `\r` (CRLF files); that is not part of the last field. */
export function splitCsvRecord(text: string): string[] | CsvSyntaxError {
  const fields = splitRecord(text);
  return fields === CONTINUES ? CSV_ERRORS.unterminatedQuote : fields;
}

function splitRecord(text: string): string[] | CsvSyntaxError | typeof CONTINUES {
  if (text.indexOf('"') === -1) return withoutTrailingCr(text).split(',');

  const fields: string[] = [];
  const end = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) return CONTINUES;
        if (text.charCodeAt(quote + 1) === QUOTE) {
          value += text.slice(from, quote + 1); // "" is one literal quote
          from = quote + 2;
          continue;
        }
        value += text.slice(from, quote);
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === end || (i === end - 1 && text.charCodeAt(i) === CR)) return fields;
      if (text.charCodeAt(i) !== COMMA) return CSV_ERRORS.textAfterQuote;
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(withoutTrailingCr(text.slice(i)));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Receives each record: its fields or why it could not be split, and the line it started on. */
export type CsvRecordSink = (fields: string[] | CsvSyntaxError, recordLine: number) => void;

/**
 * Assembles records from consecutive lines and hands each to a sink (a blank line is no record; a quoted
 * field that continues on the next line holds its record back). `recordLine` is the line the record being
 * emitted started on.
 *
 * A stray quote must cost one row, not the rows after it. A record spanning lines that turns out malformed
 * (its quote "closed" by another row's quote, with text after it), that grows past MAX_RECORD_CHARS, or that
 * is still open at the end of input, is taken for a stray quote on its first line: that line is the bad
 * record (`unterminated_quote`) and the lines it had taken in are read again as rows of their own.
 */
export class CsvRecordAssembler {
  private pending: string | undefined;
  private pendingSince = 0;
  /** the lines of the open record, as they came (to read again if its first line's quote was stray) */
  private pendingLines: string[] = [];
  recordLine = 0;

  /** True while a quoted field is open: the next line continues the record. */
  get continuing(): boolean {
    return this.pending !== undefined;
  }

  push(line: string, lineNumber: number, emit: CsvRecordSink): void {
    if (this.pending === undefined) {
      if (line.length === 0 || (line.length === 1 && line.charCodeAt(0) === CR)) return;
      const fields = splitRecord(line);
      if (fields !== CONTINUES) {
        this.recordLine = lineNumber;
        emit(fields, lineNumber);
        return;
      }
      this.pending = line;
      this.pendingSince = lineNumber;
      this.pendingLines = [line];
      return;
    }
    const text = `${this.pending}\n${line}`;
    const fields = splitRecord(text);
    if (fields === CONTINUES && text.length <= MAX_RECORD_CHARS) {
      this.pending = text;
      this.pendingLines.push(line);
      return;
    }
    if (fields !== CONTINUES && !(fields instanceof CsvSyntaxError)) {
      this.pending = undefined;
      this.pendingLines = [];
      this.recordLine = this.pendingSince;
      emit(fields, this.pendingSince);
      return;
    }
    this.pendingLines.push(line);
    this.strayQuote(emit);
  }

  /** At end of input: a quoted field still open never closes (see the class comment). */
  finish(emit: CsvRecordSink): void {
    while (this.pending !== undefined) this.strayQuote(emit);
  }

  /** The open record's first line is bad; its other lines are read again. */
  private strayQuote(emit: CsvRecordSink): void {
    const lines = this.pendingLines;
    const since = this.pendingSince;
    this.pending = undefined;
    this.pendingLines = [];
    this.recordLine = since;
    emit(CSV_ERRORS.unterminatedQuote, since);
    for (let i = 1; i < lines.length; i++) this.push(lines[i]!, since + i, emit);
  }
}

const NEEDS_QUOTES = /[",\r\n]/;

/** A value as a CSV field: quoted (quotes doubled) only when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Why a header that lacks expected columns may still be the right file: a header read as one column that
 * holds `;` or tabs is a file separated by those (Excel writes `;` where `,` is the decimal mark). Returns
 * the hint to append to the error ('' when there is none).
 */
export function separatorHint(header: readonly string[]): string {
  if (header.length !== 1) return '';
  const cell = header[0]!;
  const separator = cell.includes(';') ? "';'" : cell.includes('\t') ? 'tabs' : undefined;
  return separator === undefined ? '' : ` (the header reads as one column: the file is separated by ${separator}; these files are separated by ',')`;
}
