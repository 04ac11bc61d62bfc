/**
 * Real data: on the Taobao sample, point-in-time rows at random label times equal the naive reference for
 * every default feature.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONVERTERS } from '../../datasets/index.ts';
import { buildPointInTimeRows, DEFAULT_HISTORIES, DEFAULT_VIEWS, sessionKey, type FeatureEvent, type LabelRow } from '../../engine/index.ts';
import { ReferenceStore } from './reference.ts';

const TAOBAO = fileURLToPath(new URL('../../../shared/data/taobao-userbehavior/UserBehavior_sample.csv', import.meta.url));
const HOUR = 3_600_000;

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('Taobao sample: features build at random label times equals the reference for every default feature', async () => {
  const events: FeatureEvent[] = [];
  for await (const e of CONVERTERS.taobao.convert(TAOBAO)) {
    const fe: FeatureEvent = { ts: e.ts, sid: e.subject, type: e.type };
    if (e.item !== undefined) fe.item = e.item;
    if (e.category !== undefined) fe.category = e.category;
    events.push(fe);
  }
  assert.equal(events.length, 65_027);

  const random = mulberry32(20261129);
  const labels: LabelRow[] = Array.from({ length: 40 }, () => {
    const anchor = events[Math.floor(random() * events.length)]!;
    // Label times around real activity (up to 2 h after an event of the subject), so windows are non-empty.
    return { subject: anchor.sid, ts: anchor.ts + Math.floor(random() * 2 * HOUR), ...(random() < 0.5 && anchor.item ? { item: anchor.item } : {}) };
  });
  const rows = buildPointInTimeRows(events, labels);

  const sorted = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.ts - b.e.ts || a.i - b.i);
  let nonZero = 0;
  labels.forEach((label, i) => {
    const ref = new ReferenceStore({ views: DEFAULT_VIEWS, histories: DEFAULT_HISTORIES, latenessMs: HOUR, gapMs: 30 * 60_000 });
    let category: string | undefined;
    let seq = 0;
    for (const { e } of sorted) {
      if (e.ts > label.ts) break;
      ref.apply(e, ++seq);
      if (label.item && e.item === label.item && e.category) category = e.category;
    }
    const want = [
      ...ref.read('subject', label.subject, label.ts),
      ...ref.read('session', sessionKey(label.subject, label.session), label.ts),
      ...(label.item ? ref.read('item', label.item, label.ts) : ref.names('item').map(() => 0)),
      ...(category ? ref.read('category', category, label.ts) : ref.names('category').map(() => 0)),
    ];
    const got = Array.from(rows.row(i));
    const diff = rows.columns.flatMap((n, j) => (Object.is(got[j], want[j]) ? [] : [`${n}: built ${got[j]} reference ${want[j]}`]));
    assert.deepEqual(diff, [], `label ${i}`);
    if (got.some((v) => v !== 0)) nonZero++;
  });
  assert.ok(nonZero >= 30, `most rows carry signal (${nonZero} of ${labels.length})`);
});
