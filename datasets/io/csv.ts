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
  recordTooLong: new CsvSyntaxError('record_too_long', 'a quoted field runs on for too many lines (missing closing quote?)'),
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

/**
 * Assembles records from consecutive lines. `push` returns the record's fields, a syntax error, or
 * `undefined` when there is no record yet (a blank line, or a quoted field that continues on the next line).
 * `recordLine` is the line the returned record started on.
 */
export class CsvRecordAssembler {
  private pending: string | undefined;
  private pendingSince = 0;
  recordLine = 0;

  /** True while a quoted field is open: the next line continues the record. */
  get continuing(): boolean {
    return this.pending !== undefined;
  }

  push(line: string, lineNumber: number): string[] | CsvSyntaxError | undefined {
    if (this.pending === undefined) {
      if (line.length === 0 || (line.length === 1 && line.charCodeAt(0) === CR)) return undefined;
      this.recordLine = lineNumber;
      const fields = splitRecord(line);
      if (fields !== CONTINUES) return fields;
      this.pending = line;
      this.pendingSince = lineNumber;
      return undefined;
    }
    const text = `${this.pending}\n${line}`;
    const fields = splitRecord(text);
    if (fields !== CONTINUES) {
      this.pending = undefined;
      this.recordLine = this.pendingSince;
      return fields;
    }
    if (text.length > MAX_RECORD_CHARS) {
      // Give up on this record and resynchronize on the next line.
      this.pending = undefined;
      this.recordLine = this.pendingSince;
      return CSV_ERRORS.recordTooLong;
    }
    this.pending = text;
    return undefined;
  }

  /** At end of input: an error if a quoted field was left open, else `undefined`. */
  finish(): CsvSyntaxError | undefined {
    if (this.pending === undefined) return undefined;
    this.pending = undefined;
    this.recordLine = this.pendingSince;
    return CSV_ERRORS.unterminatedQuote;
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
