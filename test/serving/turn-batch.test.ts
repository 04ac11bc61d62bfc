/**
 * perTurnBatch (serving/turn-batch.ts): calls made in one event-loop turn run together after it, each caller
 * gets its own result or error, a full batch runs at once, and a call made after a batch ran waits for the
 * next one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { perTurnBatch } from '../../serving/turn-batch.ts';

test('calls of one turn run after it, back to back, in order, each settling with its own result', async () => {
  const log: string[] = [];
  const double = perTurnBatch((x: number) => {
    log.push(`run ${x}`);
    return 2 * x;
  }, 10);
  const answers = [1, 2, 3].map((x) => double(x).then((r) => (log.push(`answer ${x}`), r)));
  log.push('turn ends');
  assert.deepEqual(await Promise.all(answers), [2, 4, 6]);
  // Nothing ran during the turn, and every call ran before any caller saw an answer.
  assert.deepEqual(log, ['turn ends', 'run 1', 'run 2', 'run 3', 'answer 1', 'answer 2', 'answer 3']);
});

test('an error rejects its own call only', async () => {
  const check = perTurnBatch((x: number) => {
    if (x < 0) throw new RangeError(`${x} is negative`);
    return x;
  });
  const results = await Promise.allSettled([check(1), check(-1), check(3)]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal((results[1] as PromiseRejectedResult).reason.message, '-1 is negative');
  assert.deepEqual([results[0], results[2]].map((r) => (r as PromiseFulfilledResult<number>).value), [1, 3]);
});

test('the call that fills a batch runs it at once; the rest of the turn forms the next batch', async () => {
  let batch: number[] = [];
  const run = perTurnBatch((x: number) => {
    batch.push(x);
    return x;
  }, 2);
  const first = [run(1), run(2)];
  // The second call filled the batch: both ran before it returned.
  assert.deepEqual(batch, [1, 2]);
  batch = [];
  const rest = [run(3), run(4), run(5)];
  assert.deepEqual(batch, [3, 4], 'the fourth call filled the next batch');
  batch = [];
  assert.deepEqual(await Promise.all([...first, ...rest]), [1, 2, 3, 4, 5]);
  assert.deepEqual(batch, [5], 'the fifth ran when the turn ended');
});

test('a batch of one is no batching: each call runs at once, its error a rejected promise', async () => {
  const ran: number[] = [];
  const half = perTurnBatch((x: number) => {
    if (x === 0) throw new RangeError('zero');
    ran.push(x);
    return x / 2;
  }, 1);
  const answers = [half(4), half(2)];
  assert.deepEqual(ran, [4, 2], 'both ran before the turn ended');
  assert.deepEqual(await Promise.all(answers), [2, 1]);
  await assert.rejects(half(0), /zero/);
});

test('a call made from inside a batch runs in a later one', async () => {
  const order: string[] = [];
  let inner: Promise<string> | undefined;
  const echo: (s: string) => Promise<string> = perTurnBatch((s: string) => {
    order.push(`run ${s}`);
    if (s === 'a') inner = echo('inner');
    return s;
  });
  await Promise.all([echo('a'), echo('b')]);
  assert.deepEqual(order, ['run a', 'run b']);
  assert.equal(await inner, 'inner');
  assert.deepEqual(order, ['run a', 'run b', 'run inner']);
});

test('a call made after its turn ran goes to a later batch; a batch needs room for one call', async () => {
  const order: string[] = [];
  const echo = perTurnBatch((s: string) => (order.push(s), s));
  await echo('a').then(() => echo('b'));
  await echo('c');
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.throws(() => perTurnBatch(() => 0, 0), /at least one call, not 0/);
});
