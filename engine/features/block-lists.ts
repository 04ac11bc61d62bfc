/**
 * Short variable-length lists per owner (an entity's tiles, its distinct items, its demand days), packed
 * into one shared buffer instead of a typed array per owner: a typed array object alone costs more than
 * the 300 bytes a subject may use.
 *
 * A record has `floatCount` Float64 fields followed by `intCount` Int32 fields, in one buffer read through
 * `floats` and `ints` (so one record is one or two cache lines). An owner's list lives in a block of 2^k
 * consecutive records; a full block moves to one twice the size, a block emptied to a quarter moves to a
 * smaller one, and freed blocks are reused per size class.
 *
 * The reference to an owner's block — two ints, [first record or -1, length << 5 | log2(block size)] —
 * lives in the owner's own record (records.ts), passed in as (refs, at), so that reading an entity touches
 * its header once rather than one array per list.
 */
import { grownLength } from './key-table.ts';

const NONE = -1;
const LOG_BITS = 5;
const LOG_MASK = (1 << LOG_BITS) - 1;

export interface BlockListsState {
  data: Float64Array;
  top: number;
  free: number[][];
}

export class BlockLists {
  floats: Float64Array;
  ints: Int32Array;
  /** record size in ints (floats: half of it) */
  readonly intStride: number;
  readonly floatStride: number;
  /** index of the first int field within a record, in ints */
  readonly intBase: number;
  private capacity = 1024;
  private top = 0;
  private free: number[][] = [];

  constructor(
    readonly floatCount: number,
    readonly intCount: number,
  ) {
    this.intBase = 2 * floatCount;
    this.intStride = this.intBase + intCount + ((this.intBase + intCount) & 1);
    this.floatStride = this.intStride / 2;
    this.floats = new Float64Array(this.capacity * this.floatStride);
    this.ints = new Int32Array(this.floats.buffer);
  }

  length(refs: Int32Array, at: number): number {
    return refs[at] === NONE ? 0 : refs[at + 1]! >>> LOG_BITS;
  }

  /** Index of the owner's first record (records are consecutive). Valid until the next insert, truncate or clear. */
  start(refs: Int32Array, at: number): number {
    return refs[at]!;
  }

  /** Inserts a zeroed record at position `pos` of the owner's list; returns its record index. */
  insert(refs: Int32Array, at: number, pos: number): number {
    let off = refs[at]!;
    const len = off === NONE ? 0 : refs[at + 1]! >>> LOG_BITS;
    const log = off === NONE ? -1 : refs[at + 1]! & LOG_MASK;
    if (len === (log < 0 ? 0 : 1 << log)) {
      const moved = this.alloc(log + 1);
      if (off !== NONE) {
        this.copy(off, moved, pos);
        this.copy(off + pos, moved + pos + 1, len - pos);
        this.release(off, log);
      }
      off = moved;
      refs[at] = off;
      refs[at + 1] = ((len + 1) << LOG_BITS) | (log + 1);
    } else {
      this.copy(off + pos, off + pos + 1, len - pos);
      refs[at + 1] = ((len + 1) << LOG_BITS) | log;
    }
    // records are a few doubles: a loop beats the call into TypedArray.fill
    const f = this.floats;
    for (let j = (off + pos) * this.floatStride, end = j + this.floatStride; j < end; j++) f[j] = 0;
    return off + pos;
  }

  /**
   * Gives an owner with no list `n` zeroed records at once (one block of the size inserts would reach),
   * returning the first; a bulk load's way in, with `reserve` beforehand.
   */
  appendBlock(refs: Int32Array, at: number, n: number): number {
    if (refs[at] !== NONE) throw new Error('appendBlock: the owner has a list already');
    if (n === 0) return -1;
    const log = Math.ceil(Math.log2(n));
    const off = this.alloc(log);
    this.floats.fill(0, off * this.floatStride, (off + n) * this.floatStride);
    refs[at] = off;
    refs[at + 1] = (n << LOG_BITS) | log;
    return off;
  }

  /** Room for `records` more records (blocks included), made at once; see KeyTable.reserve. */
  reserve(records: number): void {
    this.ensureCapacity(this.top + records);
  }

  /** Keeps the first `n` records (the caller compacted them in place), shrinking the block when mostly empty. */
  truncate(refs: Int32Array, at: number, n: number): void {
    const off = refs[at]!;
    if (off === NONE) return;
    if (n === 0) return this.clear(refs, at);
    let log = refs[at + 1]! & LOG_MASK;
    if (log > 1 && n <= 1 << (log - 2)) {
      const moved = this.alloc(log - 1);
      this.copy(off, moved, n);
      this.release(off, log);
      refs[at] = moved;
      log--;
    }
    refs[at + 1] = (n << LOG_BITS) | log;
  }

  /** Removes the record at position `pos` of the owner's list (later records move down one). */
  remove(refs: Int32Array, at: number, pos: number): void {
    const off = refs[at]!;
    const n = this.length(refs, at);
    this.copy(off + pos + 1, off + pos, n - pos - 1);
    this.truncate(refs, at, n - 1);
  }

  clear(refs: Int32Array, at: number): void {
    const off = refs[at]!;
    if (off === NONE) return;
    this.release(off, refs[at + 1]! & LOG_MASK);
    refs[at] = NONE;
    refs[at + 1] = 0;
  }

  /** Copies record `from` over record `to`. */
  move(from: number, to: number): void {
    this.copy(from, to, 1);
  }

  byteSize(): number {
    return this.floats.byteLength;
  }

  state(): BlockListsState {
    return { data: this.floats.subarray(0, this.top * this.floatStride), top: this.top, free: this.free };
  }

  static fromState(s: BlockListsState, floatCount: number, intCount: number): BlockLists {
    const b = new BlockLists(floatCount, intCount);
    b.ensureCapacity(s.top);
    b.floats.set(s.data);
    b.top = s.top;
    b.free = s.free.map((list) => [...(list ?? [])]);
    return b;
  }

  private alloc(log: number): number {
    const reused = this.free[log]?.pop();
    if (reused !== undefined) return reused;
    const size = 1 << log;
    this.ensureCapacity(this.top + size);
    const off = this.top;
    this.top += size;
    return off;
  }

  private release(off: number, log: number): void {
    (this.free[log] ??= []).push(off);
  }

  private ensureCapacity(records: number): void {
    if (records <= this.capacity) return;
    const n = Math.max(records, grownLength(this.capacity));
    const floats = new Float64Array(n * this.floatStride);
    floats.set(this.floats);
    this.floats = floats;
    this.ints = new Int32Array(floats.buffer);
    this.capacity = n;
  }

  private copy(from: number, to: number, n: number): void {
    if (n <= 0 || from === to) return;
    const s = this.floatStride;
    const f = this.floats;
    if (n * s > 16) {
      f.copyWithin(to * s, from * s, (from + n) * s);
    } else if (to > from) {
      // overlapping shift right: copy from the end (short runs: a loop beats the call into copyWithin)
      for (let j = n * s - 1; j >= 0; j--) f[to * s + j] = f[from * s + j]!;
    } else {
      for (let j = 0; j < n * s; j++) f[to * s + j] = f[from * s + j]!;
    }
  }
}
