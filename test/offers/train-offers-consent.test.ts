/**
 * Offers serve personalization, so their training set follows the same rules as every other: with the
 * engine's NATS at hand, erased subjects are left out and only events the purpose gate admits are used
 * (personalization consent at the event's time and now); without it, the run says it could not check.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'nats';
import { createPseudonymizer, openConsentRegistry, openErasureList } from '../../engine/index.ts';
import { loadSessionLog } from '../../training/offers/sessions.ts';
import { runTrainOffers } from '../../training/offers/train-offers.ts';
import { defer, startTestNats, tempDir } from '../helpers/nats.ts';
import { SYNTHETIC_START, writeSyntheticLog } from './synthetic-log.ts';

const KEY = 'offers-consent-pseudonym-key-'.padEnd(40, 'o');

test('offers training leaves out erased subjects and events without personalization consent', async (t) => {
  const nats = await startTestNats(t);
  const dir = tempDir(t, 'iob-offers-consent-');
  const events = join(dir, 'events.csv');
  await writeSyntheticLog(events);
  const all = await loadSessionLog(events);
  const eventsOf = (subject: string) => all.sessions.filter((s) => s.subject === subject).reduce((n, s) => n + s.items.length, 0);

  const nc = await connect({ servers: nats.url });
  defer(t, () => nc.close());
  const pseudonymize = createPseudonymizer(KEY);
  const consent = await openConsentRegistry(nc.jetstream());
  defer(t, () => consent.close());
  const erasures = await openErasureList(nc.jetstream());
  defer(t, () => erasures.close());
  // Everyone consented from the start, except u1 (erased) and u2 (withdrew: nothing of theirs may be used).
  for (let s = 0; s < 40; s++) await consent.record(pseudonymize('subject', `u${s}`), [{ at: SYNTHETIC_START - 1, purpose: 'personalization', granted: s !== 2, source: 'test' }]);
  await erasures.add(pseudonymize('subject', 'u1'));

  const lines: string[] = [];
  process.env.IOB_PSEUDONYM_KEY = KEY;
  defer(t, () => delete process.env.IOB_PSEUDONYM_KEY);
  await runTrainOffers({ events, epochs: 1, dim: 8, tuneRounds: 0, dataDir: dir, natsUrl: nats.url, register: false }, (l) => lines.push(l));
  const excluded = Number(/(\d+) events left out/.exec(lines.join('\n'))?.[1]);
  assert.ok(eventsOf('u1') > 0 && eventsOf('u2') > 0);
  assert.ok(excluded >= eventsOf('u1') + eventsOf('u2'), `u1's and u2's events are left out (${excluded})`);

  const unchecked: string[] = [];
  await runTrainOffers({ events, epochs: 1, dim: 8, tuneRounds: 0, dataDir: dir, register: false }, (l) => unchecked.push(l));
  assert.match(unchecked.join('\n'), /neither the erasure list nor the consent registry was consulted/);
  assert.doesNotMatch(unchecked.join('\n'), /events left out/);

  // Everyone withdraws: nothing is left, and the error says why (it used to say the file had no item events).
  for (let s = 0; s < 40; s++) await consent.record(pseudonymize('subject', `u${s}`), [{ at: Date.now(), purpose: 'personalization', granted: false, source: 'test' }]);
  await assert.rejects(
    runTrainOffers({ events, epochs: 1, dim: 8, tuneRounds: 0, dataDir: dir, natsUrl: nats.url, register: false }, () => {}),
    /no events with an item to learn offers from \(0 without one, 0 bad rows, \d+ left out for erasure or consent\)/,
  );
});
