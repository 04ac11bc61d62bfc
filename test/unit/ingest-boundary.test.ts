import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBoundary, createPseudonymizer, PSEUDONYM_PATTERN, type BoundaryOutcome } from '../../engine/index.ts';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const pseudonymize = createPseudonymizer('k'.repeat(32));
const cross = createBoundary({ pseudonymize, retentionMs: 90 * 86_400_000, maxFutureSkewMs: 300_000, now: () => NOW });
const base = { id: 'e1', ts: NOW - 1000, subject: 'user-42', type: 'view', item: 'sku-1' };

function ok(outcome: BoundaryOutcome) {
  assert.equal(outcome.ok, true, JSON.stringify(!outcome.ok && outcome.problems));
  return outcome as Extract<BoundaryOutcome, { ok: true }>;
}
function bad(outcome: BoundaryOutcome) {
  assert.equal(outcome.ok, false);
  return (outcome as Extract<BoundaryOutcome, { ok: false }>).problems;
}

test('identifiers become keyed hashes, stable per key and kind', () => {
  const a = ok(cross({ ...base, session: 'user-42' })).event;
  assert.match(a.sid, PSEUDONYM_PATTERN);
  assert.notEqual(a.sid, 'user-42');
  assert.notEqual(a.sid, a.ssid, 'a session id never equals a subject id with the same raw value');
  assert.equal(ok(cross({ ...base, id: 'e2' })).event.sid, a.sid);
  const other = createBoundary({ pseudonymize: createPseudonymizer('x'.repeat(32)), retentionMs: 1e12, maxFutureSkewMs: 0, now: () => NOW });
  assert.notEqual(ok(other(base)).event.sid, a.sid, 'another key gives another pseudonym');
  assert.notEqual(a.eid, 'e1');
});

test('numeric user ids are accepted and hashed like strings', () => {
  assert.equal(ok(cross({ ...base, subject: 42 })).event.sid, ok(cross({ ...base, subject: '42' })).event.sid);
});

test('ISO timestamps normalize to epoch ms', () => {
  const e = ok(cross({ ...base, ts: new Date(NOW - 60_000).toISOString() })).event;
  assert.equal(e.ts, NOW - 60_000);
});

test('personal fields are dropped, personal-looking values redacted, and the outcome says which', () => {
  const out = ok(
    cross({
      ...base,
      email: 'jane.doe@example.com',
      name: 'Jane',
      context: { ip: '203.0.113.7', geo: { lat: 48.8566, lon: 2.3522 }, referrer: 'https://shop.example/p?email=jane@example.com', userAgent: 'Mozilla', channel: 'web' },
      properties: { phone: '+1 415 555 0100', note: 'call me at +44 20 7946 0958', contact: 'jane.doe@example.com', sku_count: 3, coupon: 'SPRING24', order_ref: '12345' },
    }),
  );
  const json = JSON.stringify(out.event);
  for (const canary of ['jane.doe@example.com', 'Jane', '203.0.113.7', '415 555 0100', '7946 0958', 'Mozilla', '?email']) {
    assert.ok(!json.includes(canary), `stored event must not contain ${canary}`);
  }
  assert.deepEqual(out.dropped.sort(), ['context.ip', 'context.userAgent', 'email', 'name', 'properties.phone'].sort());
  assert.deepEqual(out.redacted.sort(), ['properties.contact', 'properties.note']);
  assert.equal(out.event.ctx?.geo, 'u09tv');
  assert.equal(out.event.ctx?.referrer, 'https://shop.example');
  assert.equal(out.event.ctx?.channel, 'web');
  assert.equal(out.event.props?.coupon, 'SPRING24');
  assert.equal(out.event.props?.order_ref, '12345', 'short numbers are not phone numbers');
  assert.equal(out.event.props?.sku_count, 3);
});

test('bad events name the field and the reason, never the value', () => {
  const cases: [unknown, string, string][] = [
    [{ ...base, type: 'teleport' }, 'type', 'invalid_value'],
    [{ ...base, price: -1 }, 'price', 'too_small'],
    [{ ...base, price: 1e308 }, 'price', 'too_big'],
    [{ ...base, quantity: 1.5 }, 'quantity', 'invalid_type'],
    [{ ...base, subject: undefined }, 'subject', 'invalid_union'],
    [{ ...base, ts: 'yesterday' }, 'ts', 'invalid_format'],
    [{ ...base, ts: NOW + 3_600_000 }, 'ts', 'future_timestamp'],
    [{ ...base, ts: NOW - 100 * 86_400_000 }, 'ts', 'older_than_retention'],
    [{ ...base, id: 'x'.repeat(129) }, 'id', 'too_big'],
    [{ ...base, price: Number.NaN }, 'price', 'invalid_type'],
  ];
  for (const [input, path, reason] of cases) {
    const problems = bad(cross(input));
    assert.ok(problems.some((p) => p.path === path && p.reason === reason), `${path}/${reason}: ${JSON.stringify(problems)}`);
  }
  const problems = bad(cross({ ...base, subject: { email: 'jane.doe@example.com' } }));
  assert.ok(!JSON.stringify(problems).includes('jane.doe'), 'problems never echo the input');
  const keyProblems = bad(cross({ ...base, properties: { 'jane.doe@example.com': 'x'.repeat(600) } }));
  assert.ok(!JSON.stringify(keyProblems).includes('jane.doe'), 'personal-looking keys are not echoed in paths');
  assert.deepEqual(bad(cross(null))[0]?.path, '');
  assert.deepEqual(bad(cross([base]))[0]?.reason, 'invalid_type');
});

test('phone detection: numbers in text are caught, dates and short codes are not', async () => {
  const { looksLikePhone, looksLikeEmail } = await import('../../engine/index.ts');
  for (const v of ['+1 415 555 0100', '(415) 555-0100', '4155550100', 'ring 020 7946 0958 now', '+447911123456']) assert.ok(looksLikePhone(v), v);
  for (const v of ['2026-11-29', '29/11/2026', '12345', 'SKU-12345', '1299.99', 'size 42']) assert.ok(!looksLikePhone(v), v);
  assert.ok(looksLikeEmail('write to a.b+c@mail.example.org please'));
  assert.ok(!looksLikeEmail('@handle'));
});
