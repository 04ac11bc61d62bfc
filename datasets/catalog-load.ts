/**
 * Reads a catalog file for `iob catalog load`: CSV with a header (`id,category,price,margin,in_stock,
 * eligible_from,eligible_until,tags`, any order, only `id` required; tags separated by `;`) or JSON Lines
 * (one entry object per line), gzipped when the name ends in `.gz`. Every row is validated with the engine's
 * catalog schema (zod); every problem names its line and column (CSV: number and name; JSONL: the field),
 * and never repeats the value.
 */
import { CatalogEntrySchema, IobError, type CatalogEntry, type Problem } from '../engine/index.ts';
import { DECIMAL } from './canonical-event.ts';
import { CsvRecordAssembler, CsvSyntaxError, separatorHint } from './io/csv.ts';
import { readLineBlocks } from './io/text-lines.ts';

export const CATALOG_COLUMNS = ['id', 'category', 'price', 'margin', 'in_stock', 'eligible_from', 'eligible_until', 'tags'] as const;
type Column = (typeof CATALOG_COLUMNS)[number];
const NUMBER_COLUMNS: ReadonlySet<string> = new Set(['price', 'margin']);
const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

export interface CatalogProblem {
  line: number;
  /** `3 (price)` for CSV, `price` for JSONL, `(row)` for the row as a whole. */
  column: string;
  reason: string;
  message: string;
}

export interface CatalogFile {
  entries: CatalogEntry[];
  problems: CatalogProblem[];
}

/** A catalog file's format from its name (what `catalog load` reads, and so what `generate --catalog` writes). */
export function catalogFormatOf(path: string, flag = 'file'): 'csv' | 'jsonl' {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  throw new IobError('IOB_ERR_VALIDATION', `${path}: unsupported catalog file name; use .csv, .jsonl or .ndjson (optionally .gz)`, [
    { path: flag, reason: 'unsupported_format', message: 'the file name must end in .csv, .jsonl or .ndjson (optionally .gz)' },
  ]);
}

export async function readCatalogFile(path: string): Promise<CatalogFile> {
  const format = catalogFormatOf(path);
  const entries: CatalogEntry[] = [];
  const problems: CatalogProblem[] = [];
  const seen = new Map<string, number>();
  let header: string[] | undefined;
  const csv = new CsvRecordAssembler();
  let lineNumber = 0;

  const accept = (raw: Record<string, unknown>, line: number, columnOf: (field: string) => string): void => {
    const parsed = CatalogEntrySchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length ? String(issue.path[0]) : '';
        const unknown = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : undefined;
        // an empty cell or absent key: say it is required, not which type undefined is not
        const missing = issue.code === 'invalid_type' && field !== '' && raw[field] === undefined ? 'is required' : undefined;
        problems.push({ line, column: field ? columnOf(field) : '(row)', reason: missing ? 'required' : issue.code, message: unknown ?? missing ?? issue.message });
      }
      return;
    }
    const earlier = seen.get(parsed.data.id);
    if (earlier !== undefined) {
      problems.push({ line, column: columnOf('id'), reason: 'duplicate', message: `repeats the id of line ${earlier}` });
      return;
    }
    seen.set(parsed.data.id, line);
    entries.push(parsed.data);
  };

  const csvRow = (fields: string[] | CsvSyntaxError, line: number): void => {
    if (fields instanceof CsvSyntaxError) {
      problems.push({ line, column: '(row)', reason: fields.reason, message: fields.message });
      return;
    }
    if (header === undefined) {
      header = fields.map((f) => f.trim());
      header.forEach((name, i) => {
        if (!(CATALOG_COLUMNS as readonly string[]).includes(name)) problems.push({ line, column: `${i + 1}`, reason: 'unknown_column', message: `is not one of ${CATALOG_COLUMNS.join(', ')}` });
      });
      if (!header.includes('id')) problems.push({ line, column: '(header)', reason: 'required', message: `has no id column${separatorHint(header)}` });
      return;
    }
    // without an id column every row would repeat the header's problem
    if (!header.includes('id')) return;
    const columnOf = (field: string): string => `${header!.indexOf(field) + 1} (${field})`;
    if (fields.length !== header.length) {
      problems.push({ line, column: '(row)', reason: 'field_count', message: `has ${fields.length} fields, the header ${header.length}` });
      return;
    }
    const raw: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) {
      const name = header[i] as Column;
      const text = fields[i]!.trim();
      if (text === '' || !(CATALOG_COLUMNS as readonly string[]).includes(name)) continue;
      if (NUMBER_COLUMNS.has(name)) raw[name] = DECIMAL.test(text) ? Number(text) : text;
      else if (name === 'in_stock') raw[name] = BOOLEANS[text.toLowerCase()] ?? text;
      else if (name === 'tags') raw[name] = text.split(';').map((t) => t.trim()).filter((t) => t !== '');
      else raw[name] = text;
    }
    accept(raw, line, columnOf);
  };

  for await (const block of readLineBlocks(path)) {
    const lines = block.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const text of lines) {
      lineNumber++;
      if (format === 'csv') {
        csv.push(text, lineNumber, csvRow);
        continue;
      }
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        problems.push({ line: lineNumber, column: '(row)', reason: 'invalid_json', message: 'is not valid JSON' });
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push({ line: lineNumber, column: '(row)', reason: 'invalid_type', message: 'is not a JSON object' });
        continue;
      }
      accept(value as Record<string, unknown>, lineNumber, (field) => field);
    }
  }
  csv.finish(csvRow);
  return { entries, problems };
}

/** How many problems an error lists. */
const LISTED = 10;

/** The catalog's entries, or an IobError listing its problems (line and column) — also for an empty catalog. */
export function requireValidCatalog(path: string, file: CatalogFile): CatalogEntry[] {
  if (file.problems.length > 0) {
    const listed: Problem[] = file.problems.slice(0, LISTED).map((p) => ({ path: `line ${p.line}, column ${p.column}`, reason: p.reason, message: p.message }));
    const more = file.problems.length - listed.length;
    if (more > 0) listed.push({ path: '', reason: 'more', message: `and ${more} more problem${more === 1 ? '' : 's'}` });
    throw new IobError('IOB_ERR_VALIDATION', `${path}: ${file.problems.length} problem${file.problems.length === 1 ? '' : 's'} in the catalog; nothing was loaded`, listed);
  }
  if (file.entries.length === 0) {
    throw new IobError('IOB_ERR_VALIDATION', `${path}: the catalog is empty; nothing was loaded`, [{ path: 'file', reason: 'empty', message: 'holds no catalog entry' }]);
  }
  return file.entries;
}
