import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BAD_ROW_DEFECTS, withBadRows } from '../../datasets/bad-rows.ts';
import { createCanonicalWriter, readCanonicalEvents, type CanonicalEvent } from '../../datasets/canonical-file.ts';
import { buildCatalogModel, generateCatalog } from '../../datasets/catalog.ts';
import { generateBehavior, generationWindow, type GenerateOptions } from '../../datasets/generate.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A Saturday midnight (UTC), so day-of-week arithmetic below is easy to follow. */
const END = Date.UTC(2024, 5, 1);

const generate = (options: Partial<GenerateOptions> = {}) => [...generateBehavior({ subjects: 150, days: 7, seed: 1, end: END, ...options })];

/** One larger log shared by the statistical tests (about 250k events, well under a second). */
const LARGE: GenerateOptions = { subjects: 2000, days: 56, seed: 11, end: END };
let largeLog: CanonicalEvent[] | undefined;
const large = () => (largeLog ??= [...generateBehavior(LARGE)]);

const countBy = <T,>(values: Iterable<T>, key: (v: T) => string | number) => {
  const counts = new Map<string | number, number>();
  for (const v of values) counts.set(key(v), (counts.get(key(v)) ?? 0) + 1);
  return counts;
};

test('same options give identical events; another seed gives different ones', () => {
  const a = generate();
  assert.ok(a.length > 1000);
  assert.deepEqual(generate(), a);
  const b = generate({ seed: 2 });
  assert.notDeepEqual(
    b.map((e) => [e.ts, e.subject, e.type, e.item]),
    a.map((e) => [e.ts, e.subject, e.type, e.item]),
  );
  assert.ok(b.every((e) => e.id.startsWith('g-2-')));
});

test('adding subjects does not change what the first subjects did', () => {
  const strip = (events: CanonicalEvent[]) => events.filter((e) => e.subject === 'u000003').map(({ id: _id, ...rest }) => rest);
  const few = strip(generate({ subjects: 10 }));
  assert.ok(few.length > 0);
  assert.deepEqual(strip(generate({ subjects: 40 })), few);
});

test('events are in time order within the period; ids, subjects and sessions are well-formed', () => {
  const events = generate();
  const { start, end } = generationWindow({ days: 7, end: END });
  assert.equal(end - start, 7 * DAY);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    assert.ok(e.ts >= start && e.ts < end, `event ${i} outside the period`);
    if (i > 0) assert.ok(e.ts >= events[i - 1]!.ts, `event ${i} out of order`);
    assert.equal(e.id, `g-1-${i}`);
    assert.match(e.subject, /^u\d{6}$/);
    assert.ok(e.session?.startsWith(`${e.subject}-`));
  }
});

test('the default end is now, rounded down to the minute', () => {
  const { end } = generationWindow({ days: 1 });
  assert.equal(end % 60_000, 0);
  assert.ok(Date.now() - end < 60_000 && end <= Date.now());
});

test('sessionizing by the 30-minute inactivity gap recovers the session ids exactly', () => {
  const lastBySubject = new Map<string, CanonicalEvent>();
  let sessions = 0;
  for (const e of generate()) {
    const last = lastBySubject.get(e.subject);
    const newSession = last === undefined || e.ts - last.ts > 30 * 60_000;
    if (newSession) sessions++;
    assert.equal(last !== undefined && e.session === last.session, !newSession, `event ${e.id}`);
    lastBySubject.set(e.subject, e);
  }
  assert.ok(sessions > 100);
});

test('funnel: view → cart_add 8–12 %, cart_add → purchase 30–40 %, quantity mostly 1, some removals', () => {
  for (const seed of [11, 12]) {
    const log = seed === 11 ? large() : [...generateBehavior({ ...LARGE, seed, days: 21 })];
    const types = countBy(log, (e) => e.type);
    const views = types.get('view')!;
    const carts = types.get('cart_add')!;
    const purchases = types.get('purchase')!;
    const cartRate = carts / views;
    const buyRate = purchases / carts;
    assert.ok(cartRate >= 0.08 && cartRate <= 0.12, `seed ${seed}: view→cart ${cartRate.toFixed(3)}`);
    assert.ok(buyRate >= 0.3 && buyRate <= 0.4, `seed ${seed}: cart→purchase ${buyRate.toFixed(3)}`);
    const removeRate = (types.get('cart_remove') ?? 0) / carts;
    assert.ok(removeRate > 0.05 && removeRate < 0.15, `seed ${seed}: removals ${removeRate.toFixed(3)}`);
    assert.ok((types.get('search') ?? 0) > 0 && (types.get('checkout') ?? 0) > 0);
    const cartAdds = log.filter((e) => e.type === 'cart_add');
    const singles = cartAdds.filter((e) => e.quantity === 1).length / cartAdds.length;
    assert.ok(singles > 0.8 && singles < 0.95, `quantity 1 share ${singles.toFixed(3)}`);
  }
});

