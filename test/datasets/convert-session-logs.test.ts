/**
 * The session-log converters (YOOCHOOSE, RetailRocket, DIGINETICA) and conversions of several inputs into
 * one stream. The data sets themselves are not in ../shared/data, so the inputs are written here in their
 * published formats (rows as the data sets' READMEs show them), and a generated log is round-tripped
 * through the YOOCHOOSE format at scale.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CONVERTERS, type Conversion } from '../../datasets/convert/index.ts';
import { convertAndCheck } from './conversion-check.ts';
import { parseIsoDay, parseIsoUtc } from '../../datasets/convert/utc-date.ts';
import { generateBehavior } from '../../datasets/generate.ts';
import { IobError } from '../../engine/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'iob-convert-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tempFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(text) : text);
  return path;
}


const refusal = (pattern: RegExp) => (err: unknown) => err instanceof IobError && err.code === 'IOB_ERR_VALIDATION' && pattern.test(err.message);

async function drain(conversion: Conversion): Promise<void> {
  for await (const _ of conversion);
}

test('yoochoose: clicks and buys in one conversion, told apart by their shape; ids carry the file', async () => {
  const clicks = tempFile(
    'yoochoose-clicks.dat',
    '1,2014-04-07T10:51:09.277Z,214536502,0\n' +
      '1,2014-04-07T10:54:09.868Z,214536500,S\n' +
      '1,2014-04-07T10:54:46Z,214536506,2058986641\r\n' +
      '2,2014-04-07T13:56:37.614Z,214662742,12\n' +
      '2,2014-04-07 13:57:19,214662742,0\n' +
      'x,2014-04-07T13:58:00.000Z,214662743,0\n' +
      '3,2014-04-31T10:00:00.000Z,214662744,0\n',
  );
  const buys = tempFile(
    'yoochoose-buys.dat.gz',
    '420374,2014-04-06T18:44:58.314Z,214537888,12462,1\n' + '420374,2014-04-06T18:44:58.325Z,214537850,0,0\n' + '420375,2014-04-06T18:45:00.000Z,214537851,10471\n' + '420376,2014-04-06T18:46:00.000Z,214537852,5,2000000\n' + '420377,2014-04-06T18:47:00.000Z,214537853,0x10,1\n' + `420378,2014-04-06T18:48:00.000Z,${'9'.repeat(129)},5,1\n`,
  );
  const conversion = CONVERTERS.yoochoose.convert([clicks, buys]);
  const events = await convertAndCheck(conversion, dir, 'yoochoose');
  assert.deepEqual(events, [
    { id: 'yc-c1.1', ts: Date.UTC(2014, 3, 7, 10, 51, 9, 277), subject: 'yc-s1', session: 'yc-s1', type: 'view', item: '214536502' },
    { id: 'yc-c1.2', ts: Date.UTC(2014, 3, 7, 10, 54, 9, 868), subject: 'yc-s1', session: 'yc-s1', type: 'view', item: '214536500', category: 'S' },
    { id: 'yc-c1.3', ts: Date.UTC(2014, 3, 7, 10, 54, 46), subject: 'yc-s1', session: 'yc-s1', type: 'view', item: '214536506', category: '2058986641' },
    { id: 'yc-c1.4', ts: Date.UTC(2014, 3, 7, 13, 56, 37, 614), subject: 'yc-s2', session: 'yc-s2', type: 'view', item: '214662742', category: '12' },
    { id: 'yc-b2.1', ts: Date.UTC(2014, 3, 6, 18, 44, 58, 314), subject: 'yc-s420374', session: 'yc-s420374', type: 'purchase', item: '214537888', price: 12462, quantity: 1 },
    // price and quantity 0 are the data's "unknown": left out, the purchase kept
    { id: 'yc-b2.2', ts: Date.UTC(2014, 3, 6, 18, 44, 58, 325), subject: 'yc-s420374', session: 'yc-s420374', type: 'purchase', item: '214537850' },
  ]);
  assert.equal(conversion.stats.rowsRead, 13);
  assert.deepEqual(conversion.stats.eventsByType, { view: 4, purchase: 2 });
  // With several inputs a reason names the file its lines are in.
  assert.deepEqual(conversion.stats.skippedLines, {
    'yoochoose-clicks.dat: malformed_row': [5, 6, 7],
    'yoochoose-buys.dat.gz: malformed_row': [3, 5],
    'yoochoose-buys.dat.gz: price_or_quantity_out_of_range': [4],
    // an item id past the canonical 128 characters: left out here, not refused later by the reader
    'yoochoose-buys.dat.gz: identifier_too_long': [6],
  });

  // One file alone keeps the plain ids.
  const alone = [];
  for await (const e of CONVERTERS.yoochoose.convert(clicks)) alone.push(e.id);
  assert.deepEqual(alone, ['yc-c1', 'yc-c2', 'yc-c3', 'yc-c4']);
});

test('retailrocket: header in any order, views, cart adds and transactions; no sessions', async () => {
  const conversion = CONVERTERS.retailrocket.convert(
    tempFile(
      'events.csv',
      'visitorid,timestamp,event,itemid,transactionid\n' +
        '257597,1433221332117,view,355908,\n' +
        '257597,1433221400000,addtocart,355908,\n' +
        '257597,1433221500000,transaction,355908,4000\n' +
        '992329,1433224214164,wishlist,248676,\n' +
        '992329,14332242141x,view,248676,\n' +
        '992329,1433224214200,view,248677\n' +
        '111016,1433221999827,view,318965,\r\n',
    ),
  );
  const events = await convertAndCheck(conversion, dir, 'retailrocket');
  assert.deepEqual(events, [
    { id: 'rr-2', ts: 1_433_221_332_117, subject: '257597', type: 'view', item: '355908' },
    { id: 'rr-3', ts: 1_433_221_400_000, subject: '257597', type: 'cart_add', item: '355908' },
    { id: 'rr-4', ts: 1_433_221_500_000, subject: '257597', type: 'purchase', item: '355908' },
    { id: 'rr-8', ts: 1_433_221_999_827, subject: '111016', type: 'view', item: '318965' },
  ]);
  assert.deepEqual(conversion.stats.skippedLines, { unknown_event: [5], malformed_row: [6, 7] });
  assert.equal(conversion.stats.rowsRead, 7);
});

test('diginetica: views and purchases told apart by their header; time is the day plus the timeframe', async () => {
  const views = tempFile(
    'train-item-views.csv',
    'sessionId;userId;itemId;timeframe;eventdate\n' + '1;NA;81766;526309;2016-05-09\n' + '1;NA;31331;1031018;2016-05-09\n' + '2;5;32118;0;2016-05-10\n' + '3;;9654;12;2016-02-30\n' + '4;NA;9655;1;2016-05-11;extra\n',
  );
  const purchases = tempFile('train-purchases.csv', 'sessionId;userId;timeframe;eventdate;ordernumber;itemId\n' + '2;5;103811;2016-05-10;9;32118\n');
  const conversion = CONVERTERS.diginetica.convert([views, purchases]);
  const events = await convertAndCheck(conversion, dir, 'diginetica');
  const day = (d: number) => Date.UTC(2016, 4, d);
  assert.deepEqual(events, [
    { id: 'dn-v1.2', ts: day(9) + 526_309, subject: 'dn-s1', session: 'dn-s1', type: 'view', item: '81766' },
    { id: 'dn-v1.3', ts: day(9) + 1_031_018, subject: 'dn-s1', session: 'dn-s1', type: 'view', item: '31331' },
    { id: 'dn-v1.4', ts: day(10), subject: '5', session: 'dn-s2', type: 'view', item: '32118' },
    { id: 'dn-p2.2', ts: day(10) + 103_811, subject: '5', session: 'dn-s2', type: 'purchase', item: '32118' },
  ]);
  assert.deepEqual(conversion.stats.skippedLines, { 'train-item-views.csv: malformed_row': [5, 6] });

  // The search queries file is not events: refused by its header, naming the columns it lacks.
  await assert.rejects(
    drain(CONVERTERS.diginetica.convert(tempFile('train-queries.csv', 'queryId;sessionId;userId;timeframe;duration;eventdate;searchstring.tokens;categoryId;items;is.test\n1;1;NA;0;100;2016-05-09;1,2;;3;FALSE\n'))),
    refusal(/does not look like diginetica input: line 1 is a header without itemId/),
  );
});

test('session-rec / GRU4Rec files: tab or comma separated, seconds with a fraction or milliseconds, UserId when present', async () => {
  const train = tempFile('rsc15_train_full.txt', 'SessionId\tItemId\tTime\n1\t214536502\t1396839069.277\n1\t214536500\t1396839249\n2\t214662742\tsoon\n');
  const test2 = tempFile('test.csv', 'UserId,SessionId,ItemId,Time,Extra\n7,9,42,1433221332117,x\n,10,43,1433221332,y\n');
  const conversion = CONVERTERS['session-rec'].convert([train, test2]);
  const events = await convertAndCheck(conversion, dir, 'session-rec');
  assert.deepEqual(events, [
    { id: 'sr-1.2', ts: 1_396_839_069_277, subject: 'sr-s1', session: 'sr-s1', type: 'view', item: '214536502' },
    { id: 'sr-1.3', ts: 1_396_839_249_000, subject: 'sr-s1', session: 'sr-s1', type: 'view', item: '214536500' },
    { id: 'sr-2.2', ts: 1_433_221_332_117, subject: '7', session: 'sr-s9', type: 'view', item: '42' },
    { id: 'sr-2.3', ts: 1_433_221_332_000, subject: 'sr-s10', session: 'sr-s10', type: 'view', item: '43' },
  ]);
  assert.deepEqual(conversion.stats.skippedLines, { 'rsc15_train_full.txt: malformed_row': [4] });
  // milliseconds with a fraction are rounded like seconds with one
  const fraction = [];
  for await (const e of CONVERTERS['session-rec'].convert(tempFile('ms.txt', 'SessionId\tItemId\tTime\n1\t2\t1396839069277.6\n'))) fraction.push(e.ts);
  assert.deepEqual(fraction, [1_396_839_069_278]);
  await assert.rejects(drain(CONVERTERS['session-rec'].convert(tempFile('no-time.txt', 'SessionId\tItemId\n1\t2\n'))), refusal(/is a header without Time/));
});

test('each input is judged by its own first row, and an empty one is refused by name', async () => {
  const clicks = tempFile('c.dat', '1,2014-04-07T10:51:09.277Z,214536502,0\n');
  const notYoochoose = tempFile('other.csv', 'timestamp,visitorid,event,itemid,transactionid\n');
  await assert.rejects(drain(CONVERTERS.yoochoose.convert([clicks, notYoochoose])), refusal(new RegExp(`^${notYoochoose}: does not look like yoochoose input: line 1`)));
  const empty = tempFile('empty.dat', '');
  await assert.rejects(drain(CONVERTERS.yoochoose.convert([clicks, empty])), refusal(new RegExp(`^${empty}: no data rows: the file is empty`)));
  const headerOnly = tempFile('header-only.csv', 'timestamp,visitorid,event,itemid,transactionid\n');
  await assert.rejects(drain(CONVERTERS.retailrocket.convert(headerOnly)), refusal(/no data rows: the file is empty, or holds a header only/));
  await assert.rejects(drain(CONVERTERS.retailrocket.convert(tempFile('rr-empty.csv', ''))), refusal(/the file is empty; expected a header naming timestamp, visitorid, event, itemid/));
  await assert.rejects(drain(CONVERTERS.retailrocket.convert(tempFile('rr-taobao.csv', '1,10,100,pv,1511544070\n'))), refusal(/is a header without timestamp, visitorid, event, itemid/));
  // A taobao file split in parts: ids stay unique across them.
  const parts = [tempFile('tb-1.csv', '1,10,100,pv,1511544070\n'), tempFile('tb-2.csv', '2,11,100,buy,1511544071\n')];
  const ids = [];
  for await (const e of CONVERTERS.taobao.convert(parts)) ids.push(e.id);
  assert.deepEqual(ids, ['tb-1.1', 'tb-2.1']);
  // Two inputs of the same name (parts in two folders): skip reasons name them by path.
  const [a, b] = ['a', 'b'].map((folder) => {
    mkdirSync(join(dir, folder), { recursive: true });
    return tempFile(join(folder, 'UserBehavior.csv'), '1,10,100,pv,1511544070\n1,12\n');
  });
  const twins = CONVERTERS.taobao.convert([a!, b!]);
  await drain(twins);
  assert.deepEqual(twins.stats.skippedLines, { [`${a}: malformed_row`]: [2], [`${b}: malformed_row`]: [2] });
});

test('a generated log written in the YOOCHOOSE format converts back to its sessions, items, times and purchases', async () => {
  const sessions = new Map<string, number>();
  const clicks: string[] = [];
  const buys: string[] = [];
  const expected: Array<[string, number, string, string]> = [];
  for (const e of generateBehavior({ subjects: 600, days: 3, seed: 5, end: Date.UTC(2014, 3, 10) })) {
    if (e.item === undefined || e.session === undefined || (e.type !== 'view' && e.type !== 'purchase')) continue;
    if (!sessions.has(e.session)) sessions.set(e.session, sessions.size + 1);
    const id = sessions.get(e.session)!;
    const time = new Date(e.ts).toISOString();
    if (e.type === 'view') clicks.push(`${id},${time},${e.item},${e.category ?? 0}`);
    else buys.push(`${id},${time},${e.item},${Math.round(e.price ?? 0)},${e.quantity ?? 1}`);
    expected.push([`yc-s${id}`, e.ts, e.item, e.type]);
  }
  assert.ok(clicks.length > 2_000 && buys.length > 50, `${clicks.length} clicks, ${buys.length} buys`);
  const conversion = CONVERTERS.yoochoose.convert([tempFile('gen-clicks.dat', `${clicks.join('\n')}\n`), tempFile('gen-buys.dat', `${buys.join('\n')}\n`)]);
  const events = await convertAndCheck(conversion, dir, 'yoochoose-generated');
  const key = ([session, ts, item, type]: [string, number, string, string]) => `${session} ${ts} ${item} ${type}`;
  assert.deepEqual(events.map((e) => key([e.session!, e.ts, e.item!, e.type])).sort(), expected.map(key).sort());
  assert.deepEqual(conversion.stats.skipped, {});
});

test('ISO times and days: read as UTC, impossible ones refused', () => {
  assert.equal(parseIsoUtc('2014-04-07T10:51:09.277Z'), Date.UTC(2014, 3, 7, 10, 51, 9, 277));
  assert.equal(parseIsoUtc('2014-04-07T10:51:09.2Z'), Date.UTC(2014, 3, 7, 10, 51, 9, 200));
  assert.equal(parseIsoUtc('2014-04-07T10:51:09Z'), Date.UTC(2014, 3, 7, 10, 51, 9));
  for (const bad of ['2014-04-07T10:51:09.277', '2014-04-07T10:51:09+02:00', '2014-02-29T10:00:00Z', '2014-04-07T24:00:00Z', '2014-04-07']) assert.ok(Number.isNaN(parseIsoUtc(bad)), bad);
  assert.equal(parseIsoDay('2016-05-09'), Date.UTC(2016, 4, 9));
  assert.ok(Number.isNaN(parseIsoDay('2016-02-30')));
  assert.ok(Number.isNaN(parseIsoDay('09.05.2016')));
});
