/**
 * Real data: the offers loader sessionizes the Taobao sample exactly as the engine's feature store does —
 * for every one of the 611 subjects, the number of sessions the loader finds in the 30 days before the
 * subject's last event equals the store's `subject.sessions_30d` at that time (point-in-time rows).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONVERTERS, createCanonicalWriter } from '../../datasets/index.ts';
import { buildPointInTimeRows, type FeatureEvent, type LabelRow } from '../../engine/index.ts';
import { loadSessionLog } from '../../training/offers/sessions.ts';

const TAOBAO = fileURLToPath(new URL('../../../shared/data/taobao-userbehavior/UserBehavior_sample.csv', import.meta.url));
const DAY = 86_400_000;

test('Taobao sample: loader sessions equal the feature store’s session starts for every subject', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'offers-taobao-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'taobao.csv');
  const writer = createCanonicalWriter(file);
  const events: FeatureEvent[] = [];
  for await (const e of CONVERTERS.taobao.convert(TAOBAO)) {
    await writer.write(e);
    events.push({ ts: e.ts, sid: e.subject, type: e.type, ...(e.item ? { item: e.item } : {}) });
  }
  await writer.close();

  const log = await loadSessionLog(file);
  assert.equal(log.events, 65_027);
  assert.equal(new Set(log.sessions.map((s) => s.subject)).size, 611);

  const last = new Map<string, number>();
  for (const e of events) last.set(e.sid, Math.max(last.get(e.sid) ?? 0, e.ts));
  const labels: LabelRow[] = [...last].map(([subject, ts]) => ({ subject, ts: ts + 1 }));
  const rows = buildPointInTimeRows(events, labels);
  const column = rows.columns.indexOf('subject.sessions_30d');
  assert.ok(column >= 0);
  const mismatches = labels.flatMap((label, i) => {
    const ours = log.sessions.filter((s) => s.subject === label.subject && s.start > label.ts - 30 * DAY).length;
    const store = rows.row(i)[column];
    return ours === store ? [] : [`${label.subject}: loader ${ours}, store ${store}`];
  });
  assert.deepEqual(mismatches, []);
  assert.ok(log.sessions.length > 10_000, `${log.sessions.length} sessions`);
});
