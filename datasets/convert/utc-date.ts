/**
 * Calendar dates and times in public datasets, read as UTC epoch milliseconds. Every parser returns NaN
 * for text that is not in its form or names a moment that does not exist (31 April, 24:00), so a
 * converter can count the row as malformed instead of shifting it to another day.
 */

/** Calendar fields (month 1–12) as UTC epoch ms; NaN when any is out of range. */
export function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return new Date(epoch).getUTCDate() === day ? epoch : Number.NaN; // no 31 April
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/** `2014-04-07T10:51:09.277Z` (fraction optional, up to milliseconds; the zone must be Z). */
export function parseIsoUtc(text: string): number {
  const m = ISO_UTC.exec(text);
  if (m === null) return Number.NaN;
  const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  return utcMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), fraction);
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2016-05-09`: the day's first millisecond. */
export function parseIsoDay(text: string): number {
  const m = ISO_DAY.exec(text);
  return m === null ? Number.NaN : utcMs(Number(m[1]), Number(m[2]), Number(m[3]));
}
