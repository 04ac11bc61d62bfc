/**
 * The UCI Online Shoppers Purchasing Intention set (../shared/data/online-shoppers/, see its PROVENANCE.md):
 * 12,330 sessions of aggregate page counts, durations and Google Analytics metrics, labelled by `Revenue`.
 *
 * Two declared feature sets over the same parsed sessions:
 * - `raw`: the columns as published, categoricals one-hot, booleans 0/1 — what published tables (and the
 *   scikit-learn reference numbers) feed a model; kept to check our baselines against those tables.
 * - `engineered`: what the intent model uses. Counts, durations and PageValues are heavy-tailed (PageValues
 *   spans 0–361 with 78% zeros), so they enter as log1p, with a PageValues > 0 indicator and per-page ratios.
 *
 * Categorical vocabularies are fixed here (not learned from the file), so the feature list of a model does
 * not depend on which rows it saw; an unknown code becomes all zeros.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { splitCsvRecord, CsvSyntaxError, separatorHint } from '../datasets/io/csv.ts';
import { IobError } from '../engine/index.ts';
import { matrix, type Matrix } from '../models/matrix.ts';

export interface OnlineShoppersSession {
  administrative: number;
  administrativeDuration: number;
  informational: number;
  informationalDuration: number;
  productRelated: number;
  productRelatedDuration: number;
  bounceRates: number;
  exitRates: number;
  pageValues: number;
  specialDay: number;
  month: string;
  operatingSystems: number;
  browser: number;
  region: number;
  trafficType: number;
  visitorType: string;
  weekend: boolean;
}

export interface OnlineShoppersData {
  sessions: OnlineShoppersSession[];
  /** Revenue as 0/1, aligned with `sessions`. */
  labels: Uint8Array;
  /** sha256 of the file's bytes: the model card's training-data hash. */
  sha256: string;
}

const HEADER = [
  'Administrative', 'Administrative_Duration', 'Informational', 'Informational_Duration', 'ProductRelated',
  'ProductRelated_Duration', 'BounceRates', 'ExitRates', 'PageValues', 'SpecialDay', 'Month', 'OperatingSystems',
  'Browser', 'Region', 'TrafficType', 'VisitorType', 'Weekend', 'Revenue',
] as const;

/** Calendar order: the set has no timestamps, so the month is its only time axis ("June" is spelled out). */
export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'June', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const VISITOR_TYPES = ['Returning_Visitor', 'New_Visitor', 'Other'] as const;
/** Code ranges of the non-ordinal integer categoricals, as documented for the set. */
const CODE_RANGES = { operatingSystems: 8, browser: 13, region: 9, trafficType: 20 } as const;

/** TRUE/FALSE as published, in any case (pandas writes True/False), or 1/0 as re-encoded copies have them. */
function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toUpperCase();
  return v === 'TRUE' || v === '1' ? true : v === 'FALSE' || v === '0' ? false : undefined;
}

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** The set's own spelling of a month, from any case and any prefix of 3+ letters (copies write Jun, June, Sept…). */
function parseMonth(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  const m = v.length >= 3 ? MONTH_NAMES.findIndex((name) => name.startsWith(v)) : -1;
  return m < 0 ? undefined : MONTHS[m];
}

export interface OnlineShoppersProblem {
  /** line of the file (header = 1) */
  line: number;
  /** the header's name of the column, or `(row)` when the row as a whole is wrong */
  column: string;
  reason: string;
  message: string;
}

export interface ParseOptions {
  /** refuse the first bad row instead of skipping it */
  strict?: boolean;
  /** the file's name, for messages */
  path?: string;
}

/**
 * Parses the CSV. Columns are found by their header names (any order; more columns are ignored), so
 * re-exported copies read too. A bad row is skipped and listed in `badRows` (one bad row must not cost the
 * others), or with `strict` refused; a file without the set's header is refused.
 */
export function parseOnlineShoppers(text: string, options: ParseOptions = {}): Omit<OnlineShoppersData, 'sha256'> & { badRows: OnlineShoppersProblem[] } {
  const file = options.path ?? 'Online Shoppers CSV';
  const lines = text.split('\n');
  const header = splitCsvRecord((lines[0] ?? '').replace(/^\uFEFF/, ''));
  const names = header instanceof CsvSyntaxError ? [] : header.map((h) => h.trim());
  const at = HEADER.map((name) => names.indexOf(name));
  const missing = HEADER.filter((_, k) => at[k] === -1);
  if (missing.length > 0) {
    const message =
      text.trim() === ''
        ? 'the file is empty: an Online Shoppers CSV starts with the UCI header'
        : `not an Online Shoppers CSV: the header lacks the column(s) ${missing.join(', ')}${separatorHint(names)}`;
    throw new IobError('IOB_ERR_VALIDATION', `${file}, line 1: ${message}`, [{ path: 'line 1', reason: 'unexpected_header', message: `expected the columns ${HEADER.join(',')}` }]);
  }
  const sessions: OnlineShoppersSession[] = [];
  const labels: number[] = [];
  const badRows: OnlineShoppersProblem[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const problem = parseRow(line, names.length, at);
    if ('session' in problem) {
      sessions.push(problem.session);
      labels.push(problem.revenue ? 1 : 0);
      continue;
    }
    const bad = { line: i + 1, ...problem };
    if (options.strict) {
      throw new IobError('IOB_ERR_VALIDATION', `${file}, line ${bad.line}, column ${bad.column}: ${bad.message} (--strict refuses bad rows)`, [
        { path: `line ${bad.line}, column ${bad.column}`, reason: bad.reason, message: bad.message },
      ]);
    }
    badRows.push(bad);
  }
  return { sessions, labels: Uint8Array.from(labels), badRows };
}

