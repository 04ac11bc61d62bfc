import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CONVERTERS } from '../../datasets/convert/index.ts';
import { convertAndCheck } from './conversion-check.ts';
import { parseInvoiceDate } from '../../datasets/convert/online-retail.ts';
import { IobError } from '../../engine/index.ts';

/** The shared public data, beside the project (never copied into it). */
const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const TAOBAO = join(DATA, 'taobao-userbehavior', 'UserBehavior_sample.csv');
const OTTO = join(DATA, 'otto-fixture', 'train.jsonl');
const ONLINE_RETAIL = join(DATA, 'uci-online-retail', 'online_retail.csv.gz');

const dir = mkdtempSync(join(tmpdir(), 'iob-convert-'));
after(() => rmSync(dir, { recursive: true, force: true }));


function tempFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(text) : text);
  return path;
}

test('taobao: 65,027 events from 611 users, behaviors mapped, no sessions', async () => {
  const conversion = CONVERTERS.taobao.convert(TAOBAO);
  const events = await convertAndCheck(conversion, dir, 'taobao');
  assert.equal(events.length, 65_027);
  assert.deepEqual(conversion.stats, {
    rowsRead: 65_027,
    events: 65_027,
    eventsByType: { view: 58_414, cart_add: 3_578, favorite: 1_640, purchase: 1_395 },
    skipped: {},
    skippedLines: {},
  });
  assert.equal(new Set(events.map((e) => e.subject)).size, 611);
  assert.deepEqual(events[0], { id: 'tb-1', ts: 1_511_544_070_000, subject: '1', type: 'view', item: '2268318', category: '2520377' });
  assert.equal(events.at(-1)!.id, 'tb-65027');
  assert.ok(events.every((e) => e.session === undefined));
  assert.equal(conversion.bytesRead, 2_447_094);
});

test('otto: 20 sessions, 862 events (800 views, 52 cart adds, 10 purchases), subject and session from the session', async () => {
  const conversion = CONVERTERS.otto.convert(OTTO);
  const events = await convertAndCheck(conversion, dir, 'otto');
  assert.equal(conversion.stats.rowsRead, 20);
  assert.equal(events.length, 862);
  assert.deepEqual(conversion.stats.eventsByType, { view: 800, cart_add: 52, purchase: 10 });
  assert.deepEqual(conversion.stats.skipped, {});
  assert.equal(new Set(events.map((e) => e.subject)).size, 20);
  assert.equal(new Set(events.map((e) => e.item)).size, 510);
  assert.equal(new Set(events.map((e) => e.id)).size, 862);
  assert.deepEqual(events[0], { id: 'otto-0-0', ts: 1_659_304_800_025, subject: 'otto-s0', session: 'otto-s0', type: 'view', item: '1517085' });
  for (const e of events) {
    assert.equal(e.session, e.subject);
    assert.match(e.id, new RegExp(`^otto-${e.subject.slice('otto-s'.length)}-\\d+$`));
  }
  const times = events.map((e) => e.ts);
  assert.ok(Math.min(...times) >= Date.UTC(2022, 6, 31, 22) && Math.max(...times) <= Date.UTC(2022, 7, 28, 22));
});

test('online retail: 541,909 rows read; sales, refunds, skipped non-products and unpriced rows add up', async () => {
  const conversion = CONVERTERS['online-retail'].convert(ONLINE_RETAIL);
  const events = await convertAndCheck(conversion, dir, 'online-retail');
  const { stats } = conversion;
  assert.equal(stats.rowsRead, 541_909);
  assert.deepEqual(stats.eventsByType, { purchase: 527_725, refund: 8_704 });
  assert.deepEqual(stats.skipped, { non_product_code: 2_995, price_not_positive: 2_485 });
  assert.equal(stats.events + Object.values(stats.skipped).reduce((a, b) => a + b, 0), stats.rowsRead);

  assert.deepEqual(events[0], {
    id: 'or-2',
    ts: Date.UTC(2010, 11, 1, 8, 26),
    subject: '17850',
    session: '536365',
    type: 'purchase',
    item: '85123A',
    price: 2.55,
    quantity: 6,
  });
  const refunds = events.filter((e) => e.type === 'refund');
  assert.ok(refunds.every((e) => e.quantity! >= 1 && e.session!.startsWith('C')));
  const guests = events.filter((e) => e.subject.startsWith('guest-'));
  assert.ok(guests.length > 100_000, `${guests.length} guest rows`);
  assert.ok(guests.every((e) => e.subject === `guest-${e.session}`));
  assert.ok(events.every((e) => /^\d{5}[A-Za-z]*$/.test(e.item!) && e.price! > 0));
  const first = events.reduce((min, e) => Math.min(min, e.ts), Infinity);
  const last = events.reduce((max, e) => Math.max(max, e.ts), -Infinity);
  assert.equal(first, Date.UTC(2010, 11, 1, 8, 26));
  assert.equal(last, Date.UTC(2011, 11, 9, 12, 50));
});

