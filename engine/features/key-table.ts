/**
 * A string → slot dictionary in typed arrays: the keys of millions of entities without a JS object each.
 *
 * Why not a Map<string, number>: at a million subjects a Map costs ~100 bytes per entry (entry, string
 * header, growth slack) and every GC has to walk a million strings. Here a key costs one slot record —
 * hash, length, up to 24 key bytes inline (pseudonyms are 22), then the owner's payload (an entity's
 * header: newest event time, list references …) — plus ~6 bytes of index, and the garbage collector sees
 * a handful of arrays. Keeping key and payload in one record means a read touches the index and one
 * record, which matters more than arithmetic at a million entities.
 *
 * Keys whose characters are all ≤ U+00FF take one byte per character, others two. Longer keys live in a
 * byte pool (the slot holds their offset); freed pool bytes are reclaimed by compaction once half of the
 * pool is garbage. Open addressing with linear probing over a power-of-two index of slot+1 (0 = empty);
 * deletion shifts later entries back instead of leaving tombstones, so lookups never slow down with churn.
 * Slots are reused. A namespace bit lets one table hold two key spaces (session ids and subject lanes).
 */

const MAX_LOAD = 0.7;
/** Int32 fields of a slot before the payload: hash, meta, then INLINE key bytes */
const KEY_INTS = 8;
const INLINE = 24;
const FREE = -1;

export interface KeyTableState {
  slots: Int32Array;
  pool: Uint8Array;
  slotTop: number;
  freeSlots: number[];
}

export class KeyTable {
  /**
   * per slot: [hash, meta = length << 2 | wide << 1 | namespace (or -1 when free), key bytes or pool
   * offset …, payload]; the same buffer as doubles in `f`
   */
  i: Int32Array;
  f: Float64Array;
  /** slot record size in ints (doubles: half) */
  readonly stride: number;
  /** where the payload starts within a record, in doubles */
  readonly payload = KEY_INTS / 2;
  private slotBytes: Uint8Array;
  private pool: Uint8Array;
  private poolTop = 0;
  private garbage = 0;
  private index: Int32Array;
  private mask: number;
  private slotTop = 0;
  private freeSlots: number[] = [];
  private probeMeta = 0;
  /** the key last prepared, as stored: 4 bytes per int, zero-padded */
  private words = new Int32Array(16);
  private wordCount = 0;
  size = 0;
  /** set by findOrInsert: whether the last call created the slot */
  inserted = false;

  /** `payloadDoubles`: 8-byte units of owner data per slot, zeroed when a slot is (re)used */
  constructor(payloadDoubles = 0, initialSlots = 1024) {
    this.stride = KEY_INTS + 2 * payloadDoubles;
    this.f = new Float64Array((initialSlots * this.stride) / 2);
    this.i = new Int32Array(this.f.buffer);
    for (let s = 0; s < initialSlots; s++) this.i[s * this.stride + 1] = FREE;
    this.slotBytes = new Uint8Array(this.f.buffer);
    this.pool = new Uint8Array(1024);
    this.index = new Int32Array(nextPow2(Math.ceil(initialSlots / MAX_LOAD)));
    this.mask = this.index.length - 1;
  }

  /** Slots that exist (live or free): owners size their columns by this. */
  get slotCapacity(): number {
    return this.i.length / this.stride;
  }

  /** One past the highest slot in use. */
  get highWater(): number {
    return this.slotTop;
  }

  isLive(slot: number): boolean {
    return slot < this.slotTop && this.i[slot * this.stride + 1]! >= 0;
  }