test('propensity persists: past buyers buy again more often than others', () => {
  const log = large();
  const { start } = generationWindow(LARGE);
  const half = start + (LARGE.days / 2) * DAY;
  const pastBuyers = new Set(log.filter((e) => e.type === 'purchase' && e.ts < half).map((e) => e.subject));
  const sessionsOf = (buyers: boolean) => {
    const all = new Set<string>();
    const converted = new Set<string>();
    for (const e of log) {
      if (e.ts < half || pastBuyers.has(e.subject) !== buyers) continue;
      all.add(e.session!);
      if (e.type === 'purchase') converted.add(e.session!);
    }
    return converted.size / all.size;
  };
  const buyersRate = sessionsOf(true);
  const othersRate = sessionsOf(false);
  assert.ok(buyersRate > othersRate * 1.3, `past buyers ${buyersRate.toFixed(3)} vs others ${othersRate.toFixed(3)}`);
});

test('weekly and daily seasonality: busier weekends, evening peak', () => {
  const log = large();
  const sessionStarts = new Map<string, number>();
  for (const e of log) if (!sessionStarts.has(e.session!)) sessionStarts.set(e.session!, e.ts);
  const byWeekday = countBy(sessionStarts.values(), (ts) => new Date(ts).getUTCDay());
  const weekend = (byWeekday.get(0)! + byWeekday.get(6)!) / 2;
  const midweek = (byWeekday.get(1)! + byWeekday.get(2)! + byWeekday.get(3)!) / 3;
  assert.ok(weekend > midweek * 1.2, `weekend ${weekend} vs midweek ${midweek} sessions per weekday`);
  const byHour = countBy(sessionStarts.values(), (ts) => new Date(ts).getUTCHours());
  const evening = byHour.get(19)! + byHour.get(20)! + byHour.get(21)!;
  const night = byHour.get(2)! + byHour.get(3)! + byHour.get(4)!;
  assert.ok(evening > night * 5, `evening ${evening} vs night ${night}`);
});

