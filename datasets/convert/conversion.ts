/**
 * What every converter shares: a line-by-line pass over one or more (possibly gzipped) text files that turns
 * each input line into zero or more canonical events, and counts what it read, wrote and skipped, by reason.
 *
 * Converters are lenient about single bad rows (counted, skipped) but refuse a file whose first data row
 * does not parse at all: that is the wrong file or the wrong `--from`, not a bad row.
 *
 * Several inputs (a dataset published as clicks and buys, or views and purchases, or in parts) are read one
 * after the other into one event stream, each with its own converter state, so each file is judged by its
 * own first row and header. Event ids are made from line numbers, so with several inputs each file's ids
 * carry its position (`InputFile.tag`) and stay unique across them.
 */
import { basename } from 'node:path';
import { IobError, type EventType } from '../../engine/index.ts';
import { MAX_ID_LENGTH, MAX_SUBJECT_LENGTH, type CanonicalEvent } from '../canonical-event.ts';
import { flattenBatches } from '../io/flatten.ts';
import { readLineBlocks, type LineBlockSource } from '../io/text-lines.ts';

export interface ConversionStats {
  /** input records read: data rows, or sessions for OTTO (one JSON line each) */
  rowsRead: number;
  /** canonical events produced */
  events: number;
  eventsByType: Partial<Record<EventType, number>>;
  /** input records (or OTTO events) left out, by reason */
  skipped: Record<string, number>;
  /** the first lines (up to SKIPPED_LINES_KEPT) of the records left out, by reason: where to look */
  skippedLines: Record<string, number[]>;
}

export const SKIPPED_LINES_KEPT = 5;

/** A running conversion: iterate it for the events (file order); `stats` fills in as it goes. */
export interface Conversion extends AsyncIterable<CanonicalEvent> {
  readonly stats: ConversionStats;
  /** bytes of the input read so far (compressed bytes for .gz), for progress against the file size */
  readonly bytesRead: number;
}

export interface Converter {
  readonly name: string;
  readonly description: string;
  /** one input file, or several read in turn into one stream */
  convert(input: string | readonly string[]): Conversion;
}

/** One input of a conversion. */
export interface InputFile {
  path: string;
  /**
   * What this file's event ids carry so that ids stay unique across inputs: '' for a single input (the
   * ids a one-file conversion always had), `<k>.` for the k-th of several (1-based).
   */
  tag: string;
  /** how skip reasons name the file when there are several: its base name, or the path as given when two share one */
  name: string;
}

/** A converter that reads its files line by line (all of them): `start` builds its state for one file. */
export function lineConverter(name: string, description: string, start: (stats: ConversionStats, file: InputFile) => LineConverter): Converter {
  return { name, description, convert: (input) => convertLines(input, start) };
}

/**
 * One file's data rows as a converter judges them: counted (in the stats and per file), and a bad one
 * either refused or skipped. The file's first data row failing to parse means the wrong file or the wrong
 * `--from`, so the conversion stops there; a later bad row is skipped and counted by reason.
 */
export class FileRows {
  /** data rows of this file so far */
  count = 0;

  constructor(
    private readonly converter: string,
    private readonly stats: ConversionStats,
    readonly file: InputFile,
  ) {}

  /** Call once per data row, before judging it. */
  next(): void {
    this.stats.rowsRead++;
    this.count++;
  }

  /** A row that does not parse as `problem` says: refused at the file's first row, else skipped as `reason`. */
  bad(line: number, problem: string, reason = 'malformed_row'): void {
    if (this.count === 1) throw wrongFormat(this.converter, this.file.path, line, problem);
    countSkip(this.stats, reason, line, this.file);
  }

  /** A row that parses but is left out (a value out of range), wherever it is. */
  skip(line: number, reason: string): void {
    countSkip(this.stats, reason, line, this.file);
  }
}

/** The per-file state of one conversion: takes the input line by line. */
export interface LineConverter {
  /** `text` is the raw line without its `\n` (a CRLF file leaves a `\r` at the end). */
  line(text: string, lineNumber: number, out: CanonicalEvent[]): void;
  /** Called once after the last line. */
  end?(out: CanonicalEvent[]): void;
}

export function emptyStats(): ConversionStats {
  return { rowsRead: 0, events: 0, eventsByType: {}, skipped: {}, skippedLines: {} };
}

/**
 * Counts a record left out; `line` is where it starts in its file (header = 1). With several inputs the
 * reason names the file (`buys.dat: malformed_row`), so the lines kept point into the right one.
 */
export function countSkip(stats: ConversionStats, reason: string, line: number, file?: InputFile): void {
  const key = file !== undefined && file.tag !== '' ? `${file.name}: ${reason}` : reason;
  stats.skipped[key] = (stats.skipped[key] ?? 0) + 1;
  const lines = (stats.skippedLines[key] ??= []);
  if (lines.length < SKIPPED_LINES_KEPT) lines.push(line);
}

