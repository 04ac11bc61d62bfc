/**
 * Label files for point-in-time training sets: CSV with a header naming at least `subject` and `ts`, and
 * optionally `session` and `item`; any other columns (the label itself, weights, ids) are carried through
 * unchanged, first, in the output. A bad row names its line and column and never quotes the value.
 */
import { IobError } from '../engine/index.ts';
import { FieldProblem, parseTimestampText } from './canonical-event.ts';
import { CsvSyntaxError, csvField, splitCsvRecord } from './io/csv.ts';
import { readLineBlocks } from './io/text-lines.ts';

export interface LabelFileRow {
  line: number;
  /** the row's own cells, in header order */
  cells: string[];
  subject: string;
  ts: number;
  session?: string;
  item?: string;
}

export interface LabelFile {
  header: string[];
  rows: LabelFileRow[];
}

/** Reads the whole label file (label files are small beside event logs); throws on the first bad row. */
export async function readLabelFile(path: string): Promise<LabelFile> {
  let header: string[] | undefined;
  let col = { subject: -1, ts: -1, session: -1, item: -1 };
  const rows: LabelFileRow[] = [];
  let line = 0;
  for await (const block of readLineBlocks(path)) {
    let start = 0;
    while (start < block.length) {
      let end = block.indexOf('\n', start);
      if (end === -1) end = block.length;
      const text = block.slice(start, end);
      start = end + 1;
      line++;
      if (text.trim() === '') continue;
      const cells = splitCsvRecord(text);
      if (cells instanceof CsvSyntaxError) throw new IobError('IOB_ERR_VALIDATION', `${path}, line ${line}: ${cells.message}`);
      if (!header) {
        header = cells.map((c) => c.trim());
        col = { subject: header.indexOf('subject'), ts: header.indexOf('ts'), session: header.indexOf('session'), item: header.indexOf('item') };
        if (col.subject < 0 || col.ts < 0) {
          throw new IobError('IOB_ERR_VALIDATION', `${path}, line 1: a label file needs a header with the columns subject and ts (optionally session, item)`);
        }
        continue;
      }
      if (cells.length !== header.length) {
        throw new IobError('IOB_ERR_VALIDATION', `${path}, line ${line}: expected ${header.length} columns, found ${cells.length}`);
      }
      const subject = cells[col.subject]!;
      if (subject === '') throw new IobError('IOB_ERR_VALIDATION', `${path}, line ${line}, column subject: is required`);
      const ts = parseTimestampText(cells[col.ts]!.trim());
      if (ts instanceof FieldProblem) throw new IobError('IOB_ERR_VALIDATION', `${path}, line ${line}, column ts: ${ts.message}`);
      const row: LabelFileRow = { line, cells, subject, ts };
      if (col.session >= 0 && cells[col.session] !== '') row.session = cells[col.session]!;
      if (col.item >= 0 && cells[col.item] !== '') row.item = cells[col.item]!;
      rows.push(row);
    }
  }
  if (!header) throw new IobError('IOB_ERR_VALIDATION', `${path}: empty label file (expected a header with subject and ts)`);
  return { header, rows };
}

/** One output line: the label's own cells, then the feature values. */
export function trainingRowLine(cells: readonly string[], values: ArrayLike<number>): string {
  let out = cells.map(csvField).join(',');
  for (let i = 0; i < values.length; i++) out += ',' + formatNumber(values[i]!);
  return out;
}

/** Shortest text that reads back to the same float32 (features are float32 in the store). */
function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Math.fround(v) === v ? Number(v.toPrecision(9)) : v);
}
