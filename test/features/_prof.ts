import { generateBehavior } from '../../datasets/generate.ts';
import { createPseudonymizer, FeatureStore, SUBJECT_VIEW, type FeatureEvent } from '../../engine/index.ts';
const p = createPseudonymizer('k'.repeat(32));
const events: FeatureEvent[] = [];
for (const e of generateBehavior({ subjects: 20000, days: 7, seed: 3, end: Date.UTC(2024, 5, 1) })) {
  events.push({ ts: e.ts, sid: p('subject', e.subject), ssid: e.session ? p('session', e.session) : undefined, type: e.type, item: e.item, category: e.category, price: e.price, quantity: e.quantity });
}
const mode = process.argv[2];
const store = new FeatureStore(process.argv[3] === 'subject' ? { views: [SUBJECT_VIEW] } : {});
for (let round = 0; round < (mode === 'read' ? 1 : 6); round++) {
  const store = new FeatureStore(process.argv[3] === 'subject' ? { views: [SUBJECT_VIEW] } : {});
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) store.apply(events[i]!, i + 1);
  console.log('apply/s', Math.round(events.length / (performance.now() - t0) * 1000));
}
for (let i = 0; i < events.length; i++) store.apply(events[i]!, i + 1);
if (mode === 'read') {
  const keys = store.keys('subject');
  const out = new Float32Array(16);
  const at = store.watermark;
  for (let round = 0; round < 5; round++) {
    const t2 = performance.now();
    let x = 0;
    for (let r = 0; r < 1_000_000; r++) { store.readInto(out, 0, 'subject', keys[r % keys.length]!, at); x += out[0]!; }
    console.log('readInto ns', ((performance.now() - t2)).toFixed(0));
  }
}
