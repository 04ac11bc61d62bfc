/**
 * One evaluation's queries ranked by two threads that take chunks as they are free (second-thread.ts).
 *
 * The chunks are claimed from a shared counter, so a thread busy with a fit when the evaluation starts
 * simply takes none, and the other one takes them all. The metrics are summed over the chunks in chunk
 * order whichever thread ranked them, so they do not depend on the share: one thread and two give the same
 * figures, bit for bit.
 */
import type { AskedQueries, NextItemRanker, Tally } from './protocol.ts';
import { tallyRanker } from './protocol.ts';

/** Queries per chunk: small enough to balance two threads, large enough that claiming costs nothing. */
export const CHUNK_QUERIES = 256;

const NEXT = 0;
const STATE = 1;
const OPEN = 0;
const SECOND_STARTED = 1;
const CLOSED = 2;

/** The shared control words of one evaluation: the next chunk to claim, and whether the second thread may still join. */
export function chunkControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

export function chunkCount(queries: AskedQueries['queries']): number {
  return Math.ceil(queries.length / CHUNK_QUERIES);
}

/**
 * Ranks chunks until none is left. The second thread first checks it may still join: the first thread
 * closes the evaluation when it ran out of chunks before the second started, and then does not wait for it.
 */
export function claimChunks(control: Int32Array, queries: AskedQueries['queries'], ranker: NextItemRanker, thread: 'first' | 'second'): Array<{ chunk: number; tally: Tally }> {
  if (thread === 'second' && Atomics.compareExchange(control, STATE, OPEN, SECOND_STARTED) !== OPEN) return [];
  const out: Array<{ chunk: number; tally: Tally }> = [];
  const chunks = chunkCount(queries);
  for (let chunk = Atomics.add(control, NEXT, 1); chunk < chunks; chunk = Atomics.add(control, NEXT, 1)) {
    out.push({ chunk, tally: tallyRanker(ranker, queries.slice(chunk * CHUNK_QUERIES, (chunk + 1) * CHUNK_QUERIES)) });
  }
  return out;
}

/** After the first thread ran out of chunks: true when the second thread had joined (its chunks are to be awaited). */
export function secondJoined(control: Int32Array): boolean {
  return Atomics.compareExchange(control, STATE, OPEN, CLOSED) !== OPEN;
}

/** Every chunk's tally in chunk order, ranking here whichever chunk has none (a second thread that failed). */
export function allChunks(queries: AskedQueries['queries'], ranker: NextItemRanker, done: ReadonlyArray<{ chunk: number; tally: Tally }>): Tally[] {
  const tallies: Array<Tally | undefined> = new Array(chunkCount(queries));
  for (const { chunk, tally } of done) tallies[chunk] = tally;
  return Array.from(tallies, (t, chunk) => t ?? tallyRanker(ranker, queries.slice(chunk * CHUNK_QUERIES, (chunk + 1) * CHUNK_QUERIES)));
}
