/**
 * Periods of a demand series as integers: a day is its UTC epoch day (days since 1970-01-01), a week is the
 * epoch day it starts on. Integers rather than Dates because every series, feature and chart walks the
 * same grid, and integer steps cannot drift across daylight-saving changes.
 */

export type Freq = 'day' | 'week';

export const MS_PER_DAY = 86_400_000;

/** Days between consecutive periods. */
export function periodDays(freq: Freq): number {
  return freq === 'day' ? 1 : 7;
}

/** The season a baseline repeats: a week of days, or a year of weeks. */
export function seasonLength(freq: Freq): number {
  return freq === 'day' ? 7 : 52;
}

/** The UTC epoch day a timestamp (epoch ms) falls on. */
export function epochDayOf(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

/** Day of the week, Monday = 0 … Sunday = 6 (epoch day 0, 1970-01-01, was a Thursday). */
export function dayOfWeek(epochDay: number): number {
  return (((epochDay + 3) % 7) + 7) % 7;
}

/** The Monday on or before an epoch day: where a calendar week (ISO) starts. */
export function mondayOf(epochDay: number): number {
  return epochDay - dayOfWeek(epochDay);
}

/** Fraction of the year elapsed (0 ≤ x < 1) at an epoch day: the phase of yearly seasonality. */
export function yearPhase(epochDay: number): number {
  const date = new Date(epochDay * MS_PER_DAY);
  const year = date.getUTCFullYear();
  const start = Date.UTC(year, 0, 1) / MS_PER_DAY;
  const length = Date.UTC(year + 1, 0, 1) / MS_PER_DAY - start;
  return (epochDay - start) / length;
}

/** `YYYY-MM-DD` of an epoch day. */
export function formatDay(epochDay: number): string {
  return new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 10);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The epoch day of `YYYY-MM-DD` (a time part, if any, is ignored: series are per calendar day), or
 * undefined when the text is not a real date. Hand-parsed because `Date.parse` reads 2021-02-30 as March 2.
 */
export function parseDay(text: string): number | undefined {
  const m = DATE.exec(text.trim());
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  const ms = Date.UTC(year, month - 1, day);
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms / MS_PER_DAY;
}
