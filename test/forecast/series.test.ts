import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { IobError } from '../../engine/index.ts';
import { formatDay, parseDay } from '../../models/forecast/calendar.ts';
import { detectFreq, readEventSeries, readSeriesFile, topByVolume, type SeriesSet } from '../../training/forecast/series.ts';

async function tempFile(t: TestContext, name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iob-series-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const valuesOf = (set: SeriesSet, key: string) => Array.from(set.series.find((s) => s.key === key)?.values ?? []);

test('a series file: missing days are zeros, duplicates are summed and reported with their line', async (t) => {
  const path = await tempFile(t, 's.csv', 'date,series,quantity\n2024-03-01,A,2\n2024-03-04,A,1\n2024-03-02,B,5\n2024-03-04,A,3\n2024-03-04,"B, large",1.5\n');
  const set = await readSeriesFile(path);
  assert.equal(set.freq, 'day');
  assert.equal(formatDay(set.start), '2024-03-01');
  assert.equal(set.length, 4);
  assert.deepEqual(valuesOf(set, 'A'), [2, 0, 0, 4]);
  assert.deepEqual(valuesOf(set, 'B'), [0, 5, 0, 0]);
  assert.deepEqual(valuesOf(set, 'B, large'), [0, 0, 0, 1.5]);
  assert.ok(set.notes.some((n) => /1 duplicate .* summed \(first at line 5\)/.test(n)), set.notes.join(' | '));
});

test('an unparsable date names its line and column, and does not echo the value', async (t) => {
  const path = await tempFile(t, 'bad.csv', 'date,series,quantity\n2024-03-01,A,2\n2024-02-30,A,1\n');
  await assert.rejects(readSeriesFile(path), (err: unknown) => {
    assert.ok(err instanceof IobError);
    assert.equal(err.code, 'IOB_ERR_VALIDATION');
    assert.match(err.message, /line 3: date is not a date/);
    assert.ok(!err.message.includes('2024-02-30'));
    assert.equal(err.problems[0]?.path, 'lines.3.date');
    return true;
  });
});

test('a bad quantity or a missing column is a clear error', async (t) => {
  const quantity = await tempFile(t, 'q.csv', 'date,series,quantity\n2024-03-01,A,lots\n');
  await assert.rejects(readSeriesFile(quantity), /line 2: quantity is not a number/);
  // finite but beyond any period's units: it would publish infinite forecasts
  const huge = await tempFile(t, 'u.csv', 'date,series,quantity\n2024-03-01,A,1\n2024-03-02,A,1e308\n');
  await assert.rejects(readSeriesFile(huge), /line 3: quantity must be between/);
  const header = await tempFile(t, 'h.csv', 'day,series,units\n2024-03-01,A,1\n');
  await assert.rejects(readSeriesFile(header), /lacks column\(s\) date, quantity/);
});

test('weekly data is detected when all dates fall 7 days apart; gaps become zero weeks', async (t) => {
  const path = await tempFile(t, 'w.csv', 'series,date,quantity\nA,2024-01-07,3\nA,2024-01-14,4\nA,2024-01-28,6\nB,2024-01-14,1\n');
  const set = await readSeriesFile(path);
  assert.equal(set.freq, 'week');
  assert.equal(formatDay(set.start), '2024-01-07'); // weeks keep the weekday the data is dated on (Sunday)
  assert.deepEqual(valuesOf(set, 'A'), [3, 4, 0, 6]);
  assert.deepEqual(valuesOf(set, 'B'), [0, 1, 0, 0]);
  assert.ok(set.notes.some((n) => n.includes('weekly frequency detected')));
});

test('daily rows read as weekly are summed into Monday-to-Sunday weeks', async (t) => {
  const path = await tempFile(t, 'd.csv', 'date,series,quantity\n2024-01-01,A,1\n2024-01-07,A,2\n2024-01-08,A,4\n');
  const set = await readSeriesFile(path, { freq: 'week' });
  assert.equal(formatDay(set.start), '2024-01-01');
  assert.deepEqual(valuesOf(set, 'A'), [3, 4]);
});

test('frequency detection', () => {
  const days = (...dates: string[]) => dates.map((d) => parseDay(d) as number);
  assert.equal(detectFreq(days('2024-01-01', '2024-01-08', '2024-02-05')), 'week');
  assert.equal(detectFreq(days('2024-01-01', '2024-01-02')), 'day');
  assert.equal(detectFreq(days('2024-01-01')), 'day');
});

test('canonical events: purchases add (quantity 1 by default), refunds subtract, per item and per category', async (t) => {
  const path = await tempFile(
    t,
    'events.csv',
    [
      'id,ts,subject,session,type,item,category,price,quantity',
      'e1,2024-01-01T10:00:00Z,u1,,purchase,A,toys,1.5,2',
      'e2,2024-01-01T23:59:00Z,u2,,purchase,A,toys,1.5,',
      'e3,2024-01-03T09:00:00Z,u1,,refund,A,toys,1.5,4',
      'e4,2024-01-03T09:00:00Z,u1,,view,B,toys,,',
      'e5,2024-01-03T10:00:00Z,u3,,purchase,B,books,,5',
      'e6,not-a-time,u3,,purchase,B,books,,5',
    ].join('\n'),
  );
  const set = await readEventSeries(path);
  assert.equal(set.length, 3);
  assert.deepEqual(valuesOf(set, 'item:A'), [3, 0, -4]);
  assert.deepEqual(valuesOf(set, 'category:toys'), [3, 0, -4]);
  assert.deepEqual(valuesOf(set, 'item:B'), [0, 0, 5]);
  assert.ok(set.notes.some((n) => n.includes('negative net demand')));
  assert.ok(set.notes.some((n) => n.includes('1 bad row(s) skipped (first at line 7)')));
  const weekly = await readEventSeries(path, { freq: 'week', refunds: 'ignore' });
  assert.deepEqual(valuesOf(weekly, 'item:A'), [3]);
});

test('an all-zero series is kept; the highest-volume series can be selected', async (t) => {
  const path = await tempFile(t, 'z.csv', 'date,series,quantity\n2024-01-01,Z,0\n2024-01-02,A,1\n2024-01-03,B,7\n');
  const set = await readSeriesFile(path);
  assert.deepEqual(valuesOf(set, 'Z'), [0, 0, 0]);
  assert.deepEqual(topByVolume(set, 2).series.map((s) => s.key), ['B', 'A']);
});