test('next views follow related items, and the most frequent successor is a related item', () => {
  const log = large();
  const catalog = buildCatalogModel(LARGE);
  const indexOf = new Map(catalog.items.map((item) => [item.id, item]));
  const successors = new Map<string, Map<string, number>>();
  let pairs = 0;
  let toRelated = 0;
  const lastView = new Map<string, CanonicalEvent>();
  for (const e of log) {
    if (e.type !== 'view') continue;
    const previous = lastView.get(e.session!);
    lastView.set(e.session!, e);
    if (!previous) continue;
    pairs++;
    const related = indexOf.get(previous.item!)!.related.map((i) => catalog.items[i]!.id);
    if (related.includes(e.item!)) toRelated++;
    const next = successors.get(previous.item!) ?? new Map<string, number>();
    next.set(e.item!, (next.get(e.item!) ?? 0) + 1);
    successors.set(previous.item!, next);
  }
  assert.ok(toRelated / pairs > 0.5, `share of transitions to a related item: ${(toRelated / pairs).toFixed(3)}`);
  let items = 0;
  let topIsRelated = 0;
  for (const [item, next] of successors) {
    if ([...next.values()].reduce((a, b) => a + b, 0) < 30) continue;
    items++;
    const top = [...next.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    if (indexOf.get(item)!.related.some((i) => catalog.items[i]!.id === top)) topIsRelated++;
  }
  assert.ok(items > 50);
  assert.ok(topIsRelated / items > 0.9, `${topIsRelated}/${items} items have a related item as top successor`);
});

test('subjects view mostly from their preferred categories', () => {
  const viewsBySubject = new Map<string, string[]>();
  for (const e of large()) if (e.type === 'view') (viewsBySubject.get(e.subject) ?? viewsBySubject.set(e.subject, []).get(e.subject)!).push(e.category!);
  let share = 0;
  let subjects = 0;
  for (const categories of viewsBySubject.values()) {
    if (categories.length < 30) continue;
    const top3 = [...countBy(categories, (c) => c).values()].sort((a, b) => b - a).slice(0, 3);
    share += top3.reduce((a, b) => a + b, 0) / categories.length;
    subjects++;
  }
  assert.ok(subjects > 100);
  assert.ok(share / subjects > 0.7, `mean share of views in a subject's top 3 categories: ${(share / subjects).toFixed(3)}`);
});

test('item demand (cart adds and purchases) follows its weekly profile and trend: signal for forecasting', () => {
  const log = large();
  const catalog = buildCatalogModel(LARGE);
  const { start } = generationWindow(LARGE);
  const middle = start + (LARGE.days / 2) * DAY;
  const byId = new Map(catalog.items.map((item) => [item.id, item]));
  // Demand per item and weekday, against all demand that weekday (removes the shop-wide weekly pattern).
  const byWeekday = new Map<string, number[]>();
  const weekdayTotals = new Array<number>(7).fill(0);
  const halves = new Map<string, [number, number]>();
  for (const e of log) {
    if (e.type !== 'cart_add' && e.type !== 'purchase') continue;
    const day = new Date(e.ts).getUTCDay();
    (byWeekday.get(e.item!) ?? byWeekday.set(e.item!, new Array<number>(7).fill(0)).get(e.item!)!)[day]!++;
    weekdayTotals[day]!++;
    (halves.get(e.item!) ?? halves.set(e.item!, [0, 0]).get(e.item!)!)[e.ts < middle ? 0 : 1]++;
  }
  let peakAgrees = 0;
  let judged = 0;
  for (const [id, counts] of byWeekday) {
    if (counts.reduce((a, b) => a + b, 0) < 100) continue;
    const item = byId.get(id)!;
    const observed = counts.map((c, d) => c / weekdayTotals[d]!);
    const profile = (d: number) => Math.cos((2 * Math.PI * (d - item.weeklyPeakDay)) / 7);
    judged++;
    if (profile(observed.indexOf(Math.max(...observed))) > profile(observed.indexOf(Math.min(...observed)))) peakAgrees++;
  }
  assert.ok(judged > 30);
  assert.ok(peakAgrees / judged > 0.85, `busiest weekday nearer the item's peak than the quietest, for ${peakAgrees}/${judged} items`);

  let trendAgrees = 0;
  let trendJudged = 0;
  for (const [id, [first, second]] of halves) {
    const item = byId.get(id)!;
    if (first + second < 50 || first === 0 || second === 0 || Math.abs(item.trendPerDay * LARGE.days) < 0.4) continue;
    trendJudged++;
    if (Math.sign(Math.log(second / first)) === Math.sign(item.trendPerDay)) trendAgrees++;
  }
  assert.ok(trendJudged > 30);
  assert.ok(trendAgrees / trendJudged > 0.72, `trend direction visible for ${trendAgrees}/${trendJudged} items`);
});

test('the catalog: deterministic, every category used, one fixed price per item, the same prices as in events', () => {
  const catalog = generateCatalog({ seed: 1, items: 300, categories: 12 });
  assert.deepEqual(generateCatalog({ seed: 1, items: 300, categories: 12 }), catalog);
  assert.notDeepEqual(generateCatalog({ seed: 2, items: 300, categories: 12 }), catalog);
  assert.equal(catalog.length, 300);
  assert.equal(new Set(catalog.map((i) => i.id)).size, 300);
  assert.equal(new Set(catalog.map((i) => i.category)).size, 12);
  for (const item of catalog) {
    assert.ok(item.price > 0);
    assert.equal(Math.round(item.price * 100) / 100, item.price);
  }
  const priceOf = new Map(catalog.map((i) => [i.id, i]));
  for (const e of generate({ items: 300, categories: 12 })) {
    if (e.item === undefined) continue;
    assert.equal(e.price, priceOf.get(e.item)!.price);
    assert.equal(e.category, priceOf.get(e.item)!.category);
  }
});

test('prices are log-normal: spread over more than an order of magnitude, right-skewed', () => {
  const prices = generateCatalog({ seed: 3 }).map((i) => i.price).sort((a, b) => a - b);
  const quantile = (q: number) => prices[Math.floor(q * (prices.length - 1))]!;
  const mean = prices.reduce((a, b) => a + b, 0) / prices.length;
  assert.ok(quantile(0.95) / quantile(0.05) > 10);
  assert.ok(mean > quantile(0.5), 'mean above median');
});

test('bad rows: about the requested share, every kind, each rejected by the reader on its own column', async () => {
  const events = generate();
  const rows = [...withBadRows(events, { rate: 0.05, seed: 1 })];
  assert.deepEqual(
    rows.flatMap((r) => ('event' in r ? [r.event] : [])),
    events,
    'good events pass through unchanged',
  );
  const bad = rows.filter((r) => 'badRow' in r);
  const share = bad.length / rows.length;
  assert.ok(share > 0.035 && share < 0.065, `bad share ${share.toFixed(3)}`);
  assert.deepEqual(new Set(bad.map((r) => ('defect' in r ? r.defect : ''))), new Set(BAD_ROW_DEFECTS));

  const dir = mkdtempSync(join(tmpdir(), 'iob-bad-rows-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const columnOf = { unknown_type: 'type', negative_price: 'price', bad_timestamp: 'ts', missing_subject: 'subject' } as const;
  for (const suffix of ['.csv', '.jsonl']) {
    const path = join(dir, `log${suffix}`);
    const writer = createCanonicalWriter(path);
    for (const row of rows) await ('event' in row ? writer.write(row.event) : writer.writeRow(row.badRow));
    await writer.close();
    const records = [];
    for await (const record of readCanonicalEvents(path)) records.push(record);
    assert.equal(records.length, rows.length);
    records.forEach((record, i) => {
      const row = rows[i]!;
      if ('event' in row) assert.deepEqual('event' in record ? record.event : record.error, row.event);
      else assert.equal('error' in record ? record.error.column : 'accepted', columnOf[row.defect], `${suffix} row ${i} (${row.defect})`);
    });
  }
});

test('invalid options are refused', () => {
  assert.throws(() => generate({ subjects: 0 }), /subjects/);
  assert.throws(() => generate({ days: 1.5 }), /days/);
  assert.throws(() => generate({ seed: -1 }), /seed/);
  assert.throws(() => [...withBadRows([], { rate: 1, seed: 1 })], /rate/);
});
