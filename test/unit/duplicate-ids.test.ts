/**
 * Reading a file as the stream takes it (training/duplicate-ids.ts): an id repeated within the duplicate
 * window is dropped, one repeated after it is a new event, and memory follows the window.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuplicateIdWindow } from '../../training/duplicate-ids.ts';

test('an id within the window (either side in time) is a duplicate; after it, a new event', () => {
  const w = new DuplicateIdWindow(120_000);
  assert.equal(w.repeats('a', 1_000_000), false);
  assert.equal(w.repeats('a', 1_000_000), true, 'the same event sent again');
  assert.equal(w.repeats('a', 1_100_000), true, 'a retry 100 s later');
  assert.equal(w.repeats('b', 1_050_000), false);
  assert.equal(w.repeats('b', 990_000), true, 'an earlier time within the window');
  assert.equal(w.repeats('a', 1_200_001), false, 'past the window: a new event with a reused id');
  assert.equal(w.repeats('a', 1_250_000), true, 'and that one dedupes its own retries');
  assert.equal(w.duplicates, 4);
});

test('memory follows the window in a time-ordered file, and a cap bounds it otherwise', () => {
  const w = new DuplicateIdWindow(1_000);
  for (let i = 0; i < 100_000; i++) w.repeats(`e${i}`, i * 100);
  assert.ok(w.size <= 12, 'about a window of ids is kept');
  const capped = new DuplicateIdWindow(Number.MAX_SAFE_INTEGER, 500);
  for (let i = 0; i < 10_000; i++) capped.repeats(`e${i}`, (i * 7919) % 10_000);
  assert.equal(capped.size, 500);
  assert.equal(capped.repeats('e9999', 0), true, 'the newest ids are still known');
});

test('out of time order (newest first, or sorted by user): retries are still caught, before and after the cap', () => {
  const w = new DuplicateIdWindow(120_000, 500);
  let caught = 0;
  for (let i = 0; i < 1_000; i++) {
    const ts = 1_000_000_000 - i * 1_000_000; // each event far older than the one before
    w.repeats(`e${i}`, ts);
    if (w.repeats(`e${i}`, ts + 1_000)) caught++; // the client's retry a second later
  }
  assert.equal(caught, 1_000, 'the cap forgets the oldest ids, never the one just remembered');
  assert.equal(w.size, 500);
  // an id reused long before its remembered time is a new event, and the later time stays what a resend repeats
  const reuse = new DuplicateIdWindow(120_000);
  assert.equal(reuse.repeats('a', 10_000_000), false);
  assert.equal(reuse.repeats('a', 9_500_000), false);
  assert.equal(reuse.repeats('a', 10_000_000), true);
});
