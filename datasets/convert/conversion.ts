/**
 * What every converter shares: a line-by-line pass over a (possibly gzipped) text file that turns each
 * input line into zero or more canonical events, and counts what it read, wrote and skipped, by reason.
 *
 * Converters are lenient about single bad rows (counted, skipped) but refuse a file whose first data row
 * does not parse at all: that is the wrong file or the wrong `--from`, not a bad row.
 */
import { IobError, type EventType } from '../../engine/index.ts';
import type { CanonicalEvent } from '../canonical-event.ts';
import { flattenBatches } from '../io/flatten.ts';
import { readLineBlocks } from '../io/text-lines.ts';

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
  convert(inputPath: string): Conversion;
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

/** Counts a record left out; `line` is where it starts in the input (header = 1). */
export function countSkip(stats: ConversionStats, reason: string, line: number): void {
  stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1;
  const lines = (stats.skippedLines[reason] ??= []);
  if (lines.length < SKIPPED_LINES_KEPT) lines.push(line);
}

/** Runs a line converter over a file; `start` builds the converter's per-file state. */
export function convertLines(path: string, start: (stats: ConversionStats) => LineConverter): Conversion {
  const stats = emptyStats();
  const source = readLineBlocks(path);

  async function* batches(): AsyncGenerator<CanonicalEvent[]> {
    const converter = start(stats);
    let lineNumber = 1;
    for await (const block of source) {
      const out: CanonicalEvent[] = [];
      let from = 0;
      while (from < block.length) {
        let to = block.indexOf('\n', from);
        if (to === -1) to = block.length;
        converter.line(block.slice(from, to), lineNumber++, out);
        from = to + 1;
      }
      yield count(stats, out);
    }
    const out: CanonicalEvent[] = [];
    converter.end?.(out);
    // An empty file converted to an empty event file would pass for a dataset without events.
    if (stats.rowsRead === 0) {
      throw new IobError('IOB_ERR_VALIDATION', `${path}: the file is empty (no data rows)`, [{ path: 'lines.1', reason: 'empty', message: 'the file is empty (no data rows)' }]);
    }
    yield count(stats, out);
  }

  const events = flattenBatches(batches());
  return {
    [Symbol.asyncIterator]: () => events[Symbol.asyncIterator](),
    stats,
    get bytesRead() {
      return source.bytesRead;
    },
  };
}

function count(stats: ConversionStats, events: CanonicalEvent[]): CanonicalEvent[] {
  stats.events += events.length;
  for (const { type } of events) stats.eventsByType[type] = (stats.eventsByType[type] ?? 0) + 1;
  return events;
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
