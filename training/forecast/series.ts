/**
 * Demand series: units per period for each item, category or named series, on one shared calendar grid.
 *
 * Every series of a set spans the same periods (the first to the last period seen anywhere), so "hold out
 * the last H periods" means the same dates for all of them and calendar features line up. Periods with no
 * sale are zeros: for demand, a day without a sale is a day of zero demand, not missing data. Short,
 * intermittent and all-zero series are kept; the forecasters handle them.
 *
 * Returns (refund events, negative quantities in a series file) are netted into the period they happen
 * in, so the actuals are what left and came back to stock that period. A period whose net is negative
 * stays negative in the actuals (the metrics score it as it is), but fitting reads `fitValue` = max(0, ·):
 * demand cannot be negative, and a burst of returns is not a signal that next week will sell less than
 * nothing. The set's notes say how many such periods there were.
 */
import { IobError } from '../../engine/index.ts';
import { readCanonicalBatches, type CanonicalEvent } from '../../datasets/index.ts';
import { CsvRecordAssembler, CsvSyntaxError, separatorHint } from '../../datasets/io/csv.ts';
import { readLineBlocks } from '../../datasets/io/text-lines.ts';
import { dayOfWeek, epochDayOf, mondayOf, parseDay, type Freq } from '../../models/forecast/calendar.ts';

export interface DemandSeries {
  /** `item:<id>`, `category:<name>`, or the name a series file gives */
  key: string;
  /** net units per period; index 0 is the set's first period */
  values: Float64Array;
}

export interface SeriesSet {
  freq: Freq;
  /** epoch day of the first period (for weeks: the day the week starts) */
  start: number;
  /** periods in every series */
  length: number;
  series: DemandSeries[];
  /** what loading decided that a reader should know (duplicates summed, rows skipped, negative periods…) */
  notes: string[];
  /** where the data came from, for reports and the model card */
  source: string;
}

/**
 * The largest quantity one row may carry (returns: its negative): far above any item's units in a period,
 * and small enough that sums, scaled forecasts and rounded published figures stay finite (a row of 1e308
 * once published infinite forecasts that the forecast routes could not answer).
 */
export const MAX_SERIES_QUANTITY = 1e12;

/** The value fitting uses for an actual: demand is never negative (see the module comment). */
export { demandValue as fitValue } from '../../models/forecast/features.ts';

/** Epoch day of period `index` of a set. */
export function periodDay(set: Pick<SeriesSet, 'freq' | 'start'>, index: number): number {
  return set.start + index * (set.freq === 'day' ? 1 : 7);
}

/**
 * Totals per series per calendar day, in first-seen order of the series. Every reader fills one of these
 * and turns it into a set with `toSeriesSet`, which is where the grid, the zeros and weekly bucketing live.
 */
export class DemandTotals {
  private readonly cells = new Map<string, Map<number, number>>();

  /** Adds units to a series on a day; returns true when that (series, day) already had a value. */
  add(key: string, epochDay: number, units: number): boolean {
    let days = this.cells.get(key);
    if (days === undefined) {
      days = new Map();
      this.cells.set(key, days);
    }
    const previous = days.get(epochDay);
    days.set(epochDay, (previous ?? 0) + units);
    return previous !== undefined;
  }

  get seriesCount(): number {
    return this.cells.size;
  }

  /** Distinct days with a value, over all series. */
  days(): Set<number> {
    const all = new Set<number>();
    for (const days of this.cells.values()) for (const day of days.keys()) all.add(day);
    return all;
  }

  /**
   * The grid. For weeks, each day goes to the week starting on or before it on `weekStart` (a day of the
   * week, Monday = 0): Monday for calendar weeks, or the weekday weekly data was dated on.
   */
  toSeriesSet(freq: Freq, source: string, notes: string[], weekStart = 0): SeriesSet {
    const bucket = freq === 'day' ? (day: number) => day : (day: number) => mondayOf(day - weekStart) + weekStart;
    const step = freq === 'day' ? 1 : 7;
    let first = Infinity;
    let last = -Infinity;
    for (const days of this.cells.values()) {
      for (const day of days.keys()) {
        const period = bucket(day);
        if (period < first) first = period;
        if (period > last) last = period;
      }
    }
    if (first === Infinity) {
      throw new IobError('IOB_ERR_VALIDATION', `${source}: no demand found (no purchase events or series rows)`, [
        { path: 'file', reason: 'empty', message: 'no demand rows' },
      ]);
    }
    const length = (last - first) / step + 1;
    const series: DemandSeries[] = [];
    let negative = 0;
    for (const [key, days] of this.cells) {
      const values = new Float64Array(length);
      for (const [day, units] of days) {
        const index = (bucket(day) - first) / step;
        values[index] = (values[index] as number) + units;
      }
      for (const value of values) if (value < 0) negative++;
      series.push({ key, values });
    }
    const allNotes = [...notes];
    if (negative > 0) {
      allNotes.push(`${negative} period(s) have negative net demand (returns above sales): kept in the actuals, fitted as 0`);
    }
    return { freq, start: first, length, series, notes: allNotes, source };
  }
}

