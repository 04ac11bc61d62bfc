/**
 * The session-rec protocol: sessions from a canonical file (engine's gap, session ids, repeats collapsed),
 * the last-D-days split, unseen items removed, short sessions dropped, one prediction per prefix, history
 * strictly before the session.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isIobError } from '../../engine/index.ts';
import { DAY_MS, predictions, samplePredictions, splitAt, splitLastDays } from '../../training/offers/protocol.ts';
import { loadSessionLog, type ItemSession } from '../../training/offers/sessions.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

async function csvFile(t: { after: (fn: () => Promise<void>) => void }, rows: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'offers-protocol-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'events.csv');
  await writeFile(path, ['id,ts,subject,session,type,item,category,price,quantity', ...rows].join('\n') + '\n');
  return path;
}

test('sessions: subject lanes split at gaps over 30 minutes (every event counts, as in the engine), repeats collapsed, itemless events are no steps', async (t) => {
  const path = await csvFile(t, [
    `e1,${T0},u1,,view,a,,,`,
    `e2,${T0 + 1 * MIN},u1,,cart_add,a,,,`, // repeat of a: one step, now a cart
    `e3,${T0 + 2 * MIN},u1,,search,,,,`, // no item
    `e4,${T0 + 32 * MIN},u1,,view,b,,,`, // 31 minutes after e2 but exactly 30 after the search, which keeps the session alive (as in the engine)
    `e5,${T0 + 63 * MIN},u1,,view,c,,,`, // 31 minutes later: a new session
    `e6,${T0 + 5 * MIN},u2,,view,a,,,`,
  ]);
  const log = await loadSessionLog(path);
  assert.equal(log.events, 5);
  assert.equal(log.eventsWithoutItem, 1);
  assert.deepEqual(log.items, ['a', 'b', 'c']);
  const shape = log.sessions.map((s) => ({ subject: s.subject, items: s.items.map((i) => log.items[i]), types: s.types }));
  assert.deepEqual(shape, [
    { subject: 'u1', items: ['a', 'b'], types: ['cart_add', 'view'] },
    { subject: 'u2', items: ['a'], types: ['view'] },
    { subject: 'u1', items: ['c'], types: ['view'] },
  ]);
});

test('sessions: session ids are keys, so two sessions of a subject interleaved in time stay apart; file order does not matter', async (t) => {
  const path = await csvFile(t, [
    `e3,${T0 + 2 * MIN},u1,s1,view,c,,,`,
    `e1,${T0},u1,s1,view,a,,,`,
    `e2,${T0 + 1 * MIN},u1,s2,view,b,,,`,
    `e4,${T0 + 3 * MIN},u1,s2,view,d,,,`,
  ]);
  const log = await loadSessionLog(path);
  assert.deepEqual(
    log.sessions.map((s) => s.items.map((i) => log.items[i])),
    [
      ['a', 'c'],
      ['b', 'd'],
    ],
  );
});

test('bad rows: skipped and listed with line and column; --strict refuses the file naming them', async (t) => {
  const path = await csvFile(t, [`e1,${T0},u1,,view,a,,,`, `e2,not-a-time,u1,,view,b,,,`, `e3,${T0 + MIN},u1,,teleport,c,,,`, `e4,${T0 + 2 * MIN},u1,,view,d,,,`]);
  const log = await loadSessionLog(path);
  assert.deepEqual(
    log.badRows.map((b) => [b.line, b.error.column]),
    [
      [3, 'ts'],
      [4, 'type'],
    ],
  );
  assert.deepEqual(log.sessions[0]!.items.map((i) => log.items[i]), ['a', 'd']);
  await assert.rejects(loadSessionLog(path, { strict: true }), (err: unknown) => {
    assert.ok(isIobError(err));
    assert.match(err.message, /2 bad rows/);
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['line 3, column ts', 'line 4, column type'],
    );
    return true;
  });
});

function session(items: number[], start: number, subject = 's'): ItemSession {
  return { subject, start, end: start + items.length - 1, items, times: items.map((_, i) => start + i), types: items.map(() => 'view') };
}

test('split: unseen items removed (merging the repeats it creates), sessions shorter than 2 dropped, one prediction per prefix', () => {
  const cutoff = 1000;
  const train = [session([0, 1, 2], 0), session([2, 3], 100)];
  const test = [
    session([9, 0], 1000), // → [0]: dropped
    session([0, 9, 0], 1100), // → [0, 0] → [0]: dropped
    session([0, 9, 1, 2], 1200), // → [0, 1, 2]: 2 predictions
    session([3, 2, 1, 0], 1300), // 3 predictions
  ];
  const split = splitAt([...train, ...test], cutoff);
  assert.equal(split.train.length, 2);
  assert.deepEqual(
    split.test.map((s) => s.items),
    [
      [0, 1, 2],
      [3, 2, 1, 0],
    ],
  );
  assert.deepEqual(split.counts, {
    trainSessions: 2,
    trainItems: 4,
    testSessionsBeforeFiltering: 4,
    testStepsRemovedUnseen: 4,
    testSessionsDroppedShort: 2,
    testSessions: 2,
    predictions: 5,
  });
  const all = [...predictions(split)];
  assert.equal(all.length, 5);
  assert.deepEqual(all[0]!.query.prefix, [0]);
  assert.equal(all[0]!.target, 1);
  assert.deepEqual(all[1]!.query.prefix, [0, 1]);
  assert.equal(all[1]!.target, 2);
  assert.deepEqual(all[4]!.query.prefix, [3, 2, 1]);
  assert.equal(all[4]!.target, 0);
});

test('split: the test period is the last D days before the last event; a session starting at the cutoff is a test session', () => {
  const last = 10 * DAY_MS;
  const sessions = [session([0, 1], 0), session([1, 2], last - DAY_MS - 1), session([0, 2], last - DAY_MS), session([1, 0], last - 1)];
  const split = splitLastDays(sessions, 1);
  assert.equal(split.cutoff, last - DAY_MS);
  assert.equal(split.counts.trainSessions, 2);
  assert.equal(split.counts.testSessions, 2);
  assert.equal(splitLastDays(sessions, 2).counts.trainSessions, 1);
});

test('history: only the subject’s own items from before the session started', () => {
  const train = [session([5, 6], 0, 'u1'), session([7], 50, 'u2'), session([8, 9], 100, 'u1')];
  // u1's test session starts at 101, while its second training session (100–101) is still running: 9 is not history.
  const test = [session([5, 8], 101, 'u1'), session([7, 5], 500, 'u3')];
  const got = [...predictions({ train, test })];
  assert.deepEqual(got[0]!.query.history, [5, 6, 8]);
  assert.deepEqual(got[1]!.query.history, []);
});

test('samplePredictions: a seeded sample of whole test sessions, about the asked number of predictions; small splits unchanged', () => {
  const train = [session([0, 1, 2, 3], 0)];
  const test = Array.from({ length: 2000 }, (_, k) => session(k % 2 ? [0, 1, 2] : [3, 2], 1000 + k));
  const split = splitAt([...train, ...test], 1000);
  assert.equal(split.counts.predictions, 3000);
  assert.equal(samplePredictions(split, 3000, 1), split, 'no more predictions than asked: the split itself');
  const sample = samplePredictions(split, 600, 1);
  assert.ok(sample.counts.predictions > 450 && sample.counts.predictions < 750, `about 600 predictions (${sample.counts.predictions})`);
  assert.equal(sample.counts.predictions, [...predictions(sample)].length, 'counts match the predictions asked');
  assert.equal(sample.counts.testSessions, sample.test.length);
  for (const s of sample.test) assert.ok(split.test.includes(s), 'whole sessions of the split, unchanged');
  assert.deepEqual(samplePredictions(split, 600, 1).test, sample.test, 'same seed, same sample');
  assert.notDeepEqual(samplePredictions(split, 600, 2).test, sample.test, 'another seed, another sample');
  assert.equal(sample.train, split.train);
});
