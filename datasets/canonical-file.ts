/**
 * The canonical event file (DESIGN.md, contracts): what every training and evaluation command reads and
 * what the converters and the generator write. CSV (`.csv`) or JSON Lines (`.jsonl`, `.ndjson`), gzipped
 * when the name ends in `.gz`; columns `id,ts,subject,session,type,item,category,price,quantity`.
 *
 * Reading is streaming and fast (large chunks, a hand-rolled CSV splitter, batches instead of an await per
 * row); bad rows are reported with line and column, never with their value.
 */
import { IobError } from '../engine/index.ts';
import { CanonicalCsvDecoder, CANONICAL_CSV_HEADER, canonicalCsvLine } from './canonical-csv.ts';
import type { CanonicalEvent, CanonicalRecord, RawCanonicalRow } from './canonical-event.ts';
import { CanonicalJsonlDecoder, canonicalJsonLine } from './canonical-jsonl.ts';
import { flattenBatches } from './io/flatten.ts';
import { openTextSink, type TextSink } from './io/text-sink.ts';
import { DEFAULT_CHUNK_BYTES, readLineBlocks } from './io/text-lines.ts';

export {
  CANONICAL_COLUMNS,
  REQUIRED_COLUMNS,
  type CanonicalColumn,
  type CanonicalEvent,
  type CanonicalRecord,
  type RawCanonicalRow,
  type RowError,
} from './canonical-event.ts';

export type CanonicalFormat = 'csv' | 'jsonl';

const FORMAT_BY_EXTENSION: Record<string, CanonicalFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** The format a path names by its extension (`.gz` aside); throws a validation error for anything else. */
export function canonicalFormatOf(path: string): CanonicalFormat {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  const extension = name.slice(name.lastIndexOf('.'));
  const format = FORMAT_BY_EXTENSION[extension];
  if (format === undefined) {
    throw new IobError('IOB_ERR_VALIDATION', `${path}: unsupported file name; use .csv, .jsonl or .ndjson, optionally followed by .gz`, [
      { path: 'file', reason: 'unsupported_format', message: 'the file name must end in .csv, .jsonl or .ndjson (optionally .gz)' },
    ]);
  }
  return format;
}

export interface ReadCanonicalOptions {
  /** Throw at the first bad row (an IobError naming line and column) instead of yielding it. */
  strict?: boolean;
  /** Bytes read per chunk; the default (256 KiB) measured fastest. */
  chunkBytes?: number;
}

/**
 * The records of a canonical file in batches (one per chunk read): the fastest way through a large file.
 * A file in the wrong format (no CSV header with id,ts,subject,type; a first JSONL line that is not JSON;
 * an unreadable file) throws an IobError with code IOB_ERR_VALIDATION.
 */
export async function* readCanonicalBatches(path: string, options: ReadCanonicalOptions = {}): AsyncGenerator<CanonicalRecord[]> {
  const decoder = canonicalFormatOf(path) === 'csv' ? new CanonicalCsvDecoder(path) : new CanonicalJsonlDecoder(path);
  for await (const block of readLineBlocks(path, options.chunkBytes ?? DEFAULT_CHUNK_BYTES)) {
    const records: CanonicalRecord[] = [];
    decoder.decode(block, records);
    if (options.strict) throwOnFirstError(path, records);
    if (records.length > 0) yield records;
  }
  const last: CanonicalRecord[] = [];
  decoder.finish(last);
  if (options.strict) throwOnFirstError(path, last);
  if (last.length > 0) yield last;
}

/**
 * The records of a canonical file one by one: `{ line, event }` for a good row, `{ line, error }` for a
 * bad one (with `strict`, the first bad row throws instead).
 */
export function readCanonicalEvents(path: string, options: ReadCanonicalOptions = {}): AsyncIterable<CanonicalRecord> {
  return flattenBatches(readCanonicalBatches(path, options));
}

function throwOnFirstError(path: string, records: readonly CanonicalRecord[]): void {
  for (const record of records) {
    if ('error' in record) {
      const { line, error } = record;
      const message = `${error.column} ${error.message}`;
      throw new IobError('IOB_ERR_VALIDATION', `${path}: line ${line}: ${message}`, [
        { path: `lines.${line}.${error.column}`, reason: error.reason, message },
      ]);
    }
  }
}

export interface CanonicalWriter {
  /**
   * Appends an event. The promise is already resolved unless the output is behind; awaiting every write
   * keeps memory bounded however fast events come.
   */
  write(event: CanonicalEvent): Promise<void>;
  /** Appends a row as given, valid or not (the generator's deliberately bad rows). */
  writeRow(row: RawCanonicalRow): Promise<void>;
  /** Finishes the file; only now does it appear under its name. */
  close(): Promise<void>;
  /** Gives up and removes the partial file. */
  abort(): Promise<void>;
  /** Rows written so far (events and raw rows). */
  readonly rowsWritten: number;
}

/** A canonical file writer, format by extension, gzip when the name ends in `.gz`. */
export function createCanonicalWriter(path: string): CanonicalWriter {
  const format = canonicalFormatOf(path);
  const formatRow = format === 'csv' ? canonicalCsvLine : canonicalJsonLine;
  const sink: TextSink = openTextSink(path);
  let rowsWritten = 0;
  const header = format === 'csv' ? sink.write(`${CANONICAL_CSV_HEADER}\n`) : Promise.resolve();
  header.catch(() => undefined); // a failure here resurfaces on the next write or on close

  const writeRow = (row: RawCanonicalRow): Promise<void> => {
    rowsWritten++;
    return sink.write(formatRow(row));
  };
  return {
    write: writeRow,
    writeRow,
    close: () => sink.close(),
    abort: () => sink.abort(),
    get rowsWritten() {
      return rowsWritten;
    },
  };
}
