/**
 * Micro-batching on the event loop, for the scoring routes. A call made while the loop is delivering
 * requests does not run at once: it runs when the loop has read this turn's requests (`setImmediate`, the
 * check phase after the poll phase that delivered them), back to back with the turn's other calls, and each
 * caller's promise settles with its own result (or its own error).
 *
 * Why: under load one turn delivers several requests, one per connection with data ready. Answered one at a
 * time, each answer is written between the reading of the others, and each score runs between the
 * framework's and the kernel's work for them, on caches that work has evicted (in the loaded server the
 * intent score cost 7.9 µs against 3.3 µs in a warm loop). Batched, the scores run back to back and the
 * answers leave together, so the load's next requests arrive together too. Under the route benches' load
 * `POST /v1/intent` went from 0.69 to 0.88–0.93 of a bare route's req/s, `POST /v1/offers` from
 * 0.52–0.58 (sessions 12–17) to 0.82–0.83; a bare route answered this way gains too (1.08–1.27×), and
 * against it the two routes stand at 0.77–0.80 and 0.64–0.66 (docs/measurements.md, session 18).
 *
 * What it costs: an answer waits for the other requests of its batch to be read and scored. `max` bounds
 * that: the call that fills a batch runs it at once, so at most `max − 1` other requests are read and
 * scored before an answer leaves. Under that load the routes' server-side p99 went from 0.06 to 0.35 ms
 * (intent) and from 0.09 to 0.60 ms (offers); that clock starts when a request is read, and unbatched, a
 * request behind others in its turn waited in the socket, where no server-side figure saw it. A request
 * alone in its turn pays one loop hop (one connection: a bare route answered this way did 0.94 of the
 * plain one's req/s).
 */

/**
 * Calls per batch by default (`IOB_SCORE_BATCH`). Under the route benches' load (10 connections): with 4, intent 0.79–0.90 of the bare
 * route's req/s and offers 0.79–0.80, server-side p99 0.22–0.25 and 0.32–0.37 ms; with 8, 0.93–0.96 and
 * 0.83–0.86, p99 0.34–0.42 and 0.48–0.60 ms; unbounded, 0.97 and 0.91, 0.40 and 0.80 ms (session 18).
 */
export const MAX_PER_BATCH = 8;

export function perTurnBatch<A extends unknown[], R>(run: (...args: A) => R, max = MAX_PER_BATCH): (...args: A) => Promise<R> {
  if (!(max >= 1)) throw new RangeError(`a batch holds at least one call, not ${max}`);
  // One call per batch is no batching: run at once, without the loop hop (`IOB_SCORE_BATCH=1`).
  if (max === 1) {
    return (...args: A) => {
      try {
        return Promise.resolve(run(...args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  let calls: A[] = [];
  let settles: Array<{ resolve: (r: R) => void; reject: (err: unknown) => void }> = [];
  /** a `setImmediate(flush)` is pending (it also runs what a full batch left for the rest of the turn) */
  let scheduled = false;
  const flush = (): void => {
    const batch = calls;
    const settle = settles;
    // A call made while this batch runs (from inside `run`) belongs to a later batch.
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
  const endOfTurn = (): void => {
    scheduled = false;
    flush();
  };
  return (...args: A) =>
    new Promise<R>((resolve, reject) => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(endOfTurn);
      }
      calls.push(args);
      settles.push({ resolve, reject });
      if (calls.length >= max) flush();
    });
}