test('single bad rows are skipped and counted by reason; good rows around them survive', async () => {
  const taobao = CONVERTERS.taobao.convert(tempFile('tb.csv', '1,10,100,pv,1511544070\n1,11,100,teleport,1511544071\n1,12\n\n2,13,101,buy,1511544072\r\n3,14,100,pv,99999999999999\n'));
  const taobaoEvents = [];
  for await (const e of taobao) taobaoEvents.push(e);
  assert.deepEqual(
    taobaoEvents.map((e) => [e.id, e.type]),
    [
      ['tb-1', 'view'],
      ['tb-5', 'purchase'],
    ],
  );
  // the last row's seconds make a time past any date: skipped here, not written for the reader to refuse
  assert.deepEqual(taobao.stats.skipped, { unknown_behavior: 1, malformed_row: 1, timestamp_out_of_range: 1 });
  assert.deepEqual(taobao.stats.skippedLines, { unknown_behavior: [2], malformed_row: [3], timestamp_out_of_range: [6] }, 'the lines skipped, to find them');

  const otto = CONVERTERS.otto.convert(
    tempFile(
      'otto.jsonl.gz',
      '{"session":5,"events":[{"aid":1,"ts":1659304800025,"type":"clicks"},{"aid":2,"ts":1,"type":"wishes"},{"aid":"x","ts":2,"type":"carts"}]}\n' +
        'not json\n' +
        '{"session":6,"events":[{"aid":3,"ts":1659304800026,"type":"orders"}]}\n',
    ),
  );
  const ottoEvents = [];
  for await (const e of otto) ottoEvents.push(e);
  assert.deepEqual(
    ottoEvents.map((e) => e.id),
    ['otto-5-0', 'otto-6-0'],
  );
  assert.deepEqual(otto.stats.skipped, { unknown_event_type: 1, malformed_event: 1, malformed_session: 1 });
  assert.deepEqual(otto.stats.skippedLines, { unknown_event_type: [1], malformed_event: [1], malformed_session: [2] });
  assert.equal(otto.stats.rowsRead, 3);

  const retail = CONVERTERS['online-retail'].convert(
    tempFile(
      'retail.csv',
      'Country,InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n' +
        'UK,536365,85123A,"WHITE HANGING HEART, T-LIGHT ""HOLDER""",6,2010-12-01 08:26:00,2.55,17850.0\n' +
        'UK,536366,22633,"HAND WARMER\nUNION JACK",6,12/1/2010 8:28,1.85,\n' +
        'UK,C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527\n' +
        'UK,C536383,35004C,SET OF 3 COLOURED  FLYING DUCKS,-1,2010-12-01 09:49:00,4.65,15311\n' +
        'UK,536414,22139,,56,2010-12-01 11:52:00,0,\n' +
        'UK,536415,22140,x,5,2010-13-01 11:52:00,1,\n' +
        'UK,536416,22141,x,-5,2010-12-01 11:52:00,1,\n',
    ),
  );
  const retailEvents = [];
  for await (const e of retail) retailEvents.push(e);
  assert.deepEqual(retailEvents, [
    { id: 'or-2', ts: Date.UTC(2010, 11, 1, 8, 26), subject: '17850', session: '536365', type: 'purchase', item: '85123A', price: 2.55, quantity: 6 },
    { id: 'or-3', ts: Date.UTC(2010, 11, 1, 8, 28), subject: 'guest-536366', session: '536366', type: 'purchase', item: '22633', price: 1.85, quantity: 6 },
    { id: 'or-6', ts: Date.UTC(2010, 11, 1, 9, 49), subject: '15311', session: 'C536383', type: 'refund', item: '35004C', price: 4.65, quantity: 1 },
  ]);
  assert.deepEqual(retail.stats.skipped, { non_product_code: 1, price_not_positive: 1, malformed_row: 1, sale_without_positive_quantity: 1 });
  assert.deepEqual(retail.stats.skippedLines, { non_product_code: [5], price_not_positive: [7], malformed_row: [8], sale_without_positive_quantity: [9] });
  assert.equal(retail.stats.rowsRead, 7);
});

test('a file in another format is refused at its first row, not skipped row by row', async () => {
  const cases = [
    { converter: CONVERTERS.taobao, path: OTTO },
    { converter: CONVERTERS.otto, path: TAOBAO },
    { converter: CONVERTERS['online-retail'], path: TAOBAO },
    { converter: CONVERTERS['online-retail'], path: tempFile('empty.csv', '') },
  ];
  for (const converter of [CONVERTERS.taobao, CONVERTERS.otto]) {
    for (const path of [tempFile('empty-again.csv', ''), tempFile('blank.csv.gz', '\n \r\n\n')]) {
      await assert.rejects(
        (async () => {
          for await (const _ of converter.convert(path));
        })(),
        (err: unknown) => err instanceof IobError && err.message.startsWith(`${path}: `) && /is empty/.test(err.message),
        `${converter.name} on an empty file`,
      );
    }
  }
  for (const { converter, path } of cases) {
    await assert.rejects(
      (async () => {
        for await (const _ of converter.convert(path));
      })(),
      (err: unknown) => err instanceof IobError && err.code === 'IOB_ERR_VALIDATION' && /does not look like/.test(err.message) && /line 1/.test(err.message),
      `${converter.name} on ${path}`,
    );
  }
});

test('invoice dates: ISO-like and US forms, read as UTC; impossible dates refused', () => {
  assert.equal(parseInvoiceDate('2010-12-01 08:26:00'), Date.UTC(2010, 11, 1, 8, 26));
  assert.equal(parseInvoiceDate('2010-12-01 08:26'), Date.UTC(2010, 11, 1, 8, 26));
  assert.equal(parseInvoiceDate('12/1/2010 8:26'), Date.UTC(2010, 11, 1, 8, 26));
  assert.ok(Number.isNaN(parseInvoiceDate('2011-02-30 10:00:00')));
  assert.ok(Number.isNaN(parseInvoiceDate('2011-02-03 24:00:00')));
  assert.ok(Number.isNaN(parseInvoiceDate('yesterday')));
});

test('the shared Parquet copy of Online Retail is refused as Parquet, pointing at CSV', async () => {
  await assert.rejects(
    (async () => {
      for await (const _ of CONVERTERS['online-retail'].convert(join(DATA, 'uci-online-retail', 'online_retail.parquet')));
    })(),
    (err: unknown) => err instanceof IobError && /is a Parquet file/.test(err.message) && /CSV/.test(err.message),
  );
});
