/** A tiny trained forecast model in a temp registry, and the series it forecasts, for refresh/API/browser tests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { formatDay, parseDay } from '../../models/forecast/calendar.ts';
import { readSeriesFile, type SeriesSet } from '../../training/forecast/series.ts';
import { runTrainForecast } from '../../training/forecast/train-forecast.ts';

export const FIXTURE_HORIZON = 14;
export const FIXTURE_START = '2024-01-01';
const TINY = { hidden: [16], members: 1, maxEpochs: 2, maxRows: 2000, batchSize: 128, validationOrigins: 7 };

/** Daily weekly-patterned series: items sku-0..sku-(n-1) in categories shoes / bags, plus the category totals. */
export function fixtureCsv(items = 6, days = 150): string {
  const start = parseDay(FIXTURE_START) as number;
  const lines = ['date,series,quantity'];
  const totals = new Map<string, number[]>();
  for (let s = 0; s < items; s++) {
    const category = s % 2 === 0 ? 'shoes' : 'bags';
    const row = totals.get(category) ?? new Array<number>(days).fill(0);
    totals.set(category, row);
    for (let t = 0; t < days; t++) {
      const trend = s === 1 ? 1 + t / 60 : 1; // sku-1 grows: the biggest mover
      const value = Math.round((4 + 3 * s) * trend * (1 + 0.5 * Math.sin((2 * Math.PI * t) / 7)) + ((t * 31 + s * 17) % 4));
      row[t] = (row[t] as number) + value;
      lines.push(`${formatDay(start + t)},item:sku-${s},${value}`);
    }
  }
  for (const [category, row] of totals) row.forEach((v, t) => lines.push(`${formatDay(start + t)},category:${category},${v}`));
  return `${lines.join('\n')}\n`;
}

export interface ForecastFixture {
  dir: string;
  registryDir: string;
  seriesPath: string;
  set: SeriesSet;
  version: string;
}

export async function trainedFixture(t: TestContext): Promise<ForecastFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'iob-forecast-fixture-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const seriesPath = join(dir, 'series.csv');
  await writeFile(seriesPath, fixtureCsv());
  const registryDir = join(dir, 'models');
  const summary = await runTrainForecast({ series: seriesPath, horizon: FIXTURE_HORIZON, seed: 3, reportsDir: join(dir, 'reports'), registryDir, hyperparameters: TINY });
  return { dir, registryDir, seriesPath, set: await readSeriesFile(seriesPath), version: summary.version };
}