/**
 * Keeps the `count` series with the most units (net, over the whole set), in descending order of volume;
 * ties keep their original order.
 */
export function topByVolume(set: SeriesSet, count: number): SeriesSet {
  const volume = (s: DemandSeries) => s.values.reduce((sum, v) => sum + v, 0);
  const ranked = set.series
    .map((s, index) => ({ s, index, volume: volume(s) }))
    .sort((a, b) => b.volume - a.volume || a.index - b.index)
    .slice(0, count)
    .map(({ s }) => s);
  return { ...set, series: ranked, notes: [...set.notes, `kept the ${ranked.length} highest-volume of ${set.series.length} series`] };
}

// ---------------------------------------------------------------------------------------------------------
// Canonical events → item and category series

export interface EventSeriesOptions {
  freq?: Freq;
  /** `net` (default): refunds subtract units; `ignore`: refunds are left out (cancellations removed). */
  refunds?: 'net' | 'ignore';
  /** Also build a series per category (default true). */
  categories?: boolean;
}

/** Adds one canonical event to demand totals; returns false when the event carries no demand. */
export function addDemandEvent(totals: DemandTotals, event: CanonicalEvent, options: EventSeriesOptions = {}): boolean {
  const sign = event.type === 'purchase' ? 1 : event.type === 'refund' && options.refunds !== 'ignore' ? -1 : 0;
  if (sign === 0 || (event.item === undefined && event.category === undefined)) return false;
  const units = sign * (event.quantity ?? 1);
  const day = epochDayOf(event.ts);
  if (event.item !== undefined) totals.add(`item:${event.item}`, day, units);
  if (event.category !== undefined && options.categories !== false) totals.add(`category:${event.category}`, day, units);
  return true;
}

/**
 * Units per period per item and per category from a canonical event file: purchases add their quantity
 * (1 when absent), refunds subtract it. Other event types carry no demand and are ignored; bad rows are
 * skipped and counted in the notes (a training run should not die on one bad row of millions).
 */
export async function readEventSeries(path: string, options: EventSeriesOptions = {}): Promise<SeriesSet> {
  const totals = new DemandTotals();
  let demandEvents = 0;
  let badRows = 0;
  let firstBadLine = 0;
  for await (const batch of readCanonicalBatches(path)) {
    for (const record of batch) {
      if ('error' in record) {
        if (badRows++ === 0) firstBadLine = record.line;
        continue;
      }
      if (addDemandEvent(totals, record.event, options)) demandEvents++;
    }
  }
  const notes = [`${demandEvents} purchase/refund events read into ${totals.seriesCount} series`];
  if (badRows > 0) notes.push(`${badRows} bad row(s) skipped (first at line ${firstBadLine})`);
  return totals.toSeriesSet(options.freq ?? 'day', path, notes);
}

// ---------------------------------------------------------------------------------------------------------
// CSV files: a series file here, the Kaggle store-item file in real-datasets.ts

/**
 * Calls `onRecord` with each CSV record (fields, or why the line could not be split) and the line it
 * starts on, header included. A callback rather than an async iterator: an await per row would cost more
 * than parsing it on a file of a million rows.
 */
export async function forEachCsvRecord(path: string, onRecord: (fields: string[] | CsvSyntaxError, line: number) => void): Promise<void> {
  const assembler = new CsvRecordAssembler();
  let lineNumber = 0;
  for await (const block of readLineBlocks(path)) {
    let from = 0;
    while (from < block.length) {
      let to = block.indexOf('\n', from);
      if (to === -1) to = block.length;
      assembler.push(block.slice(from, to), ++lineNumber, onRecord);
      from = to + 1;
    }
  }
  assembler.finish(onRecord);
}

// ---------------------------------------------------------------------------------------------------------
// Series file: date,series,quantity

const SERIES_COLUMNS = ['date', 'series', 'quantity'] as const;

