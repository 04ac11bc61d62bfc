import assert from 'node:assert/strict';
import { test } from 'node:test';
import { theilSenTrend } from '../../bench/trend.ts';

test('a flat series with one bad minute and a low first minute has no trend; first-to-last would say +40 %', () => {
  const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const p99 = [15, 21, 19, 20, 22, 90, 20, 19, 21, 21];
  const t = theilSenTrend(minutes, p99);
  assert.ok(Math.abs(t.growthPct) < 15, `growth ${t.growthPct}`);
});

test('a steady leak is measured as such', () => {
  const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const rss = minutes.map((m) => 300 + 5 * m + (m % 3) - 1);
  const t = theilSenTrend(minutes, rss);
  assert.ok(Math.abs(t.slopePerMinute - 5) < 0.6, `slope ${t.slopePerMinute}`);
  assert.ok(t.growthPct > 12 && t.growthPct < 16, `growth ${t.growthPct}`);
});

test('a trend needs values', () => {
  assert.throws(() => theilSenTrend([], []), /at least one/);
  assert.equal(theilSenTrend([1], [5]).growthPct, 0);
});
