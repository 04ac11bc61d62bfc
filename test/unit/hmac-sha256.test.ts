import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { createKeyedHmac } from '../../engine/hmac-sha256.ts';
import { createPseudonymizer } from '../../engine/pseudonymize.ts';

/** A deterministic byte source, so a failure names a reproducible case. */
function bytes(seed: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6b43a9b5) | 0;
    out[i] = x >>> 24;
  }
  return out;
}

test('keyed HMAC-SHA256 equals node:crypto over keys and messages of every length class', () => {
  // Keys shorter than, equal to and longer than the 64-byte block (a long key is hashed first).
  for (const keyLength of [0, 1, 16, 32, 63, 64, 65, 200]) {
    const key = bytes(keyLength, keyLength);
    const mac = createKeyedHmac(key);
    // Message lengths cross the 55/56/64-byte padding boundaries; some carry multi-byte UTF-8.
    for (let len = 0; len < 300; len++) {
      const ascii = bytes(len + 7, len).toString('base64').slice(0, len);
      const unicode = `${ascii.slice(0, len >> 1)}é😀中${'\u0000'}`;
      for (const message of [ascii, unicode, 'event\0' + ascii]) {
        const expected = createHmac('sha256', key).update(message).digest('hex');
        assert.equal(mac(message), expected, `key ${keyLength} bytes, message ${JSON.stringify(message)}`);
      }
    }
    const long = 'x'.repeat(5000) + '€';
    assert.equal(mac(long), createHmac('sha256', key).update(long).digest('hex'), 'a message of many blocks');
    // Past the kernel's first 64 KiB page (its memory grows), and a short one after it in the grown memory.
    const huge = '€'.repeat(30_000);
    assert.equal(mac(huge), createHmac('sha256', key).update(huge).digest('hex'), 'a message larger than the kernel memory');
    assert.equal(mac('after'), createHmac('sha256', key).update('after').digest('hex'), 'a short message after the memory grew');
  }
});

test('a truncated MAC is the prefix of the full one; a lone surrogate hashes as node encodes it (U+FFFD)', () => {
  const key = bytes(3, 32);
  const short = createKeyedHmac(key, { bytes: 16, encoding: 'base64url' });
  assert.equal(short('subject\0user-42'), createHmac('sha256', key).update('subject\0user-42').digest().subarray(0, 16).toString('base64url'));
  assert.equal(short('a\ud800b'), createHmac('sha256', key).update('a\ud800b').digest().subarray(0, 16).toString('base64url'));
});

test('pseudonyms are the first 128 bits of HMAC-SHA256(key, kind NUL raw), base64url', () => {
  const key = 'p'.repeat(32);
  const pseudonymize = createPseudonymizer(key);
  for (const [kind, raw] of [['event', 'e-1'], ['subject', 'user-42'], ['session', 's-9'], ['subject', 'ünï']] as const) {
    const expected = createHmac('sha256', key).update(`${kind}\0${raw}`).digest().subarray(0, 16).toString('base64url');
    assert.equal(pseudonymize(kind, raw), expected);
    assert.equal(pseudonymize(kind, raw), expected, 'memoized value is the same');
  }
});
