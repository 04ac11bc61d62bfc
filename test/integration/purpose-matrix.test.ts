/**
 * The purpose gate, exhaustively: for each purpose × consent state × feature view, the view holds exactly
 * the events it may hold — those whose subject allowed the view's purpose at the event's time and still
 * allows it. Real engine, real nats-server, consent recorded through the subject-rights API.
 *
 * Each subject has one consent state for one purpose (the others have no record: consent-based purposes
 * are then denied, `forecasting` — legitimate interest — allowed), and its own item and category, so every
 * item, category and demand-history value is attributable to one subject.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PURPOSES, PURPOSE_IDS, type Purpose } from '../../engine/index.ts';
import { startTestStack } from '../helpers/engine.ts';
import { waitUntil } from '../helpers/cli-process.ts';

const MINUTE = 60_000;
const STATES = ['absent', 'granted', 'withdrawn', 'withdrawn_midway', 'granted_midway', 'granted_after'] as const;
type State = (typeof STATES)[number];

/** Minutes after the first event: a purchase of 2 units, two views, a cart add, a view. */
const EVENTS = [
  { at: 0, type: 'purchase', quantity: 2 },
  { at: 1, type: 'view' },
  { at: 2, type: 'view' },
  { at: 3, type: 'cart_add' },
  { at: 4, type: 'view' },
] as const;

/** The consent decisions of a state, in minutes after the first event (the timeline the API records). */
function decisions(state: State): { at: number; granted: boolean }[] {
  switch (state) {
    case 'absent':
      return [];
    case 'granted':
      return [{ at: -10, granted: true }];
    case 'withdrawn':
      return [
        { at: -10, granted: true },
        { at: -5, granted: false },
      ];
    case 'withdrawn_midway':
      // recorded before the events are consumed, as a lagging consumer or a replay would meet it
      return [
        { at: -10, granted: true },
        { at: 2.5, granted: false },
      ];
    case 'granted_midway':
      return [{ at: 2.5, granted: true }];
    case 'granted_after':
      return [{ at: 4.5, granted: true }];
  }
}

/** The rule, written out independently of the engine: allowed at the event's minute and at the end. */
function admitted(state: State, purpose: Purpose, ownPurpose: Purpose, atMinute: number): boolean {
  const timeline = purpose === ownPurpose ? decisions(state) : [];
  const at = (m: number) => {
    const last = timeline.filter((d) => d.at <= m).at(-1);
    return last ? last.granted : PURPOSES[purpose].basis === 'legitimate_interest';
  };
  return at(atMinute) && at(Number.POSITIVE_INFINITY);
}

test('purpose × consent state × feature view: each view holds exactly the events it may hold', async (t) => {
  const { engine } = await startTestStack(t);
  const base = Date.now() - 6 * MINUTE; // recent enough that no TTL has expired when read
  const cases = PURPOSE_IDS.flatMap((purpose) => STATES.map((state) => ({ purpose, state, subject: `matrix-${purpose}-${state}` })));

  for (const c of cases) {
    for (const d of decisions(c.state)) {
      await engine.subjects.updateConsent(c.subject, { purposes: { [c.purpose]: d.granted }, source: 'test', at: base + d.at * MINUTE }, 'test');
    }
  }
  // The gate reads the local view of the registry: wait until every decision has reached it.
  await waitUntil(() => cases.every((c) => (engine.consent.get(engine.pseudonymize('subject', c.subject))?.changes.length ?? 0) === decisions(c.state).length), 5000, "consent decisions in the local registry view");

  const events = cases.flatMap((c) =>
    EVENTS.map((e, i) => ({
      id: `${c.subject}-${i}`,
      subject: c.subject,
      type: e.type,
      ts: new Date(base + e.at * MINUTE).toISOString(),
      item: `item-${c.subject}`,
      category: `cat-${c.subject}`,
      price: 10,
      ...('quantity' in e ? { quantity: e.quantity } : {}),
    })),
  );
  const report = await engine.ingest(events);
  assert.equal(report.accepted, events.length, JSON.stringify(report.results.filter((r) => r.status !== 'accepted').slice(0, 3)));
  await engine.waitForSeq(report.lastSeq, 10_000);

  const day = (m: number) => Math.floor((base + m * MINUTE) / 86_400_000);
  let checked = 0;
  for (const c of cases) {
    const allowed = (purpose: Purpose) => EVENTS.filter((e) => admitted(c.state, purpose, c.purpose, e.at));
    const views = (list: readonly (typeof EVENTS)[number][]) => list.filter((e) => e.type === 'view').length;
    const purchases = (list: readonly (typeof EVENTS)[number][]) => list.filter((e) => e.type === 'purchase').length;
    const where = `${c.purpose}/${c.state}`;

    const profile = engine.subjectFeatures(c.subject);
    const personal = allowed('personalization');
    assert.equal(profile.subject['subject.view_count_24h'] ?? 0, views(personal), `${where}: subject_behavior views`);
    assert.equal(profile.subject['subject.purchase_count_24h'] ?? 0, purchases(personal), `${where}: subject_behavior purchases`);
    assert.equal(profile.session['session.event_count'] ?? 0, personal.length, `${where}: session_activity events`);

    const analytics = allowed('analytics');
    for (const entity of ['item', 'category'] as const) {
      const key = `${entity === 'item' ? 'item' : 'cat'}-${c.subject}`;
      const record = engine.features.readRecord(entity, key);
      assert.equal(record[`${entity}.view_count_24h`], views(analytics), `${where}: ${entity}_popularity views`);
      assert.equal(record[`${entity}.purchase_count_7d`], purchases(analytics), `${where}: ${entity}_popularity purchases`);

      const demand = engine.features.demandHistory(entity, key);
      const units = allowed('forecasting').reduce((sum, e) => sum + ('quantity' in e ? e.quantity : 0), 0);
      const held = [...demand.units].reduce((a, b) => a + b, 0);
      assert.equal(held, units, `${where}: ${entity} demand history units`);
      if (units > 0) assert.deepEqual([...demand.days], [day(0)], `${where}: ${entity} demand on the purchase's day`);
    }
    checked++;
  }
  assert.equal(checked, PURPOSE_IDS.length * STATES.length);
});