/**
 * Runs a line converter over each input file in turn; `start` builds the converter's state for one file.
 * A file without a single data row is refused, naming it: converted to nothing, it would pass for a dataset
 * without events.
 */
export function convertLines(input: string | readonly string[], start: (stats: ConversionStats, file: InputFile) => LineConverter): Conversion {
  const paths = typeof input === 'string' ? [input] : [...input];
  if (paths.length === 0) throw new RangeError('a conversion needs at least one input file');
  const stats = emptyStats();
  let bytesOfDoneFiles = 0;
  let source: LineBlockSource | undefined;

  const names = paths.map((path) => basename(path));
  const namesRepeat = new Set(names).size < names.length;

  async function* batches(): AsyncGenerator<CanonicalEvent[]> {
    for (const [index, path] of paths.entries()) {
      const file: InputFile = { path, tag: paths.length === 1 ? '' : `${index + 1}.`, name: namesRepeat ? path : names[index]! };
      const converter = start(stats, file);
      const rowsBefore = stats.rowsRead;
      source = readLineBlocks(path);
      let lineNumber = 1;
      for await (const block of source) {
        const out: CanonicalEvent[] = [];
        let from = 0;
        while (from < block.length) {
          let to = block.indexOf('\n', from);
          if (to === -1) to = block.length;
          const before = out.length;
          converter.line(block.slice(from, to), lineNumber, out);
          if (out.length > before) dropOverlong(out, before, stats, lineNumber, file);
          lineNumber++;
          from = to + 1;
        }
        yield count(stats, out);
      }
      const out: CanonicalEvent[] = [];
      converter.end?.(out);
      if (stats.rowsRead === rowsBefore) {
        const why = 'no data rows: the file is empty, or holds a header only';
        throw new IobError('IOB_ERR_VALIDATION', `${path}: ${why}`, [{ path: 'lines.1', reason: 'empty', message: why }]);
      }
      bytesOfDoneFiles += source.bytesRead;
      source = undefined;
      yield count(stats, out);
    }
  }

  const events = flattenBatches(batches());
  return {
    [Symbol.asyncIterator]: () => events[Symbol.asyncIterator](),
    stats,
    get bytesRead() {
      return bytesOfDoneFiles + (source?.bytesRead ?? 0);
    },
  };
}

/**
 * Events of one input line whose identifiers exceed the canonical limits (ids, items and categories 128
 * characters, subjects and sessions 256, prefixes included) are left out and counted here, for every
 * converter: written, the canonical reader would refuse the row later, far from its source line.
 */
function dropOverlong(out: CanonicalEvent[], from: number, stats: ConversionStats, line: number, file: InputFile): void {
  let kept = from;
  for (let i = from; i < out.length; i++) {
    const e = out[i]!;
    const overlong =
      e.id.length > MAX_ID_LENGTH ||
      e.subject.length > MAX_SUBJECT_LENGTH ||
      (e.session?.length ?? 0) > MAX_SUBJECT_LENGTH ||
      (e.item?.length ?? 0) > MAX_ID_LENGTH ||
      (e.category?.length ?? 0) > MAX_ID_LENGTH;
    if (overlong) countSkip(stats, 'identifier_too_long', line, file);
    else out[kept++] = e;
  }
  out.length = kept;
}

function count(stats: ConversionStats, events: CanonicalEvent[]): CanonicalEvent[] {
  stats.events += events.length;
  for (const { type } of events) stats.eventsByType[type] = (stats.eventsByType[type] ?? 0) + 1;
  return events;
}

/**
 * Column positions by name from a header row (names trimmed, any order, extra columns allowed); throws
 * `wrongFormat` naming the required columns it lacks.
 */
export function headerColumns<C extends string>(fields: readonly string[], required: readonly C[], converter: string, path: string, line: number, separator: string): Record<C, number> {
  const names = fields.map((name) => name.trim());
  const found = {} as Record<C, number>;
  for (const column of required) found[column] = names.indexOf(column);
  const missing = required.filter((column) => found[column] === -1);
  if (missing.length > 0) {
    // One column holding every name: the file is separated by something else.
    const oneColumn = fields.length === 1 && required.length > 1 ? ` (it reads as one column: are its names separated by ${separator}?)` : '';
    throw wrongFormat(converter, path, line, `is a header without ${missing.join(', ')}${oneColumn}`);
  }
  return found;
}

/** What a converter whose files start with a header says of a file without one (empty or blank). */
export function missingHeader(converter: string, file: InputFile, required: readonly string[]): IobError {
  return wrongFormat(converter, file.path, 1, `is missing: the file is empty; expected a header naming ${required.join(', ')}`);
}

/** The error for a file that is not in the converter's format at all (judged by its first data row). */
export function wrongFormat(converter: string, path: string, lineNumber: number, why: string): IobError {
  return new IobError('IOB_ERR_VALIDATION', `${path}: does not look like ${converter} input: line ${lineNumber} ${why}`, [
    { path: `lines.${lineNumber}`, reason: 'wrong_format', message: why },
  ]);
}

export function withoutCr(text: string): string {
  return text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
}

export function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}
