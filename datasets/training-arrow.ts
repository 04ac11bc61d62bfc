/**
 * A point-in-time training set as an Arrow IPC file (the format Feather v2 is): `pandas.read_feather`,
 * `polars.read_ipc` and `pyarrow.ipc.open_file` read it with its types, without parsing text. The columns
 * and their order are the CSV's: the label file's own columns, then one float32 column per feature (the
 * store's own precision, so no value is rounded on the way).
 *
 * A label column whose every non-empty cell reads as a finite number is float64 (labels, weights, epoch-ms
 * times); any other is utf8 (ids, ISO-8601 times) and keeps its cells as written. Empty cells are null.
 * Rows go out in record batches of BATCH_ROWS, so memory stays bounded by one batch, not the set.
 */
import { Field, Float32, Float64, makeData, makeVector, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, vectorFromArray, type Data, type DataType } from 'apache-arrow';
import type { TextSink } from './io/text-sink.ts';

/** File names that ask for Arrow IPC output instead of CSV. */
export const ARROW_EXTENSIONS = ['.arrow', '.feather', '.ipc'] as const;
export const isArrowPath = (path: string): boolean => ARROW_EXTENSIONS.some((e) => path.toLowerCase().endsWith(e));

const BATCH_ROWS = 65_536;

export interface TrainingRows {
  /** the label file's column names, then the feature names (unique: see `duplicateColumn`) */
  header: readonly string[];
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

const isNumber = (cell: string): boolean => cell.trim() !== '' && Number.isFinite(Number(cell));

/** Writes the rows to `sink` as an Arrow IPC file; the caller closes the sink. */
export async function writeTrainingArrow(sink: Pick<TextSink, 'writeBytes'>, set: TrainingRows): Promise<void> {
  const clash = duplicateColumn([...set.header, ...set.features]);
  if (clash !== undefined) throw new RangeError(`the column ${clash} is named twice; Arrow output needs unique column names`);
  // A label column's type is decided over every row first: one batch must not say float64 and the next utf8.
  const numeric = set.header.map((_, c) => {
    let any = false;
    for (let i = 0; i < set.rows; i++) {
      const cell = set.cells(i)[c]!;
      if (cell === '') continue;
      if (!isNumber(cell)) return false;
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