  find(key: string, ns = 0): number {
    const h = this.prepare(key, ns);
    const meta = this.probeMeta;
    const { index, mask, stride } = this;
    const slots = this.i;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = index[i]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (slots[slot * stride] === h && slots[slot * stride + 1] === meta && this.sameKey(slot, meta)) return slot;
    }
  }

  findOrInsert(key: string, ns = 0): number {
    const h = this.prepare(key, ns);
    const meta = this.probeMeta;
    const { index, mask, stride } = this;
    const slots = this.i;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const entry = index[i]!;
      if (entry === 0) break;
      const slot = entry - 1;
      if (slots[slot * stride] === h && slots[slot * stride + 1] === meta && this.sameKey(slot, meta)) {
        this.inserted = false;
        return slot;
      }
    }
    this.inserted = true;
    const slot = this.allocSlot();
    this.i.fill(0, slot * stride + KEY_INTS, (slot + 1) * stride);
    this.i[slot * stride] = h;
    this.i[slot * stride + 1] = meta;
    this.storeKey(slot, meta);
    this.size++;
    if (this.size > this.index.length * MAX_LOAD) this.rehash(this.index.length * 2);
    else index[i] = slot + 1;
    return slot;
  }

  remove(slot: number): void {
    if (!this.isLive(slot)) return;
    const { index, mask, stride } = this;
    const slots = this.i;
    let i = slots[slot * stride]! & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    // backward-shift deletion: move later entries of the probe run into the hole when their home allows
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = slots[(index[j]! - 1) * stride]! & mask;
      const movable = j > i ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        index[i] = index[j]!;
        i = j;
      }
    }
    index[i] = 0;
    const bytes = byteLength(slots[slot * stride + 1]!);
    if (bytes > INLINE) this.garbage += bytes;
    slots[slot * stride + 1] = FREE;
    this.freeSlots.push(slot);
    this.size--;
    if (this.garbage > 65_536 && this.garbage * 2 > this.poolTop) this.compactPool();
  }

  keyOf(slot: number): string {
    const meta = this.i[slot * this.stride + 1]!;
    const len = meta >>> 2;
    const [bytes, off] = this.keyBytes(slot, meta);
    const codes = new Array<number>(len);
    if (meta & 2) for (let i = 0; i < len; i++) codes[i] = bytes[off + 2 * i]! | (bytes[off + 2 * i + 1]! << 8);
    else for (let i = 0; i < len; i++) codes[i] = bytes[off + i]!;
    // one call makes a flat string; `+=` would build a rope that every later charCodeAt walks through
    return String.fromCharCode(...codes);
  }

  namespaceOf(slot: number): number {
    return this.i[slot * this.stride + 1]! & 1;
  }

  /** Bytes held by the table's arrays. */
  byteSize(): number {
    return this.i.byteLength + this.pool.byteLength + this.index.byteLength;
  }

  state(): KeyTableState {
    this.compactPool();
    return {
      slots: this.i.subarray(0, this.slotTop * this.stride),
      pool: this.pool.subarray(0, this.poolTop),
      slotTop: this.slotTop,
      freeSlots: this.freeSlots,
    };
  }

  static fromState(s: KeyTableState, payloadDoubles = 0): KeyTable {
    const t = new KeyTable(payloadDoubles, Math.max(1024, s.slotTop));
    t.i.set(s.slots);
    t.pool = new Uint8Array(Math.max(1024, Math.ceil(s.pool.length * 1.25)));
    t.pool.set(s.pool);
    t.poolTop = s.pool.length;
    t.slotTop = s.slotTop;
    t.freeSlots = [...s.freeSlots];
    for (let slot = 0; slot < s.slotTop; slot++) if (t.i[slot * t.stride + 1]! >= 0) t.size++;
    t.rehashKeys();
    t.rehash(nextPow2(Math.ceil((t.size + 1) / MAX_LOAD)));
    return t;
  }

  /**
   * Hashes the key, sets `probeMeta` and leaves the key's stored bytes in `words` (4 per int, zero-padded):
   * one pass over its characters, after which comparing with a stored key is a few int comparisons.
   */
  private prepare(key: string, ns: number): number {
    const len = key.length;
    if (len > this.words.length * 2) this.words = new Int32Array(len);
    const words = this.words;
    let h = 0x811c9dc5 ^ ns ^ len;
    let bits = 0;
    let i = 0;
    let k = 0;
    // one byte per character (the usual case: ids are ASCII), four to a word
    for (; i + 3 < len; i += 4) {
      const a = key.charCodeAt(i);
      const b = key.charCodeAt(i + 1);
      const c = key.charCodeAt(i + 2);
      const d = key.charCodeAt(i + 3);
      bits |= a | b | c | d;
      const w = a | (b << 8) | (c << 16) | (d << 24);
      words[k++] = w;
      h = Math.imul(h ^ w, 0x01000193);
    }
    if (i < len) {
      let w = 0;
      for (let shift = 0; i < len; i++, shift += 8) {
        const c = key.charCodeAt(i);
        bits |= c;
        w |= c << shift;
      }
      words[k++] = w;
      h = Math.imul(h ^ w, 0x01000193);
    }
    let wide = 0;
    if (bits > 0xff) {
      // a character above U+00FF: two bytes per character, two to a word
      wide = 2;
      h = 0x811c9dc5 ^ ns ^ len;
      for (k = 0, i = 0; i < len; i += 2, k++) {
        const w = key.charCodeAt(i) | (i + 1 < len ? key.charCodeAt(i + 1) << 16 : 0);
        words[k] = w;
        h = Math.imul(h ^ w, 0x01000193);
      }
    }
    this.wordCount = k;
    this.probeMeta = (len << 2) | wide | ns;
    return finish(h);
  }

  /** Where a slot's key bytes are: the slot record itself, or the pool. */
  private keyBytes(slot: number, meta: number): [Uint8Array, number] {
    return byteLength(meta) <= INLINE ? [this.slotBytes, slot * this.stride * 4 + 8] : [this.pool, this.i[slot * this.stride + 2]!];
  }

  /** Whether slot `slot` (whose meta equals `meta`) holds the key last prepared. */
  private sameKey(slot: number, meta: number): boolean {
    const words = this.words;
    const n = this.wordCount;
    if (byteLength(meta) <= INLINE) {
      const slots = this.i;
      const at = slot * this.stride + 2;
      for (let k = 0; k < n; k++) if (slots[at + k] !== words[k]) return false;
      return true;
    }
    const pool = this.pool;
    const off = this.i[slot * this.stride + 2]!;
    const bytes = byteLength(meta);
    for (let j = 0; j < bytes; j++) if (pool[off + j] !== ((words[j >> 2]! >>> ((j & 3) * 8)) & 255)) return false;
    return true;
  }

  /**
   * Room for `more` keys beyond those held, made at once: a bulk load (a snapshot's restore) that knows its
   * size grows the arrays once, where growing by half many times over also set off a full GC each time
   * (V8 counts the new buffers against its external-memory limit).
   */
  reserve(more: number): void {
    const slots = this.slotTop + Math.max(0, more - this.freeSlots.length);
    if (slots > this.slotCapacity) this.growSlots(slots);
    const keys = this.size + more;
    if (keys > this.index.length * MAX_LOAD) this.rehash(nextPow2(Math.ceil(keys / MAX_LOAD)));
  }

  private allocSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.slotTop === this.slotCapacity) this.growSlots(grownLength(this.slotCapacity));
    return this.slotTop++;
  }

  private growSlots(n: number): void {
    const old = this.slotCapacity;
    const f = new Float64Array((n * this.stride) / 2);
    f.set(this.f);
    this.f = f;
    this.i = new Int32Array(f.buffer);
    for (let s = old; s < n; s++) this.i[s * this.stride + 1] = FREE;
    this.slotBytes = new Uint8Array(f.buffer);
  }

  /** Stores the key last prepared into `slot`: inline as words (zero-padded, as `sameKey` compares them), or in the pool. */
  private storeKey(slot: number, meta: number): void {
    const need = byteLength(meta);
    const words = this.words;
    if (need <= INLINE) {
      const at = slot * this.stride + 2;
      for (let k = 0; k < this.wordCount; k++) this.i[at + k] = words[k]!;
      return;
    }
    if (this.poolTop + need > this.pool.length) {
      const pool = new Uint8Array(Math.max(grownLength(this.pool.length), this.poolTop + need));
      pool.set(this.pool.subarray(0, this.poolTop));
      this.pool = pool;
    }
    const off = this.poolTop;
    this.i[slot * this.stride + 2] = off;
    this.poolTop += need;
    for (let j = 0; j < need; j++) this.pool[off + j] = (words[j >> 2]! >>> ((j & 3) * 8)) & 255;
  }

  /**
   * Recomputes every live slot's hash from its stored bytes (and zeroes inline padding): a state written
   * by another version of the hash, or with stale padding in a reused slot, then reads like a fresh one.
   */
  private rehashKeys(): void {
    for (let slot = 0; slot < this.slotTop; slot++) {
      const meta = this.i[slot * this.stride + 1]!;
      if (meta < 0) continue;
      const [bytes, off] = this.keyBytes(slot, meta);
      const n = byteLength(meta);
      let h = 0x811c9dc5 ^ (meta & 1) ^ (meta >>> 2);
      for (let j = 0; j < n; j += 4) {
        let w = 0;
        for (let b = 0; b < 4 && j + b < n; b++) w |= bytes[off + j + b]! << (8 * b);
        if (n <= INLINE) this.i[slot * this.stride + 2 + (j >> 2)] = w;
        h = Math.imul(h ^ w, 0x01000193);
      }
      this.i[slot * this.stride] = finish(h);
    }
  }

  private compactPool(): void {
    if (this.garbage === 0) return;
    const pool = new Uint8Array(Math.max(1024, Math.ceil((this.poolTop - this.garbage) * 1.25)));
    let top = 0;
    for (let slot = 0; slot < this.slotTop; slot++) {
      const meta = this.i[slot * this.stride + 1]!;
      const n = meta < 0 ? 0 : byteLength(meta);
      if (n <= INLINE) continue;
      const off = this.i[slot * this.stride + 2]!;
      pool.set(this.pool.subarray(off, off + n), top);
      this.i[slot * this.stride + 2] = top;
      top += n;
    }
    this.pool = pool;
    this.poolTop = top;
    this.garbage = 0;
  }

  private rehash(length: number): void {
    const index = new Int32Array(length);
    const mask = length - 1;
    for (let slot = 0; slot < this.slotTop; slot++) {
      if (this.i[slot * this.stride + 1]! < 0) continue;
      let i = this.i[slot * this.stride]! & mask;
      while (index[i] !== 0) i = (i + 1) & mask;
      index[i] = slot + 1;
    }
    this.index = index;
    this.mask = mask;
  }
}

/** murmur3's finalizer: linear probing indexes by the low bits, which FNV alone spreads poorly */
function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const byteLength = (meta: number) => (meta >>> 2) * (meta & 2 ? 2 : 1);

function nextPow2(n: number): number {
  let p = 1024;
  while (p < n) p *= 2;
  return p;
}

/** Arrays grow by half: at a million entities doubling would leave up to a million entries' worth empty. */
export function grownLength(n: number): number {
  return Math.max(1024, Math.ceil(n * 1.5));
}
