/**
 * The pipeline against the statsmodels reference figures of the issue (last 28 days held out): series
 * loading, the holdout split and the baselines together. Skips when ../shared/data is not there.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDay } from '../../models/forecast/calendar.ts';
import { evaluateOrigin } from '../../training/forecast/evaluate.ts';
import { loadRealDataset, sharedDataDir, type RealDatasetName } from '../../training/forecast/real-datasets.ts';

const H = 28;
const dataDir = sharedDataDir();

/** statsmodels WAPE on the same split (issue 7). Our ETS may do better (see the report), not worse. */
const REFERENCE: Record<RealDatasetName, { snaive: number; ets: number; mean: number; series: number; days: number; start: string }> = {
  'store-item-demand': { snaive: 0.289, ets: 0.227, mean: 0.219, series: 100, days: 1826, start: '2013-01-01' },
  'uci-online-retail': { snaive: 1.07, ets: 1.005, mean: 0.958, series: 300, days: 374, start: '2010-12-01' },
};

for (const name of Object.keys(REFERENCE) as RealDatasetName[]) {
  const present = existsSync(join(dataDir, name));
  test(`${name}: series as the quality bar defines them, baselines near the statsmodels reference`, { skip: present ? false : `${dataDir}/${name} not found` }, async () => {
    const ref = REFERENCE[name];
    const set = await loadRealDataset(name, dataDir);
    assert.equal(set.series.length, ref.series);
    assert.equal(set.length, ref.days);
    assert.equal(formatDay(set.start), ref.start);
    const { accuracy } = evaluateOrigin(set, set.length - H, H, undefined);
    const wape = (m: 'snaive' | 'ets' | 'mean') => accuracy[m]?.wape as number;
    assert.ok(Math.abs(wape('snaive') - ref.snaive) < 0.01, `snaive ${wape('snaive')} vs ${ref.snaive}`);
    assert.ok(Math.abs(wape('mean') - ref.mean) < 0.01, `mean ${wape('mean')} vs ${ref.mean}`);
    assert.ok(wape('ets') < ref.ets + 0.01, `ets ${wape('ets')} vs ${ref.ets}`);
  });
}
