/**
 * The stored event's wire format, msgpack: written by msgpackr, read back on the consumer's path by a
 * reader for the one flat shape the boundary produces. msgpackr's general reader spent ~1.2 µs per event,
 * much of it on machinery a known shape does not need (per-call setup, a key string rebuilt per field, a
 * decode per text field); this one recognizes the keys by their bytes and cuts short text fields from one
 * Latin-1 view of the message (~0.9 µs). Anything outside the shape (other types, deeper nesting,
 * non-ASCII text, a `__proto__` key, trailing bytes) is read by msgpackr itself, the reference:
 * test/unit/event-wire.test.ts holds the two to agreeing.
 */
import { Packr } from 'msgpackr';
import type { StoredEvent } from './event-schema.ts';

/** Records (shared structures) would make messages depend on each other; every message stands alone. */
const packr = new Packr({ useRecords: false, moreTypes: false });

export const encodeEvent = (event: StoredEvent): Uint8Array => packr.pack(event);

/** Thrown inside the reader when msgpackr has to decide; never escapes this module. */
const FALLBACK = Symbol('fallback to msgpackr');

/** Keys the boundary writes, recognized by their bytes: reading builds no key strings. */
const KNOWN_KEYS = ['eid', 'ts', 'sid', 'ssid', 'type', 'item', 'category', 'price', 'quantity', 'ctx', 'props', 'rt', 'channel', 'device', 'geo', 'referrer'];
const KEYS_BY_LENGTH: string[][] = [];
for (const k of KNOWN_KEYS) (KEYS_BY_LENGTH[k.length] ??= []).push(k);

/** Node's native Latin-1 slice, which takes any Uint8Array (a message is a view into a read buffer). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let at = 0;
/** V8 makes a substring this long a view into its parent (SlicedString::kMinLength) rather than a copy. */
const SLICED_MIN = 13;
/** The message as Latin-1 text (byte i is character i), made at the first short string read. */
let text: string | undefined;

function readString(len: number): string {
  const end = at + len;
  if (end > src.length) throw FALLBACK;
  // ASCII only: for other text msgpackr's UTF-8 reading (invalid sequences included) is the reference.
  for (let i = at; i < end; i++) if (src[i]! >= 0x80) throw FALLBACK;
  // A slice of 13 characters or more would be a view keeping the whole message's text alive for as long
  // as the string is kept (ids are, by the state): those get a string of their own. Shorter ones are
  // copies cut from one Latin-1 view of the message (a native call per string cost more than the rest).
  let s: string;
  if (len >= SLICED_MIN) {
    s = latin1Slice.call(src, at, end);
  } else {
    text ??= latin1Slice.call(src, 0, src.length);
    s = text.slice(at, end);
  }
  at = end;
  return s;
}

function readKey(): string {
  const b = src[at++]!;
  if (!(b >= 0xa0 && b <= 0xbf)) throw FALLBACK; // keys are short strings
  const len = b & 0x1f;
  const candidates = KEYS_BY_LENGTH[len];
  if (candidates) {
    next: for (const k of candidates) {
      for (let i = 0; i < len; i++) if (src[at + i] !== k.charCodeAt(i)) continue next;
      at += len;
      return k;
    }
  }
  const key = readString(len);
  if (key === '__proto__') throw FALLBACK;
  return key;
}

function readFloat64(): number {
  if (at + 8 > src.length) throw FALLBACK;
  if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) f64Bytes[7 - i] = src[at + i]!;
  else for (let i = 0; i < 8; i++) f64Bytes[i] = src[at + i]!;
  at += 8;
  return f64[0]!;
}

/** Reads past the end give undefined bytes; the caller's final length check sends such a message back. */
function readValue(nested: boolean): unknown {
  const b = src[at++]!;
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if (b >= 0xa0 && b <= 0xbf) return readString(b & 0x1f);
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcb:
      return readFloat64();
    case 0xcc:
      return src[at++]!;
    case 0xcd:
      at += 2;
      return (src[at - 2]! << 8) | src[at - 1]!;
    case 0xce:
      at += 4;
      return src[at - 4]! * 0x1000000 + ((src[at - 3]! << 16) | (src[at - 2]! << 8) | src[at - 1]!);
    case 0xd0:
      return (src[at++]! << 24) >> 24;
    case 0xd1:
      at += 2;
      return (((src[at - 2]! << 8) | src[at - 1]!) << 16) >> 16;
    case 0xd2:
      at += 4;
      return (src[at - 4]! << 24) | (src[at - 3]! << 16) | (src[at - 2]! << 8) | src[at - 1]!;
    case 0xd9:
      return readString(src[at++]!);
    case 0xda:
      at += 2;
      return readString((src[at - 2]! << 8) | src[at - 1]!);
    case 0xde:
      if (nested) throw FALLBACK;
      at += 2;
      return readMap((src[at - 2]! << 8) | src[at - 1]!, true);
    default:
      if (b <= 0x8f && !nested) return readMap(b & 0x0f, true);
      throw FALLBACK;
  }
}

function readMap(size: number, nested: boolean): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) {
    if (at >= src.length) throw FALLBACK;
    const key = readKey();
    object[key] = readValue(nested);
  }
  return object;
}

export function decodeEvent(data: Uint8Array): StoredEvent {
  src = data;
  at = 1;
  text = undefined;
  try {
    const b = data[0];
    let event: Record<string, unknown>;
    if (b === 0xde) {
      at = 3;
      event = readMap((data[1]! << 8) | data[2]!, false);
    } else if (b !== undefined && b >= 0x80 && b <= 0x8f) {
      event = readMap(b & 0x0f, false);
    } else {
      throw FALLBACK;
    }
    if (at !== data.length) throw FALLBACK;
    return event as unknown as StoredEvent;
  } catch (err) {
    if (err !== FALLBACK) throw err;
    return packr.unpack(data) as StoredEvent;
  } finally {
    src = EMPTY;
    text = undefined;
  }
}
