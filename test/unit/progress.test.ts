/**
 * The CLI's progress display on a terminal: a bar when the total is known; when it is not (events read from
 * a file), a running count — a bar whose total doubles as the count passes it ran backwards, 50% → 100% →
 * 50%, on every big input.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createProgress } from '../../cli/progress.ts';

function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  stream.isTTY = true;
  stream.columns = 120;
  let out = '';
  (stream as unknown as PassThrough).on('data', (d: Buffer) => (out += d.toString()));
  return { stream, text: () => out.replace(/\x1b(\[[0-9;?]*[a-zA-Z]|[78])/g, '') };
}

test('an unknown total shows a count, never a bar that runs backwards', () => {
  const { stream, text } = terminal();
  const progress = createProgress('events', 'events', 0, stream);
  for (let i = 0; i < 5; i++) progress.increment(1000);
  progress.stop();
  assert.match(text(), /events 5000 events/);
  assert.doesNotMatch(text(), /[░█]/, 'no bar');
});

test('a known total shows a bar that fills', () => {
  const { stream, text } = terminal();
  const progress = createProgress('train', 'epochs', 4, stream);
  for (let i = 0; i < 4; i++) progress.increment();
  progress.stop();
  assert.match(text(), /train \[█+\] 4\/4 epochs/);
});

test('off a terminal nothing is drawn', () => {
  const { stream, text } = terminal();
  (stream as { isTTY: boolean }).isTTY = false;
  const progress = createProgress('events', 'events', 0, stream);
  progress.increment(10);
  progress.stop();
  assert.equal(text(), '');
});