function lineError(path: string, line: number, column: string, reason: string, message: string): IobError {
  return new IobError('IOB_ERR_VALIDATION', `${path}: line ${line}: ${column} ${message}`, [
    { path: `lines.${line}.${column}`, reason, message },
  ]);
}

/**
 * A CSV of `date,series,quantity` (any column order, more columns ignored). Dates are `YYYY-MM-DD`;
 * quantities any finite number (negative = returns). Rows repeating a (date, series) are summed and
 * counted in the notes. The first unreadable row stops the read with its line number: a series file is
 * small and hand-made, and a silently skipped row would be a silently wrong forecast.
 *
 * Frequency: as given, else weekly when every date falls on the same weekday (all 7 days apart, gaps
 * allowed), else daily. Daily rows read with `freq: 'week'` are summed into Monday-to-Sunday weeks.
 */
export async function readSeriesFile(path: string, options: { freq?: Freq } = {}): Promise<SeriesSet> {
  const totals = new DemandTotals();
  let columns: Record<(typeof SERIES_COLUMNS)[number], number> | undefined;
  let rows = 0;
  let duplicates = 0;
  let firstDuplicateLine = 0;

  await forEachCsvRecord(path, (fields, line) => {
    if (fields instanceof CsvSyntaxError) throw lineError(path, line, '(row)', fields.reason, fields.message);
    if (columns === undefined) {
      const names = fields.map((name) => name.trim().toLowerCase());
      const found = Object.fromEntries(SERIES_COLUMNS.map((c) => [c, names.indexOf(c)])) as Record<(typeof SERIES_COLUMNS)[number], number>;
      const missing = SERIES_COLUMNS.filter((c) => found[c] === -1);
      if (missing.length > 0) {
        throw lineError(path, line, '(header)', 'missing_column', `lacks column(s) ${missing.join(', ')}: a series file has the header date,series,quantity${separatorHint(fields)}`);
      }
      columns = found;
      return;
    }
    const dateText = fields[columns.date];
    const key = fields[columns.series]?.trim();
    const quantityText = fields[columns.quantity]?.trim();
    if (dateText === undefined || key === undefined || quantityText === undefined) {
      throw lineError(path, line, '(row)', 'missing_field', 'has fewer fields than the header');
    }
    const day = parseDay(dateText);
    if (day === undefined) throw lineError(path, line, 'date', 'invalid_date', 'is not a date: expected YYYY-MM-DD');
    if (key === '') throw lineError(path, line, 'series', 'required', 'is empty');
    const quantity = quantityText === '' ? Number.NaN : Number(quantityText);
    if (!Number.isFinite(quantity)) throw lineError(path, line, 'quantity', 'invalid_number', 'is not a number');
    if (Math.abs(quantity) > MAX_SERIES_QUANTITY) {
      throw lineError(path, line, 'quantity', 'out_of_range', `must be between -${MAX_SERIES_QUANTITY.toLocaleString('en-US')} and ${MAX_SERIES_QUANTITY.toLocaleString('en-US')}`);
    }
    rows++;
    if (totals.add(key, day, quantity) && duplicates++ === 0) firstDuplicateLine = line;
  });
  if (columns === undefined) throw lineError(path, 1, '(header)', 'empty', 'is missing: the file is empty');

  const days = totals.days();
  const notes = [`${rows} rows read into ${totals.seriesCount} series`];
  if (duplicates > 0) notes.push(`${duplicates} duplicate (date, series) row(s) summed (first at line ${firstDuplicateLine})`);
  const detected = detectFreq(days);
  const freq = options.freq ?? detected;
  if (options.freq === undefined && freq === 'week') notes.push('weekly frequency detected (all dates 7 days apart)');
  if (freq === 'day' && detected === 'week' && options.freq === 'day') {
    notes.push('dates look weekly but daily frequency was asked for: the days between are zeros');
  }
  // Weekly data keeps the weekday it is dated on; daily data summed into weeks uses calendar weeks.
  const weekStart = detected === 'week' ? dayOfWeek(days.values().next().value as number) : 0;
  return totals.toSeriesSet(freq, path, notes, weekStart);
}

/** Weekly when there are at least two dates and all fall on the same weekday; daily otherwise. */
export function detectFreq(days: Iterable<number>): Freq {
  let weekday: number | undefined;
  let distinct = 0;
  for (const day of days) {
    distinct++;
    const dow = dayOfWeek(day);
    if (weekday === undefined) weekday = dow;
    else if (dow !== weekday) return 'day';
  }
  return distinct >= 2 ? 'week' : 'day';
}
