/**
 * Identifiers cross the ingest boundary once, as keyed hashes (HMAC-SHA256, 128 bits, base64url).
 * A domain tag per kind keeps a session id from ever matching a subject id with the same raw value.
 * The base64url alphabet is safe in a NATS subject token, so `iob.events.<sid>` can be purged per subject.
 */
import { createKeyedHmac } from './hmac-sha256.ts';

export type IdKind = 'subject' | 'session' | 'event';

export interface Pseudonymizer {
  (kind: IdKind, raw: string): string;
  /**
   * Drops every memoized raw id. Called on an erasure (here or seen on the erasure list from another
   * process): the memo is the one place a raw id outlives its request, and the memo cannot tell whose
   * sessions are whose, so it is emptied whole (re-hashing costs ~1 µs per id on its next use).
   */
  forgetRaw(): void;
  /** how many raw ids are memoized now (for tests and the erasure check) */
  memoized(): number;
}

/**
 * Subjects and sessions repeat, so their hashes are memoized in a bounded in-memory map (cleared when
 * full, and on every erasure); the map lives in process memory only and is never serialized.
 */
export function createPseudonymizer(key: string | Buffer, cacheSize = 100_000): Pseudonymizer {
  // Event ids are never repeated, so every event pays one HMAC: the keyed state is precomputed once.
  const hmac = createKeyedHmac(typeof key === 'string' ? Buffer.from(key, 'utf8') : key, { bytes: 16, encoding: 'base64url' });
  const caches: Record<IdKind, Map<string, string>> = {
    subject: new Map(),
    session: new Map(),
    event: new Map(),
  };
  const hash = (kind: IdKind, raw: string) => hmac(`${kind}\0${raw}`);
  const pseudonymize = (kind: IdKind, raw: string): string => {
    if (kind === 'event') return hash(kind, raw);
    const cache = caches[kind];
    let value = cache.get(raw);
    if (value === undefined) {
      value = hash(kind, raw);
      if (cache.size >= cacheSize) cache.clear();
      cache.set(raw, value);
    }
    return value;
  };
  return Object.assign(pseudonymize, {
    forgetRaw: () => {
      caches.subject.clear();
      caches.session.clear();
    },
    memoized: () => caches.subject.size + caches.session.size,
  });
}

/** A pseudonymous id as produced above: 22 base64url characters. */
export const PSEUDONYM_PATTERN = /^[A-Za-z0-9_-]{22}$/;
