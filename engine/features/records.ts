/**
 * Fixed-size records in one buffer, read as doubles and as 32-bit ints: an entity's header (newest event
 * time, list references, last values …) sits in one or two cache lines instead of one line per column,
 * which is what a read at a million entities pays for. Fields are laid out in 8-byte units; a unit holds a
 * double, or two ints.
 */
import { grownLength } from './key-table.ts';

export class RecordLayout {
  private units = 0;
  /** Reserves one double; returns its unit. */
  double(): number {
    return this.units++;
  }
  /** Reserves two ints (e.g. a BlockLists reference); returns the index of the first, in int units. */
  intPair(): number {
    return 2 * this.units++;
  }
  /** Reserves `n` ints; returns the index of the first, in int units. */
  ints(n: number): number {
    const first = 2 * this.units;
    this.units += Math.ceil(n / 2);
    return first;
  }
  get stride(): number {
    return Math.max(1, this.units);
  }
}

export class Records {
  f: Float64Array;
  i: Int32Array;
  /** record size in doubles (ints: twice that) */
  readonly stride: number;

  constructor(stride: number, capacity = 1024) {
    this.stride = stride;
    this.f = new Float64Array(capacity * stride);
    this.i = new Int32Array(this.f.buffer);
  }

  get capacity(): number {
    return this.f.length / this.stride;
  }

  /** Makes room for records [0, n); new records are zero. */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    const f = new Float64Array(Math.max(n, grownLength(this.capacity)) * this.stride);
    f.set(this.f);
    this.f = f;
    this.i = new Int32Array(f.buffer);
  }

  zero(record: number): void {
    this.f.fill(0, record * this.stride, (record + 1) * this.stride);
  }

  /** The first `n` records' bytes, for snapshots. */
  state(n: number): Float64Array {
    return this.f.subarray(0, n * this.stride);
  }

  static fromState(stride: number, data: Float64Array, capacity: number): Records {
    const r = new Records(stride, Math.max(capacity, data.length / stride, 1024));
    r.f.set(data);
    return r;
  }
}
