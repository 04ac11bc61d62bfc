/**
 * A point-in-time training set as an Arrow IPC file (the format Feather v2 is): `pandas.read_feather`,
 * `polars.read_ipc` and `pyarrow.ipc.open_file` read it with its types, without parsing text. The columns
 * and their order are the CSV's: the label file's own columns, then one float32 column per feature (the
 * store's own precision, so no value is rounded on the way).
 *
 * Label columns: the ids (`textColumns`: the label reader's subject, session and item) are always text, as
 * written. Any other column is float64 when it holds at least one number and every non-empty cell is a
 * plain decimal number (`12`, `-0.5`, `1e3`; not `007`, `0x10`, ` 1`, `+5`, or an integer past 2^53, which
 * would not read back as written); otherwise text, kept as written. Empty cells are null. So labels, weights and epoch-ms times
 * come out as numbers, ISO-8601 times as text. Rows go out in record batches of BATCH_ROWS, so memory stays
 * bounded by one batch, not the set. The library is imported when a file is written: other commands and
 * CSV builds do not load it.
 */
import type { Data, DataType } from 'apache-arrow';
import type { TextSink } from './io/text-sink.ts';

/** File names that ask for Arrow IPC output instead of CSV. */
export const ARROW_EXTENSIONS = ['.arrow', '.feather', '.ipc'] as const;
export const isArrowPath = (path: string): boolean => ARROW_EXTENSIONS.some((e) => path.toLowerCase().endsWith(e));

/** Why an output name cannot be written, when it names a format this writer does not produce (else undefined). */
export function unsupportedOutput(path: string): string | undefined {
  const name = path.toLowerCase();
  if (name.endsWith('.gz') && isArrowPath(name.slice(0, -3))) return 'an Arrow file is not gzipped (its columns are binary already): drop the .gz';
  if (name.endsWith('.parquet')) return 'Parquet is not written: use .arrow (or .feather), which pandas, polars and pyarrow read as well, or .csv';
  if (name.endsWith('.arrows')) return 'the Arrow stream format is not written: use .arrow (the IPC file format)';
  return undefined;
}

/** A plain decimal number that reads back as written (no leading zeros, signs, spaces, hex, or unsafe integers). */
const DECIMAL = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
export function isPlainNumber(cell: string): boolean {
  if (!DECIMAL.test(cell)) return false;
  const value = Number(cell);
  return Number.isFinite(value) && (cell.includes('.') || /[eE]/.test(cell) || Number.isSafeInteger(value));
}

const BATCH_ROWS = 65_536;

export interface TrainingRows {
  /** the label file's column names, then the feature names (unique: see `duplicateColumn`) */
  header: readonly string[];
  /** label columns written as text whatever they hold: the ids (a subject `00042` is not the number 42) */
  textColumns: readonly number[];
  features: readonly string[];
  rows: number;
  /** row i's own label cells, in header order */
  cells(i: number): readonly string[];
  /** row i's feature values, in feature order */
  values(i: number): ArrayLike<number>;
}

/** The first column name given twice (Arrow readers look columns up by name, so names must be unique). */
export function duplicateColumn(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) return n;
    seen.add(n);
  }
  return undefined;
}

/** Writes the rows to `sink` as an Arrow IPC file; the caller closes the sink. */
export async function writeTrainingArrow(sink: Pick<TextSink, 'writeBytes'>, set: TrainingRows): Promise<void> {
  const clash = duplicateColumn([...set.header, ...set.features]);
  if (clash !== undefined) throw new RangeError(`the column ${clash} is named twice; Arrow output needs unique column names`);
  const { Field, Float32, Float64, makeData, makeVector, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, vectorFromArray } = await import('apache-arrow');
  // A label column's type is decided over every row first: one batch must not say float64 and the next utf8.
  const numeric = set.header.map((_, c) => {
    if (set.textColumns.includes(c)) return false;
    let any = false;
    for (let i = 0; i < set.rows; i++) {
      const cell = set.cells(i)[c]!;
      if (cell === '') continue;
      if (!isPlainNumber(cell)) return false;
      any = true;
    }
    return any;
  });
  const types: DataType[] = [...numeric.map((n) => (n ? new Float64() : new Utf8())), ...set.features.map(() => new Float32())];
  const fields = [...set.header, ...set.features].map((name, c) => new Field(name, types[c]!, c < set.header.length));
  const schema = new Schema(fields);
  const struct = new Struct(fields);

  const writer = new RecordBatchFileWriter();
  const chunks: Uint8Array[] = [];
  const collecting = (async () => {
    for await (const chunk of writer) chunks.push(chunk);
  })();
  const drain = async (): Promise<void> => {
    // the writer hands its bytes over on the next turns of the event loop
    await new Promise((r) => setImmediate(r));
    for (const chunk of chunks.splice(0)) await sink.writeBytes(chunk);
  };

  const batches = Math.max(1, Math.ceil(set.rows / BATCH_ROWS)); // an empty set still carries its schema
  for (let b = 0; b < batches; b++) {
    const from = b * BATCH_ROWS;
    const n = Math.min(BATCH_ROWS, set.rows - from);
    const children: Data[] = [];
    for (let c = 0; c < set.header.length; c++) {
      if (numeric[c]) {
        const cells = Array.from({ length: n }, (_, i) => {
          const cell = set.cells(from + i)[c]!;
          return cell === '' ? null : Number(cell);
        });
        children.push(vectorFromArray(cells, new Float64()).data[0]!);
      } else {
        const cells = Array.from({ length: n }, (_, i) => {
          const cell = set.cells(from + i)[c]!;
          return cell === '' ? null : cell;
        });
        children.push(vectorFromArray(cells, new Utf8()).data[0]!);
      }
    }
    const width = set.features.length;
    const columns = Array.from({ length: width }, () => new Float32Array(n));
    for (let i = 0; i < n; i++) {
      const values = set.values(from + i);
      for (let f = 0; f < width; f++) columns[f]![i] = values[f]!;
    }
    for (const column of columns) children.push(makeVector(column).data[0]!);
    writer.write(new RecordBatch(schema, makeData({ type: struct, length: n, nullCount: 0, children })));
    await drain();
  }
  writer.finish();
  writer.close();
  await collecting;
  for (const chunk of chunks.splice(0)) await sink.writeBytes(chunk);
}
