import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IobError } from '../../engine/index.ts';
import { FEATURE_SETS, featureMatrix, featureNames, loadOnlineShoppers, parseOnlineShoppers, timeKeys, withinMonthTimeKeys } from '../../training/online-shoppers.ts';
import { splitByTime, stratifiedKFold } from '../../training/splits.ts';

const FILE = fileURLToPath(new URL('../../../shared/data/online-shoppers/online_shoppers_intention.csv', import.meta.url));
const HEADER =
  'Administrative,Administrative_Duration,Informational,Informational_Duration,ProductRelated,ProductRelated_Duration,BounceRates,ExitRates,PageValues,SpecialDay,Month,OperatingSystems,Browser,Region,TrafficType,VisitorType,Weekend,Revenue';

test('the UCI file loads with the documented counts and checksum', async () => {
  const data = await loadOnlineShoppers(FILE);
  assert.equal(data.sessions.length, 12_330);
  assert.equal(data.labels.reduce((s, v) => s + v, 0), 1_908);
  assert.equal(data.sha256, '44b29f6ac84d6491bcf8d78e3cd544c10df910fe518293454174876f25956c4f');
  assert.equal(data.sessions.filter((s) => s.visitorType === 'New_Visitor').length, 1_694);
  const x = featureMatrix(data.sessions, 'engineered');
  assert.equal(x.cols, featureNames('engineered').length);
  assert.ok(x.data.every(Number.isFinite));
  // Every session has exactly one month, visitor type, OS, browser, region and traffic type.
  const oneHot = featureNames('engineered').map((n, c) => (/^(Month|VisitorType|OperatingSystems|Browser|Region|TrafficType)=/.test(n) ? c : -1)).filter((c) => c >= 0);
  for (let r = 0; r < 100; r++) assert.equal(oneHot.reduce((s, c) => s + x.data[r * x.cols + c]!, 0), 6);
});

test('features: booleans 0/1, heavy tails through log1p, PageValues indicator', () => {
  const { sessions } = parseOnlineShoppers(`${HEADER}\n0,0,0,0,3,120,0,0.05,12.5,0,Nov,2,2,1,3,Returning_Visitor,TRUE,TRUE\n`);
  const names = featureNames('engineered');
  const x = featureMatrix(sessions, 'engineered');
  const get = (name: string): number => x.data[names.indexOf(name)]!;
  assert.equal(get('Weekend'), 1);
  assert.equal(get('PageValues>0'), 1);
  assert.ok(Math.abs(get('log1p(PageValues)') - Math.log1p(12.5)) < 1e-6);
  assert.equal(get('Month=Nov'), 1);
  assert.equal(get('Month=Dec'), 0);
  assert.equal(FEATURE_SETS.raw.find((f) => f.name === 'PageValues')!.value(sessions[0]!), 12.5);
});

const GOOD = '0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,TRUE';

test('bad rows are skipped and listed with line and column; the good rows around them are kept', () => {
  const text = `${HEADER}\n${GOOD}\n0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,MAYBE\n0,0,0\n0,0,0,0,1,0,0.2,0.2,0,0,Fbr,1,1,1,1,Returning_Visitor,FALSE,TRUE\n${GOOD}\n`;
  const { sessions, labels, badRows } = parseOnlineShoppers(text);
  assert.equal(sessions.length, 2);
  assert.deepEqual(Array.from(labels), [1, 1]);
  assert.deepEqual(
    badRows.map((b) => `${b.line} ${b.column}`),
    ['3 Revenue', '4 (row)', '5 Month'],
  );
  assert.match(badRows[1]!.message, /has 3 fields/);
});

test('--strict refuses the first bad row, naming the file, line and column', () => {
  assert.throws(
    () => parseOnlineShoppers(`${HEADER}\n${GOOD}\n0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,MAYBE\n`, { strict: true, path: 'shoppers.csv' }),
    (err: unknown) => err instanceof IobError && /^shoppers\.csv, line 3, column Revenue: is not TRUE\/FALSE/.test(err.message),
  );
});

test('the header is read by name: any column order, extra columns ignored; a missing column is named', () => {
  const names = HEADER.split(',');
  const values = GOOD.split(',');
  const order = [17, 10, ...names.keys()].filter((c, i, all) => all.indexOf(c) === i);
  const shuffled = `id,${order.map((c) => names[c]).join(',')}\n7,${order.map((c) => values[c]).join(',')}\n`;
  assert.deepEqual(parseOnlineShoppers(shuffled).sessions, parseOnlineShoppers(`${HEADER}\n${GOOD}\n`).sessions);
  const without = names.filter((n) => n !== 'PageValues' && n !== 'Revenue').join(',');
  assert.throws(
    () => parseOnlineShoppers(`${without}\n`, { path: 'shoppers.csv' }),
    (err: unknown) => err instanceof IobError && /^shoppers\.csv, line 1: .*lacks the column\(s\) PageValues, Revenue/.test(err.message),
  );
  assert.throws(() => parseOnlineShoppers('', { path: 'empty.csv' }), (err: unknown) => err instanceof IobError && /^empty\.csv, line 1: the file is empty/.test(err.message));
  // Excel's semicolon CSV: the hint names the separator
  assert.throws(
    () => parseOnlineShoppers(`${HEADER.replaceAll(',', ';')}\n${GOOD.replaceAll(',', ';')}\n`, { path: 'excel.csv' }),
    (err: unknown) => err instanceof IobError && /the file is separated by ';'/.test(err.message),
  );
});

