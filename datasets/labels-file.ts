/**
 * Label files for point-in-time training sets: CSV with a header naming at least `subject` and `ts`, and
 * optionally `session` and `item`; any other columns (the label itself, weights, ids) are carried through
 * unchanged, first, in the output. A bad row names its line and column and never quotes the value; it is
 * skipped and listed (one bad row must not cost the good ones), or refused with `strict`.
 */
import { IobError } from '../engine/index.ts';
import { FieldProblem, parseTimestampText } from './canonical-event.ts';
import { CsvRecordAssembler, CsvSyntaxError, csvField, separatorHint } from './io/csv.ts';
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

export interface LabelFileProblem {
  line: number;
  /** the column's header name, or `(row)` when the row as a whole is wrong */
  column: string;
  reason: string;
  message: string;
}

export interface LabelFile {
  header: string[];
  /** positions of the id columns (subject, and session and item when present): ids, whatever they look like */
  idColumns: number[];
  rows: LabelFileRow[];
  /** rows left out, in file order */
  badRows: LabelFileProblem[];
}

/**
 * Reads the whole label file (label files are small beside event logs). A file without a usable header is
 * refused; a bad row is skipped and listed in `badRows`, or with `strict` refused.
 */
export async function readLabelFile(path: string, options: { strict?: boolean } = {}): Promise<LabelFile> {
  let header: string[] | undefined;
  let col = { subject: -1, ts: -1, session: -1, item: -1 };
  const rows: LabelFileRow[] = [];
  const badRows: LabelFileProblem[] = [];
  const bad = (problem: LabelFileProblem): void => {
    if (options.strict) {
      const where = `${path}, line ${problem.line}, column ${problem.column}`;
      throw new IobError('IOB_ERR_VALIDATION', `${where}: ${problem.message} (--strict refuses bad rows)`, [
        { path: `lines.${problem.line}.${problem.column}`, reason: problem.reason, message: problem.message },
      ]);
    }
    badRows.push(problem);
  };
  // The event and catalog readers' record assembler: a quoted field may hold line breaks (RFC 4180).
  const records = new CsvRecordAssembler();
  let lineNumber = 0;
  /** the first record opens with `{` or `[`: a JSON file passed as labels */
  let looksLikeJson = false;
  const accept = (cells: string[] | CsvSyntaxError, line: number): void => {
    if (!header && looksLikeJson) throw new IobError('IOB_ERR_VALIDATION', `${path}, line 1: this is JSON; a label file is CSV with a header naming subject and ts (optionally session, item)`);
    if (cells instanceof CsvSyntaxError) {
      if (!header) throw new IobError('IOB_ERR_VALIDATION', `${path}, line ${line}: ${cells.message}`);
      bad({ line, column: '(row)', reason: cells.reason, message: cells.message });
      return;
    }
    if (!header) {
      header = cells.map((c) => c.trim());
      // Matched as the event file matches its header: trimmed, any case. The output keeps the names as given.
      const names = header.map((c) => c.toLowerCase());
      col = { subject: names.indexOf('subject'), ts: names.indexOf('ts'), session: names.indexOf('session'), item: names.indexOf('item') };
      if (col.subject < 0 || col.ts < 0) {
        throw new IobError('IOB_ERR_VALIDATION', `${path}, line 1: a label file needs a header with the columns subject and ts (optionally session, item)${separatorHint(header)}`);
      }
      return;
    }
    if (cells.length !== header.length) {
      bad({ line, column: '(row)', reason: 'field_count', message: `has ${cells.length} fields where the header has ${header.length}` });
      return;
    }
    const subject = cells[col.subject]!;
    if (subject === '') {
      bad({ line, column: 'subject', reason: 'required', message: 'is required' });
      return;
    }
    const ts = parseTimestampText(cells[col.ts]!.trim());
    if (ts instanceof FieldProblem) {
      bad({ line, column: 'ts', reason: ts.reason, message: ts.message });
      return;
    }
    const row: LabelFileRow = { line, cells, subject, ts };
    if (col.session >= 0 && cells[col.session] !== '') row.session = cells[col.session]!;
    if (col.item >= 0 && cells[col.item] !== '') row.item = cells[col.item]!;
    rows.push(row);
  };
  for await (const block of readLineBlocks(path)) {
    let start = 0;
    while (start < block.length) {
      let end = block.indexOf('\n', start);
      if (end === -1) end = block.length;
      const text = block.slice(start, end);
      start = end + 1;
      lineNumber++;
      if (!records.continuing && text.trim() === '') continue;
      if (header === undefined && !records.continuing) looksLikeJson = /^\s*[[{]/.test(text);
      records.push(text, lineNumber, accept);
    }
  }
  records.finish(accept);
  if (!header) throw new IobError('IOB_ERR_VALIDATION', `${path}: empty label file (expected a header with subject and ts)`);
  return { header, idColumns: [col.subject, col.session, col.item].filter((c) => c >= 0), rows, badRows };
}

/** The output's header line: the label file's own column names, then the feature names. */
export function trainingHeaderLine(header: readonly string[], features: readonly string[]): string {
  return [...header, ...features].map(csvField).join(',');
}

/** One output line: the label's own cells, then the feature values. */
export function trainingRowLine(cells: readonly string[], values: ArrayLike<number>): string {
  let out = cells.map(csvField).join(',');
  for (let i = 0; i < values.length; i++) out += ',' + formatNumber(values[i]!);
  return out;
}

/**
 * Text that reads back to the same float32 (features are float32 in the store): integers as they are,
 * others at 9 significant digits (enough for any float32) with trailing zeros dropped.
 */
function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Math.fround(v) === v ? Number(v.toPrecision(9)) : v);
}
