import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { IobError } from '../../engine/index.ts';
import { formatDay, parseDay } from '../../models/forecast/calendar.ts';
import { loadForecaster } from '../../models/forecast/load.ts';
import { runTrainForecast } from '../../training/forecast/train-forecast.ts';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iob-train-forecast-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `series` weekly-patterned daily series over `days` days as a date,series,quantity file. */
function seriesFile(series: number, days: number, stepDays = 1): string {
  const start = parseDay('2023-01-02') as number;
  const lines = ['date,series,quantity'];
  for (let s = 0; s < series; s++) {
    for (let t = 0; t < days; t++) {
      const level = 5 + 3 * s;
      const value = Math.round(level * (1 + 0.5 * Math.sin((2 * Math.PI * t) / 7)) + ((t * 31 + s * 17) % 5));
      lines.push(`${formatDay(start + t * stepDays)},item-${s},${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const TINY = { hidden: [16], members: 1, maxEpochs: 2, maxRows: 3000, batchSize: 128, validationOrigins: 7 };

test('runTrainForecast: holdout metrics for model and baselines, a backtest, a saved model and an HTML report', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'series.csv');
  // Beside 8 regular series: one that never sold, one launched 10 days before the end, one with a return.
  const extra = ['2023-01-02,never-sold,0', '2023-06-21,new-item,4', '2023-06-25,new-item,2', '2023-03-01,returns,-3', '2023-03-02,returns,5'];
  await writeFile(file, seriesFile(8, 180) + `${extra.join('\n')}\n`);
  const lines: string[] = [];
  const summary = await runTrainForecast(
    { series: file, horizon: 14, backtests: 2, seed: 1, reportsDir: join(dir, 'reports'), registryDir: join(dir, 'models'), hyperparameters: TINY },
    (line) => lines.push(line),
  );
  assert.equal(summary.task, 'forecast');
  for (const m of [summary.model, summary.baselines.snaive, summary.baselines.ets, summary.baselines.mean]) {
    assert.ok(m.wape >= 0 && m.coverage_80 >= 0 && m.coverage_80 <= 1 && Number.isFinite(m.pinball.p50));
  }
  assert.deepEqual(summary.split.holdout, { from: '2023-06-17', to: '2023-06-30' });
  assert.equal(summary.split.fit.to, '2023-06-16');
  assert.equal(summary.backtest?.windows, 2);
  assert.equal(summary.backtest?.folds[1]?.from, '2023-06-03');
  assert.match(summary.version, /^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  assert.equal(summary.modelDir, join(dir, 'models', 'forecast', summary.version));
  assert.equal(summary.promoted, true); // the first version of a task serves
  assert.equal(JSON.parse(await readFile(join(dir, 'models', 'forecast', 'SERVING.json'), 'utf8')).version, summary.version);
  assert.ok(lines.some((l) => l.startsWith('holdout WAPE model')));
  assert.ok(lines.some((l) => l.includes('1 period(s) have negative net demand')));

  const html = await readFile(summary.report, 'utf8');
  assert.ok(html.includes('<svg') && html.includes('Rolling-origin backtest') && !/https?:\/\/(?!www\.w3\.org)/.test(html));
  const { card, forecaster } = await loadForecaster(summary.modelDir);
  assert.deepEqual(card.purposes, ['forecasting']);
  assert.equal(card.metrics.model.wape, summary.model.wape);
  assert.equal(forecaster.horizon, 14);
  await access(join(summary.modelDir, 'weights.bin'));
});

test('weekly series are detected and forecast with a season of 52', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'weekly.csv');
  await writeFile(file, seriesFile(6, 60, 7));
  const summary = await runTrainForecast({ series: file, horizon: 8, reportsDir: join(dir, 'r'), registryDir: join(dir, 'm'), hyperparameters: TINY });
  assert.equal(summary.split.freq, 'week');
  assert.equal(summary.split.periods, 60);
});

test('bad options and too-short histories are clear validation errors', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'short.csv');
  await writeFile(file, seriesFile(2, 20));
  await assert.rejects(runTrainForecast({ series: file, horizon: 14 }), (err: unknown) => err instanceof IobError && /need at least 29 days/.test(err.message));
  await assert.rejects(runTrainForecast({ series: file, horizon: 40 }), (err: unknown) => err instanceof IobError && /1\.\.28 days/.test(err.message));
  await assert.rejects(runTrainForecast({ horizon: 7 }), (err: unknown) => err instanceof IobError && /exactly one of --events, --series or --dataset/.test(err.message));
  // Option errors name the command line's flags.
  await assert.rejects(runTrainForecast({ series: file, horizon: 0, freq: 'month' as 'day' }), (err: unknown) => {
    assert.ok(err instanceof IobError);
    assert.deepEqual(err.problems.map((p) => p.path).sort(), ['--freq', '--horizon']);
    assert.match(err.message, /--horizon .*; --freq /);
    return true;
  });
});
