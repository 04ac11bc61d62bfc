import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS } from '../../engine/index.ts';

test('every error code is documented in docs/errors.md with its status', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, { status }] of Object.entries(ERRORS)) {
    const row = doc.split('\n').find((line) => line.includes(`\`${code}\``));
    assert.ok(row, `${code} is missing from docs/errors.md`);
    assert.ok(row.includes(String(status)), `${code}: docs/errors.md must give status ${status}`);
  }
});

test('error codes are unique and prefixed', () => {
  for (const code of Object.keys(ERRORS)) assert.match(code, /^IOB_ERR_[A-Z_]+$/);
});
