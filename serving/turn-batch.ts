/**
 * Micro-batching on the event loop, for the scoring routes. A call made while the loop is delivering
 * requests does not run at once: it runs when the loop has read this turn's requests (`setImmediate`, the
 * check phase after the poll phase that delivered them), back to back with the turn's other calls, and each
 * caller's promise settles with its own result (or its own error).
 *
 * Why: under load one turn delivers several requests, one per connection with data ready. Answered one at a
 * time, each answer is written between the reading of the others, and each score runs between the
 * framework's and the kernel's work for them, on caches that work has evicted (in the loaded server a score
 * cost about twice its warm-loop time). Batched, the scores run back to back and the answers leave
 * together, so the load's next requests arrive together too: `POST /v1/intent` went from 0.69 to 0.90 of a
 * bare route's req/s, `POST /v1/offers` from 0.54 to 0.79 (docs/measurements.md, session 18).
 *
 * What it costs: an answer waits for the other requests of its batch to be read and scored. `max` bounds
 * that: the call that fills a batch runs it at once, so at most `max − 1` other requests are read and
 * scored before an answer leaves. A request alone in its turn pays one loop hop (~1 µs).
 */

/** Calls per batch: enough for most of the gain, while the wait stays a few requests long (session 18). */
export const MAX_PER_BATCH = 4;

export function perTurnBatch<A extends unknown[], R>(run: (...args: A) => R, max = MAX_PER_BATCH): (...args: A) => Promise<R> {
  if (!(max >= 1)) throw new RangeError(`a batch holds at least one call, not ${max}`);
  let calls: A[] = [];
  let settles: Array<{ resolve: (r: R) => void; reject: (err: unknown) => void }> = [];
  const flush = (): void => {
    if (calls.length === 0) return; // the batch filled up and ran before the turn ended
    const batch = calls;
    const settle = settles;
    calls = [];
    settles = [];
    for (let i = 0; i < batch.length; i++) {
      let result: R;
      try {
        result = run(...batch[i]!);
      } catch (err) {
        settle[i]!.reject(err);
        continue;
      }
      settle[i]!.resolve(result);
    }
  };
  return (...args: A) =>
    new Promise<R>((resolve, reject) => {
      if (calls.length === 0) setImmediate(flush);
      calls.push(args);
      settles.push({ resolve, reject });
      if (calls.length >= max) flush();
    });
}
