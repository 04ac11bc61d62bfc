/**
 * Feature store figures, measured side by side in one run:
 *   - online updates/s: FeatureStore.apply over a realistic, time-ordered stream (generateBehavior: sessions
 *     of views, cart adds and purchases; HMAC-pseudonymized ids as the stream carries them), all default
 *     views, one core (JS runs the store on one thread);
 *   - point-in-time replay: buildPointInTimeRows over the same events with labels at random event times;
 *   - bytes of state per subject at 1M subjects (default subject views): heap + array buffers after GC, minus
 *     the same before, divided by the subjects. Generating 1M subjects' behavior directly would take
 *     minutes, so each synthetic subject replays one generated subject's two days (a template: 1–3 visits,
 *     median ~9 events, mostly views), shifted to a random start within the last 28 days, with its own ids;
 *     the streams are merged into one time-ordered stream;
 *   - the time of one feature-vector read of a subject, into a reused array and allocating one.
 *
 * Run: node --expose-gc --import tsx bench/features.bench.ts [subjects] (or `iob bench features` once
 * registered in bench/run.ts). Without --expose-gc it enables GC through v8 flags.
 */
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateBehavior } from '../datasets/generate.ts';
import {
  buildPointInTimeRows,
  createPseudonymizer,
  FeatureStore,
  SUBJECT_VIEW,
  type FeatureEvent,
  type LabelRow,
} from '../engine/index.ts';
import type { BenchReport } from './ingest.bench.ts';

export interface FeaturesBenchOptions {
  /** subjects for the bytes-per-subject measurement (default 1M) */
  subjects: number;
  /** generated subjects for the realistic stream (7 days; ~16 events each) */
  streamSubjects: number;
  /** label rows for the point-in-time replay */
  labels: number;
  /** reads timed */
  reads: number;
}

const DAY = 86_400_000;
const END = Date.UTC(2024, 5, 1);