test('months spelled as other copies spell them (Jun, June, September, MAR) are one month; an unknown month is a bad row', () => {
  const row = (month: string) => GOOD.replace(',Feb,', `,${month},`);
  const { sessions, badRows } = parseOnlineShoppers(`${HEADER}\n${['Jun', 'June', 'September', 'Sept', 'MAR', 'Smarch'].map(row).join('\n')}\n`);
  assert.deepEqual(
    sessions.map((s) => s.month),
    ['June', 'June', 'Sep', 'Sep', 'Mar'],
  );
  assert.deepEqual(badRows.map((b) => `${b.line} ${b.column}`), ['7 Month']);
});

test('a missing file is refused naming it', async () => {
  await assert.rejects(loadOnlineShoppers('/nonexistent/shoppers.csv'), (err: unknown) => err instanceof IobError && /^\/nonexistent\/shoppers\.csv: no such file/.test(err.message));
});

test('stratified folds partition the rows and keep the class balance', () => {
  const labels = Uint8Array.from({ length: 103 }, (_, i) => (i % 5 === 0 ? 1 : 0));
  const folds = stratifiedKFold(labels, 5, 0);
  const seen = new Uint8Array(labels.length);
  for (const fold of folds) {
    for (const r of fold.test) seen[r]!++;
    assert.equal(fold.train.length + fold.test.length, labels.length);
    const positives = Array.from(fold.test).filter((r) => labels[r] === 1).length;
    assert.ok(positives === 4 || positives === 5, `fold has ${positives} positives`);
  }
  assert.ok(seen.every((v) => v === 1));
  assert.deepEqual(stratifiedKFold(labels, 5, 0), folds, 'same seed, same folds');
  assert.notDeepEqual(stratifiedKFold(labels, 5, 1)[0]!.test, folds[0]!.test, 'another seed, other folds');
});

test('time split puts the latest months last', async () => {
  const { sessions } = await loadOnlineShoppers(FILE);
  const keys = timeKeys(sessions);
  const { earlier, later } = splitByTime(Uint32Array.from(sessions.keys()), keys, 0.2);
  assert.equal(later.length, Math.round(sessions.length * 0.2));
  const lastEarlier = Math.max(...Array.from(earlier, (r) => keys[r]!));
  assert.ok(Array.from(later).every((r) => keys[r]! > lastEarlier));
  assert.equal(sessions[later[later.length - 1]!]!.month, 'Dec');
});

test('the validation key takes the tail of every month, so no month is missing from the fitting rows', async () => {
  const { sessions } = await loadOnlineShoppers(FILE);
  const { earlier, later } = splitByTime(Uint32Array.from(sessions.keys()), withinMonthTimeKeys(sessions), 0.15);
  const months = (rows: Uint32Array): Set<string> => new Set(Array.from(rows, (r) => sessions[r]!.month));
  assert.deepEqual(months(later), months(earlier));
  // Within a month, the later part is the end of that month's rows in file order.
  const dec = (rows: Uint32Array): number[] => Array.from(rows).filter((r) => sessions[r]!.month === 'Dec');
  assert.ok(Math.min(...dec(later)) > Math.max(...dec(earlier)));
  const decShare = dec(later).length / (dec(later).length + dec(earlier).length);
  assert.ok(Math.abs(decShare - 0.15) < 0.01, `December's share in the later part: ${decShare}`);
});

test('Weekend and Revenue as other copies write them: TRUE/FALSE in any case, or 1/0', () => {
  const row = (weekend: string, revenue: string) => GOOD.replace(/FALSE,TRUE$/, `${weekend},${revenue}`);
  const { sessions, labels, badRows } = parseOnlineShoppers(`${HEADER}\n${[row('True', 'False'), row('1', '0'), row('0', '1'), row('yes', '1')].join('\n')}\n`);
  assert.deepEqual(sessions.map((s) => s.weekend), [true, true, false]);
  assert.deepEqual(Array.from(labels), [0, 0, 1]);
  assert.deepEqual(badRows.map((b) => `${b.line} ${b.column}`), ['5 Weekend']);
});
