/**
 * HMAC-SHA256 (RFC 2104 over FIPS 180-4) with the key's inner and outer pad blocks compressed once.
 * node:crypto's createHmac costs ~5–7 µs per call at ingest rates, mostly per-call object setup; every
 * event id crosses the boundary through one HMAC, so the keyed state is kept here and each call runs just
 * the message blocks and one outer block (~2 µs). The output is bit-identical to createHmac('sha256', key);
 * test/unit/hmac-sha256.test.ts holds it to that over random keys and messages.
 */
import { createHash } from 'node:crypto';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const BLOCK = 64;
const W = new Int32Array(64);

/** One SHA-256 compression of the 64-byte block at `off` into `state`. */
function compress(state: Int32Array, block: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!, e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** Appends SHA-256 padding for a message of `totalBytes` whose tail (`n` bytes) sits at the start of `buf`. */
function pad(buf: Uint8Array, n: number, totalBytes: number): number {
  const end = Math.ceil((n + 9) / BLOCK) * BLOCK;
  buf.fill(0, n, end);
  buf[n] = 0x80;
  const bits = totalBytes * 8;
  const high = Math.floor(bits / 2 ** 32);
  const low = bits >>> 0;
  buf[end - 8] = high >>> 24;
  buf[end - 7] = high >>> 16;
  buf[end - 6] = high >>> 8;
  buf[end - 5] = high;
  buf[end - 4] = low >>> 24;
  buf[end - 3] = low >>> 16;
  buf[end - 2] = low >>> 8;
  buf[end - 1] = low;
  return end;
}

/** A keyed HMAC-SHA256 of a string (UTF-8): the first `bytes` bytes of the 32-byte MAC, as text. */
export type KeyedHmac = (message: string) => string;

export function createKeyedHmac(key: Uint8Array, { bytes = 32, encoding = 'hex' }: { bytes?: number; encoding?: BufferEncoding } = {}): KeyedHmac {
  const k = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
  const block = new Uint8Array(BLOCK);
  const inner = Int32Array.from(IV);
  const outer = Int32Array.from(IV);
  for (let i = 0; i < BLOCK; i++) block[i] = (k[i] ?? 0) ^ 0x36;
  compress(inner, block, 0);
  for (let i = 0; i < BLOCK; i++) block[i] = (k[i] ?? 0) ^ 0x5c;
  compress(outer, block, 0);
  block.fill(0);

  const state = new Int32Array(8);
  const innerDigest = new Uint8Array(BLOCK);
  let buf = Buffer.alloc(256);
  const out = Buffer.alloc(32); // only its text leaves, so one buffer serves every call
  return (message) => {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; padding at most 72 more.
    if (message.length * 3 + 72 > buf.length) buf = Buffer.alloc(message.length * 3 + 72);
    // Ids are mostly ASCII: copying char codes beats the native UTF-8 write for strings this short.
    let n = 0;
    for (; n < message.length; n++) {
      const c = message.charCodeAt(n);
      if (c > 0x7f) break;
      buf[n] = c;
    }
    if (n < message.length) n = buf.write(message, 0, 'utf8');
    const end = pad(buf, n, BLOCK + n);
    state.set(inner);
    for (let off = 0; off < end; off += BLOCK) compress(state, buf, off);
    for (let i = 0; i < 8; i++) {
      const v = state[i]!;
      innerDigest[i * 4] = v >>> 24;
      innerDigest[i * 4 + 1] = v >>> 16;
      innerDigest[i * 4 + 2] = v >>> 8;
      innerDigest[i * 4 + 3] = v;
    }
    pad(innerDigest, 32, BLOCK + 32);
    state.set(outer);
    compress(state, innerDigest, 0);
    for (let i = 0; i < bytes; i++) out[i] = state[i >> 2]! >>> (24 - (i & 3) * 8);
    return out.toString(encoding, 0, bytes);
  };
}