function collectGarbage(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const heapBytes = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** A realistic stream as the store receives it: time-ordered, pseudonymous ids. */
function realisticStream(subjects: number): FeatureEvent[] {
  const pseudonymize = createPseudonymizer(randomBytes(32));
  const events: FeatureEvent[] = [];
  for (const e of generateBehavior({ subjects, days: 7, seed: 11, end: END })) {
    const event: FeatureEvent = { ts: e.ts, sid: pseudonymize('subject', e.subject), type: e.type };
    if (e.session) event.ssid = pseudonymize('session', e.session);
    if (e.item) event.item = e.item;
    if (e.category) event.category = e.category;
    if (e.price !== undefined) event.price = e.price;
    if (e.quantity !== undefined) event.quantity = e.quantity;
    events.push(event);
  }
  return events;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function timeApply(events: readonly FeatureEvent[], make: () => FeatureStore, runs = 3): number {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const store = make();
    const t0 = performance.now();
    for (let i = 0; i < events.length; i++) store.apply(events[i]!, i + 1);
    rates.push(events.length / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

interface Template {
  dt: Float64Array;
  events: FeatureEvent[];
}

/** One generated subject's events relative to its first, as templates for synthetic subjects. */
function templates(): { list: Template[]; meanEvents: number; medianEvents: number; meanSessions: number } {
  const bySubject = new Map<string, { events: FeatureEvent[]; sessions: Set<string> }>();
  for (const e of generateBehavior({ subjects: 20_000, days: 2, seed: 5, end: END })) {
    let s = bySubject.get(e.subject);
    if (!s) bySubject.set(e.subject, (s = { events: [], sessions: new Set() }));
    const event: FeatureEvent = { ts: e.ts, sid: '', type: e.type, ssid: e.session ?? '' };
    if (e.item) event.item = e.item;
    if (e.category) event.category = e.category;
    if (e.price !== undefined) event.price = e.price;
    if (e.quantity !== undefined) event.quantity = e.quantity;
    s.events.push(event);
    s.sessions.add(e.session ?? '');
  }
  const list = [...bySubject.values()].map(({ events }) => ({ dt: Float64Array.from(events, (e) => e.ts - events[0]!.ts), events }));
  const sizes = list.map((t) => t.events.length);
  const sessions = [...bySubject.values()].reduce((n, s) => n + s.sessions.size, 0);
  return { list, meanEvents: sizes.reduce((a, b) => a + b, 0) / sizes.length, medianEvents: median(sizes), meanSessions: sessions / list.length };
}

/** 22-character ids shaped like the engine's pseudonyms. */
function fakePseudonym(i: number, salt: number): string {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(i, 0);
  b.writeUInt32LE(salt, 4);
  b.writeUInt32LE(Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0, 8);
  b.writeUInt32LE(Math.imul(i + salt, 0xc2b2ae35) >>> 0, 12);
  return b.toString('base64url');
}

/**
 * Applies `subjects` synthetic subjects (template behavior, random start in the last 28 days) to `store`
 * in one time-ordered stream: a binary heap over each subject's next event time.
 */
function applySyntheticSubjects(store: FeatureStore, subjects: number, list: Template[], sids: string[]): number {
  const tpl = new Int32Array(subjects);
  const pos = new Int32Array(subjects);
  const start = new Float64Array(subjects);
  const heap = new Int32Array(subjects);
  const key = new Float64Array(subjects);
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let s = 0; s < subjects; s++) {
    tpl[s] = Math.floor(rand() * list.length);
    start[s] = END - 30 * DAY + Math.floor(rand() * 28 * DAY);
  }
  let size = 0;
  const push = (s: number, k: number) => {
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (key[p]! <= k) break;
      heap[i] = heap[p]!;
      key[i] = key[p]!;
      i = p;
    }
    heap[i] = s;
    key[i] = k;
  };
  const pop = () => {
    const top = heap[0]!;
    const s = heap[--size]!;
    const k = key[size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && key[c + 1]! < key[c]!) c++;
      if (key[c]! >= k) break;
      heap[i] = heap[c]!;
      key[i] = key[c]!;
      i = c;
    }
    heap[i] = s;
    key[i] = k;
    return top;
  };
  for (let s = 0; s < subjects; s++) push(s, start[s]!);
  let seq = 0;
  while (size > 0) {
    const s = pop();
    const t = list[tpl[s]!]!;
    const p = pos[s]!;
    const e = t.events[p]!;
    const ssidIndex = e.ssid ? Number(e.ssid.slice(e.ssid.lastIndexOf('-') + 1)) : -1;
    const event: FeatureEvent = { ...e, ts: start[s]! + t.dt[p]!, sid: sids[s]! };
    if (ssidIndex >= 0) event.ssid = sids[s]!.slice(0, 19) + String(ssidIndex).padStart(3, '0');
    else delete event.ssid;
    store.apply(event, ++seq);
    if (p + 1 < t.events.length) {
      pos[s] = p + 1;
      push(s, start[s]! + t.dt[p + 1]!);
    }
  }
  return seq;
}

/**
 * ns per dependent 32-bit multiply: a yardstick for how fast (and how contended) this CPU is while the
 * figures are taken. A current desktop core does ~0.3–0.5 ns.
 */
function calibrate(): number {
  let h = 1;
  const t0 = performance.now();
  for (let i = 0; i < 50_000_000; i++) h = Math.imul(h ^ i, 0x01000193);
  return ((performance.now() - t0) * 1e6) / 50_000_000 + (h & 0) * 0;
}

export async function benchFeatures(options: FeaturesBenchOptions, say: (line: string) => void): Promise<BenchReport> {
  const gc = collectGarbage();
  const calibration = calibrate();
  say(`calibration: ${calibration.toFixed(2)} ns per dependent multiply`);

  say(`generating a 7-day stream for ${options.streamSubjects} subjects …`);
  const events = realisticStream(options.streamSubjects);
  say(`${events.length} events`);
  const updates = timeApply(events, () => new FeatureStore());
  say(`online updates, all default views: ${Math.round(updates)} events/s`);
  const subjectUpdates = timeApply(events, () => new FeatureStore({ views: [SUBJECT_VIEW] }));
  say(`online updates, subject view only: ${Math.round(subjectUpdates)} events/s`);

  const labels: LabelRow[] = [];
  let r = 7;
  for (let i = 0; i < options.labels; i++) {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    const e = events[r % events.length]!;
    labels.push({ subject: e.sid, ts: e.ts + 60_000, ...(e.ssid ? { session: e.ssid } : {}), ...(e.item ? { item: e.item } : {}) });
  }
  const replays: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const rows = buildPointInTimeRows(events, labels);
    replays.push(rows.store.stats().applied / ((performance.now() - t0) / 1000));
    void rows;
  }
  const replay = median(replays);
  const width = buildPointInTimeRows([], [{ subject: 'x', ts: 0 }]).width;
  say(`point-in-time replay (time-ordered input, ${options.labels} labels × ${width} features, labels on all subjects): ${Math.round(replay)} events/s`);
  // A training set usually labels a sample of subjects: the store then keeps subject state for those only.
  const sampled = labels.filter((l) => l.subject.charCodeAt(0) % 20 === 0);
  const sampledRates: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    buildPointInTimeRows(events, sampled);
    sampledRates.push(events.length / ((performance.now() - t0) / 1000));
  }
  const replaySampled = median(sampledRates);
  say(`point-in-time replay, ${sampled.length} labels on ~5% of subjects: ${Math.round(replaySampled)} events/s`);
  const shuffled = [...events];
  for (let i = shuffled.length - 1; i > 0; i--) {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    const j = r % (i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const t1 = performance.now();
  buildPointInTimeRows(shuffled, labels);
  const replayShuffled = events.length / ((performance.now() - t1) / 1000);
  say(`point-in-time replay, shuffled input (sort included): ${Math.round(replayShuffled)} events/s`);

  say(`building templates and ${options.subjects} subject ids …`);
  const t = templates();
  say(`subject mix: each replays one of ${t.list.length} generated subjects' 2 days: mean ${t.meanEvents.toFixed(1)} events, median ${t.medianEvents}, ${t.meanSessions.toFixed(2)} sessions`);
  const sids = Array.from({ length: options.subjects }, (_, i) => fakePseudonym(i, 1));
  gc();
  gc();
  const before = heapBytes();
  const store = new FeatureStore({ views: [SUBJECT_VIEW] });
  const t2 = performance.now();
  const applied = applySyntheticSubjects(store, options.subjects, t.list, sids);
  const buildSeconds = (performance.now() - t2) / 1000;
  gc();
  gc();
  const after = heapBytes();
  const perSubject = (after - before) / store.subjects();
  say(`${options.subjects} subjects (${applied} events in ${buildSeconds.toFixed(1)} s): ${store.subjects()} held, ${perSubject.toFixed(0)} bytes/subject (heap+buffers), arrays ${(store.stats().stateBytes / store.subjects()).toFixed(0)} bytes/subject`);

  const at = store.watermark;
  const out = new Float32Array(store.featureNames('subject').length);
  const picks = Array.from({ length: 4096 }, (_, i) => sids[(i * 2654435761) % options.subjects]!);
  let sink = 0;
  for (let i = 0; i < 100_000; i++) store.readInto(out, 0, 'subject', picks[i & 4095]!, at); // warm up
  const t3 = performance.now();
  for (let i = 0; i < options.reads; i++) {
    store.readInto(out, 0, 'subject', picks[i & 4095]!, at);
    sink += out[0]!;
  }
  const readNs = ((performance.now() - t3) * 1e6) / options.reads;
  const t4 = performance.now();
  for (let i = 0; i < options.reads; i++) sink += store.read('subject', picks[i & 4095]!, at)[0]!;
  const readAllocNs = ((performance.now() - t4) * 1e6) / options.reads;
  say(`one subject feature vector (${out.length} features): ${readNs.toFixed(0)} ns into a reused array, ${readAllocNs.toFixed(0)} ns allocating (${sink > -1 ? 'ok' : ''})`);

  return {
    name: 'features',
    rows: [
      { label: 'online updates (all default views, 1 core)', value: Math.round(updates), unit: 'events/s' },
      { label: 'online updates (subject view only)', value: Math.round(subjectUpdates), unit: 'events/s' },
      { label: 'point-in-time replay (time-ordered input)', value: Math.round(replay), unit: 'events/s' },
      { label: 'point-in-time replay (labels on ~5% of subjects)', value: Math.round(replaySampled), unit: 'events/s' },
      { label: 'point-in-time replay (shuffled, sort included)', value: Math.round(replayShuffled), unit: 'events/s' },
      { label: 'machine: dependent multiply (calibration)', value: +calibration.toFixed(2), unit: 'ns' },
      { label: `state per subject at ${options.subjects} subjects`, value: Math.round(perSubject), unit: 'bytes' },
      { label: 'subject feature vector read (reused array)', value: Math.round(readNs), unit: 'ns' },
      { label: 'subject feature vector read (allocating)', value: Math.round(readAllocNs), unit: 'ns' },
    ],
    ratios: {
      updates_per_s: Math.round(updates),
      replay_events_per_s: Math.round(replay),
      bytes_per_subject: Math.round(perSubject),
      read_ns: Math.round(readNs),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const subjects = Number(process.argv[2] ?? 1_000_000);
  const report = await benchFeatures({ subjects, streamSubjects: 60_000, labels: 100_000, reads: 1_000_000 }, (line) => console.log(line));
  for (const row of report.rows) console.log(`  ${row.label.padEnd(48)} ${String(row.value).padStart(12)} ${row.unit}`);
}
