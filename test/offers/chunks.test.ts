/**
 * The chunk protocol two threads share an evaluation by (training/offers/chunks.ts), played out on one
 * thread in both orders: whoever claims which chunks, the merged metrics are one pass's, bit for bit, and a
 * thread that joins too late claims nothing, builds no ranker, and is not waited for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allChunks, chunkControl, claimChunks, secondJoined } from '../../training/offers/chunks.ts';
import { askedOf, evaluateRanker, evaluationOf, type NextItemQuery, type NextItemRanker } from '../../training/offers/protocol.ts';
import type { ItemSession } from '../../training/offers/sessions.ts';
import { Rng } from '../../datasets/random.ts';

function session(subject: string, items: number[], start: number): ItemSession {
  return { subject, start, end: start + items.length, items, times: items.map((_, i) => start + i), types: items.map(() => 'view') };
}

/** A split whose reciprocal ranks are varied enough that summing them in another order would show. */
function split() {
  const rng = new Rng(9);
  const train = Array.from({ length: 40 }, (_, i) => session(`u${i % 7}`, Array.from({ length: 3 + rng.int(6) }, () => rng.int(60)), i * 100));
  const test = Array.from({ length: 30 }, (_, i) => session(`u${i % 9}`, Array.from({ length: 2 + rng.int(9) }, () => rng.int(60)), 10_000 + i * 100));
  return { train, test };
}

/** Lists items by a hash of the query, so ranks land all over 1…20 and 0. */
function hashRanker(built: { count: number }): () => NextItemRanker {
  return () => {
    built.count++;
    return {
      recommend(query: NextItemQuery, k: number): number[] {
        const seed = query.prefix.reduce((h, x) => (h * 31 + x) >>> 0, query.history.length + 7);
        const rng = new Rng(seed);
        const out = new Set<number>();
        while (out.size < k) out.add(rng.int(60));
        return [...out];
      },
    };
  };
}

test('whoever ranks which chunks, the merged evaluation is one pass\'s, bit for bit', () => {
  const s = split();
  const asked = askedOf(s);
  assert.ok(asked.session.length > 100, `${asked.session.length} queries`);
  const built = { count: 0 };
  const whole = evaluateRanker(hashRanker(built)(), s);
  assert.ok(whole.metrics['mrr@20'] > 0 && whole.metrics['hr@20'] < 1, JSON.stringify(whole.metrics));

  // the second thread joins first and takes every chunk; the first finds none left and waits for it
  const a = chunkControl();
  const second = claimChunks(a, asked, hashRanker(built), 'second', 7);
  const first = claimChunks(a, asked, hashRanker(built), 'first', 7);
  assert.equal(first.length, 0);
  assert.equal(second.length, Math.ceil(asked.session.length / 7));
  assert.equal(secondJoined(a), true, 'the first thread must wait for the chunks the second claimed');
  assert.deepEqual(evaluationOf(allChunks(asked, hashRanker(built), [...first, ...second], 7), asked.trainItemCount), whole);

  // the first takes every chunk and closes the evaluation: the late second claims nothing and builds nothing
  const b = chunkControl();
  const before = built.count;
  const mine = claimChunks(b, asked, hashRanker(built), 'first', 7);
  assert.equal(secondJoined(b), false);
  assert.deepEqual(claimChunks(b, asked, hashRanker(built), 'second', 7), []);
  assert.equal(built.count, before + 1, 'one ranker, built by the thread that ranked');
  assert.deepEqual(evaluationOf(allChunks(asked, hashRanker(built), mine, 7), asked.trainItemCount), whole);

  // chunks lost with a failed thread (every other one of its claims) ranked again here: still one pass's figures
  const c = chunkControl();
  const x = claimChunks(c, asked, hashRanker(built), 'second', 5).filter((_, i) => i % 2 === 0);
  assert.deepEqual(evaluationOf(allChunks(asked, hashRanker(built), x, 5), asked.trainItemCount), whole);
});
