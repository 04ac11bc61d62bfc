import { generateBehavior } from '../../datasets/generate.ts';
import { createPseudonymizer, FeatureStore, type FeatureEvent } from '../../engine/index.ts';
const p = createPseudonymizer('k'.repeat(32));
const events: FeatureEvent[] = [];
for (const e of generateBehavior({ subjects: 20000, days: 7, seed: 3, end: Date.UTC(2024, 5, 1) })) {
  events.push({ ts: e.ts, sid: p('subject', e.subject), ssid: e.session ? p('session', e.session) : undefined, type: e.type, item: e.item, category: e.category, price: e.price, quantity: e.quantity });
}
const store = new FeatureStore();
for (let i = 0; i < events.length; i++) store.apply(events[i]!, i + 1);
const keys = store.keys('subject');
const st: any = (store as any).subjectState;
let tiles = 0, members = 0;
for (const k of keys) { const slot = st.find(k); const base2 = 2 * slot * (st.keys.stride>>1); tiles += st.tiles.length(st.keys.i, base2 + st.layout.tileRef); members += st.members[0].length(st.keys.i, base2 + st.layout.memberRefs[0]); }
console.log('subjects', keys.length, 'tiles/subject', (tiles / keys.length).toFixed(1), 'members/subject', (members / keys.length).toFixed(1));
const out = new Float32Array(16);
const at = store.watermark;
const inputs = new Float64Array(40);
for (let round = 0; round < 3; round++) {
  let t = performance.now(); let c = process.cpuUsage();
  for (let r = 0; r < 1_000_000; r++) store.readInto(out, 0, 'subject', keys[r % keys.length]!, at);
  console.log('readInto ns', (performance.now() - t).toFixed(0), 'cpu', (process.cpuUsage(c).user/1000).toFixed(0));
  t = performance.now(); c = process.cpuUsage();
  for (let r = 0; r < 1_000_000; r++) st.find(keys[r % keys.length]!);
  console.log('find ns', (performance.now() - t).toFixed(0), 'cpu', (process.cpuUsage(c).user/1000).toFixed(0));
  const slots = keys.map((k) => st.find(k));
  t = performance.now(); c = process.cpuUsage();
  for (let r = 0; r < 1_000_000; r++) st.fillInputs(slots[r % slots.length], at, inputs);
  console.log('fillInputs ns', (performance.now() - t).toFixed(0), 'cpu', (process.cpuUsage(c).user/1000).toFixed(0));
  const ev = (store as any).resolve('subject').views[0].evaluators;
  t = performance.now(); c = process.cpuUsage();
  for (let r = 0; r < 1_000_000; r++) for (let j = 0; j < ev.length; j++) out[j] = ev[j](inputs);
  console.log('evaluators ns', (performance.now() - t).toFixed(0), 'cpu', (process.cpuUsage(c).user/1000).toFixed(0));
}
{
  const slots = keys.map((k) => st.find(k));
  const hi = st.keys.i;
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    for (let r = 0; r < 1_000_000; r++) { const slot = slots[r % slots.length]; st.sumWindows(hi, 2 * (slot * (st.keys.stride>>1) + 4) + st.layout.tileRef, at, inputs); }
    console.log('sumWindows ns', (performance.now() - t).toFixed(0));
    t = performance.now();
    let x = 0;
    const m = st.members[0];
    for (let r = 0; r < 1_000_000; r++) { const slot = slots[r % slots.length]; const a = 2 * (slot * (st.keys.stride>>1) + 4) + st.layout.memberRefs[0]; const n = m.length(hi, a); const off = m.start(hi, a); for (let rec = off; rec < off + n; rec++) if (m.ints[rec * 2 + 1] >= 19870) x++; }
    console.log('members ns', (performance.now() - t).toFixed(0), x > 0);
    t = performance.now();
    for (let r = 0; r < 1_000_000; r++) { x += slots[r % slots.length]; }
    console.log('loop ns', (performance.now() - t).toFixed(0), x > 0);
  }
}