/** One data row: the session and its label, or what is wrong with it (never the value: it may be anything). */
function parseRow(line: string, width: number, at: readonly number[]): { session: OnlineShoppersSession; revenue: boolean } | Omit<OnlineShoppersProblem, 'line'> {
  const f = splitCsvRecord(line);
  if (f instanceof CsvSyntaxError) return { column: '(row)', reason: f.reason, message: f.message };
  if (f.length !== width) return { column: '(row)', reason: 'field_count', message: `has ${f.length} fields, expected ${width}` };
  const cell = (k: number): string => f[at[k]!]!;
  let bad: Omit<OnlineShoppersProblem, 'line'> | undefined;
  const num = (k: number): number => {
    const v = Number(cell(k));
    if (cell(k).trim() === '' || !Number.isFinite(v) || v < 0) bad ??= { column: HEADER[k]!, reason: 'not_a_number', message: 'is not a non-negative number' };
    return v;
  };
  const weekend = parseBoolean(cell(16));
  const revenue = parseBoolean(cell(17));
  const month = parseMonth(cell(10));
  const session: OnlineShoppersSession = {
    administrative: num(0),
    administrativeDuration: num(1),
    informational: num(2),
    informationalDuration: num(3),
    productRelated: num(4),
    productRelatedDuration: num(5),
    bounceRates: num(6),
    exitRates: num(7),
    pageValues: num(8),
    specialDay: num(9),
    month: month ?? '',
    operatingSystems: num(11),
    browser: num(12),
    region: num(13),
    trafficType: num(14),
    visitorType: cell(15).trim(),
    weekend: weekend ?? false,
  };
  if (bad) return bad;
  // An unknown month would sort after December, into the test set: refuse it rather than guess.
  if (month === undefined) return { column: 'Month', reason: 'unknown_month', message: 'is not a month name' };
  if (weekend === undefined) return { column: 'Weekend', reason: 'not_a_boolean', message: 'is not TRUE/FALSE (or 1/0)' };
  if (revenue === undefined) return { column: 'Revenue', reason: 'not_a_boolean', message: 'is not TRUE/FALSE (or 1/0)' };
  return { session, revenue };
}

