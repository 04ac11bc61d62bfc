/**
 * One evaluation's queries ranked by two threads that take chunks as they are free (second-thread.ts).
 *
 * The chunks are claimed from a shared counter, so a thread busy with a fit when the evaluation starts
 * simply takes none, and the other one takes them all. The chunks' tallies merge in chunk order whichever
 * thread ranked them (protocol.ts evaluationOf), so one thread and two give the same figures, bit for bit.
 */
import { tallyRanker, type AskedQueries, type NextItemRanker, type Tally } from './protocol.ts';

/** Queries per chunk: small enough to balance two threads, large enough that claiming costs nothing. */
export const CHUNK_QUERIES = 256;

const NEXT = 0;
const STATE = 1;
const OPEN = 0;
const SECOND_STARTED = 1;
const CLOSED = 2;

export type ChunkTally = { chunk: number; tally: Tally };

/** The shared control words of one evaluation: the next chunk to claim, and whether the second thread may still join. */
export function chunkControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

function chunkCount(asked: AskedQueries, size: number): number {
  return Math.ceil(asked.session.length / size);
}

function tallyChunk(ranker: NextItemRanker, asked: AskedQueries, chunk: number, size: number): Tally {
  return tallyRanker(ranker, asked, chunk * size, Math.min(asked.session.length, (chunk + 1) * size));
}

/**
 * Ranks chunks until none is left; the ranker is built on the first chunk claimed (a thread that claims
 * none builds none). The second thread first checks it may still join: the first thread closes the
 * evaluation when it ran out of chunks before the second started, and then does not wait for it.
 */
export function claimChunks(control: Int32Array, asked: AskedQueries, ranker: () => NextItemRanker, thread: 'first' | 'second', size = CHUNK_QUERIES): ChunkTally[] {
  if (thread === 'second' && Atomics.compareExchange(control, STATE, OPEN, SECOND_STARTED) !== OPEN) return [];
  const out: ChunkTally[] = [];
  const chunks = chunkCount(asked, size);
  let built: NextItemRanker | undefined;
  for (let chunk = Atomics.add(control, NEXT, 1); chunk < chunks; chunk = Atomics.add(control, NEXT, 1)) {
    built ??= ranker();
    out.push({ chunk, tally: tallyChunk(built, asked, chunk, size) });
  }
  return out;
}

/** After the first thread ran out of chunks: true when the second thread had joined (its chunks are to be awaited). */
export function secondJoined(control: Int32Array): boolean {
  return Atomics.compareExchange(control, STATE, OPEN, CLOSED) !== OPEN;
}

/** Every chunk's tally in chunk order, ranking here whichever chunk has none (a second thread that failed). */
export function allChunks(asked: AskedQueries, ranker: () => NextItemRanker, done: readonly ChunkTally[], size = CHUNK_QUERIES): Tally[] {
  const tallies: Array<Tally | undefined> = new Array(chunkCount(asked, size));
  for (const { chunk, tally } of done) tallies[chunk] = tally;
  let built: NextItemRanker | undefined;
  return Array.from(tallies, (t, chunk) => t ?? tallyChunk((built ??= ranker()), asked, chunk, size));
}