export async function loadOnlineShoppers(file: string, options: { strict?: boolean } = {}): Promise<OnlineShoppersData & { badRows: OnlineShoppersProblem[] }> {
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new IobError('IOB_ERR_VALIDATION', `${file}: no such file`, [{ path: '--data', reason: 'not_found', message: 'no such file' }]);
    if (err.code === 'EISDIR') throw new IobError('IOB_ERR_VALIDATION', `${file}: not a file`, [{ path: '--data', reason: 'not_a_file', message: 'is not a file' }]);
    throw err;
  });
  return { ...parseOnlineShoppers(bytes.toString('utf8'), { ...options, path: file }), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** A feature: a name and how to compute it from one session. Declared once, used for training and serving. */
export interface SessionFeature {
  name: string;
  value: (s: OnlineShoppersSession) => number;
}

function oneHot(prefix: string, levels: readonly (string | number)[], get: (s: OnlineShoppersSession) => string | number): SessionFeature[] {
  return levels.map((level) => ({ name: `${prefix}=${level}`, value: (s) => (get(s) === level ? 1 : 0) }));
}

const codes = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

const CATEGORICALS: SessionFeature[] = [
  ...oneHot('Month', MONTHS, (s) => s.month),
  ...oneHot('VisitorType', VISITOR_TYPES, (s) => s.visitorType),
  ...oneHot('OperatingSystems', codes(CODE_RANGES.operatingSystems), (s) => s.operatingSystems),
  ...oneHot('Browser', codes(CODE_RANGES.browser), (s) => s.browser),
  ...oneHot('Region', codes(CODE_RANGES.region), (s) => s.region),
  ...oneHot('TrafficType', codes(CODE_RANGES.trafficType), (s) => s.trafficType),
  { name: 'Weekend', value: (s) => (s.weekend ? 1 : 0) },
];

const RAW_NUMERIC: SessionFeature[] = [
  { name: 'Administrative', value: (s) => s.administrative },
  { name: 'Administrative_Duration', value: (s) => s.administrativeDuration },
  { name: 'Informational', value: (s) => s.informational },
  { name: 'Informational_Duration', value: (s) => s.informationalDuration },
  { name: 'ProductRelated', value: (s) => s.productRelated },
  { name: 'ProductRelated_Duration', value: (s) => s.productRelatedDuration },
  { name: 'BounceRates', value: (s) => s.bounceRates },
  { name: 'ExitRates', value: (s) => s.exitRates },
  { name: 'PageValues', value: (s) => s.pageValues },
  { name: 'SpecialDay', value: (s) => s.specialDay },
];

const pages = (s: OnlineShoppersSession): number => s.administrative + s.informational + s.productRelated;
const seconds = (s: OnlineShoppersSession): number => s.administrativeDuration + s.informationalDuration + s.productRelatedDuration;

const ENGINEERED_NUMERIC: SessionFeature[] = [
  { name: 'log1p(Administrative)', value: (s) => Math.log1p(s.administrative) },
  { name: 'log1p(Administrative_Duration)', value: (s) => Math.log1p(s.administrativeDuration) },
  { name: 'log1p(Informational)', value: (s) => Math.log1p(s.informational) },
  { name: 'log1p(Informational_Duration)', value: (s) => Math.log1p(s.informationalDuration) },
  { name: 'log1p(ProductRelated)', value: (s) => Math.log1p(s.productRelated) },
  { name: 'log1p(ProductRelated_Duration)', value: (s) => Math.log1p(s.productRelatedDuration) },
  { name: 'log1p(PageValues)', value: (s) => Math.log1p(s.pageValues) },
  { name: 'PageValues>0', value: (s) => (s.pageValues > 0 ? 1 : 0) },
  { name: 'BounceRates', value: (s) => s.bounceRates },
  { name: 'ExitRates', value: (s) => s.exitRates },
  { name: 'SpecialDay', value: (s) => s.specialDay },
  { name: 'log1p(pages)', value: (s) => Math.log1p(pages(s)) },
  { name: 'log1p(seconds)', value: (s) => Math.log1p(seconds(s)) },
  { name: 'log1p(seconds/page)', value: (s) => Math.log1p(seconds(s) / Math.max(1, pages(s))) },
  { name: 'log1p(ProductRelated_Duration/ProductRelated)', value: (s) => Math.log1p(s.productRelatedDuration / Math.max(1, s.productRelated)) },
  { name: 'ProductRelated/pages', value: (s) => s.productRelated / Math.max(1, pages(s)) },
  { name: 'log1p(PageValues*ProductRelated)', value: (s) => Math.log1p(s.pageValues * s.productRelated) },
];

export const FEATURE_SETS = {
  raw: [...RAW_NUMERIC, ...CATEGORICALS],
  engineered: [...ENGINEERED_NUMERIC, ...CATEGORICALS],
} as const satisfies Record<string, readonly SessionFeature[]>;

export type FeatureSetName = keyof typeof FEATURE_SETS;

export function featureNames(set: FeatureSetName): string[] {
  return FEATURE_SETS[set].map((f) => f.name);
}

/** One session's features, in the set's order. */
export function sessionFeatures(s: OnlineShoppersSession, set: FeatureSetName, out: Float32Array = new Float32Array(FEATURE_SETS[set].length)): Float32Array {
  const features = FEATURE_SETS[set];
  for (let c = 0; c < features.length; c++) out[c] = features[c]!.value(s);
  return out;
}

export function featureMatrix(sessions: readonly OnlineShoppersSession[], set: FeatureSetName): Matrix {
  const cols = FEATURE_SETS[set].length;
  const m = matrix(sessions.length, cols);
  sessions.forEach((s, r) => sessionFeatures(s, set, m.data.subarray(r * cols, (r + 1) * cols)));
  return m;
}

/**
 * Time order for splits: by month, then by position in the file. The set has no timestamps; within a month
 * the file's order is the best proxy there is.
 */
export function timeKeys(sessions: readonly OnlineShoppersSession[]): Float64Array {
  return Float64Array.from(sessions, (s, i) => {
    const month = (MONTHS as readonly string[]).indexOf(s.month);
    return (month < 0 ? MONTHS.length : month) * 1e6 + i;
  });
}

/**
 * Time key for the validation slice inside a training range: a session's position within its month (0 =
 * first in the file, → 1 = last), so the "latest" slice is the tail of every month. Why not whole months:
 * the latest months (Nov, Dec) hold a third of the sessions with their own purchase rates, so a slice of
 * whole months would leave December unseen by the fitted network and calibrate on a season of its own.
 */
export function withinMonthTimeKeys(sessions: readonly OnlineShoppersSession[]): Float64Array {
  const total = new Map<string, number>();
  for (const s of sessions) total.set(s.month, (total.get(s.month) ?? 0) + 1);
  const seen = new Map<string, number>();
  return Float64Array.from(sessions, (s) => {
    const k = seen.get(s.month) ?? 0;
    seen.set(s.month, k + 1);
    return (k + 0.5) / total.get(s.month)!;
  });
}
