/**
 * Random event streams for the feature store's property tests: a few subjects with ssid sessions and
 * ssid-less activity, items in categories, prices with cents and fractions of cents, times that land on
 * bucket and gap edges, arrival out of event-time order (within and beyond the allowed lateness),
 * sequence gaps, redeliveries, and purges.
 */
import fc from 'fast-check';
import type { Entity, EventType, FeatureEvent } from '../../engine/index.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
/** a UTC midnight, so day and hour edges are easy to reason about in failures */
export const BASE = Date.UTC(2024, 2, 1);

export type Step =
  | { kind: 'event'; event: FeatureEvent; seq: number }
  /** the same sequence again: a redelivery */
  | { kind: 'redeliver'; event: FeatureEvent; seq: number }
  | { kind: 'purge'; entity: Entity; key: string };

export interface StreamCase {
  steps: Step[];
  subjects: string[];
  sessionKeys: string[];
  items: string[];
  categories: string[];
}

const TYPES: EventType[] = ['view', 'view', 'view', 'view', 'cart_add', 'cart_add', 'cart_remove', 'purchase', 'purchase', 'search', 'checkout', 'favorite'];

const gapArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 * MINUTE }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0, 1, 999, 5 * MINUTE, 5 * MINUTE - 1, 30 * MINUTE, 30 * MINUTE + 1, HOUR, HOUR + 1, 23 * HOUR, DAY, DAY - 1, 6 * DAY, 29 * DAY),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * DAY }) },
);

const rawEventArb = fc.record({
  gap: gapArb,
  /** most events continue the previous event's visit (same subject and session), as real streams do */
  sticky: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  subject: fc.nat(9),
  /** 0: no ssid (the subject's lane); 1-2: one of the subject's session ids */
  session: fc.integer({ min: 0, max: 2 }),
  type: fc.constantFrom(...TYPES),
  item: fc.option(fc.nat(9), { freq: 5 }),
  price: fc.option(fc.constantFrom(0, 0.01, 9.99, 19.95, 3.333, 100, 0.125, 1234.5), { freq: 3 }),
  quantity: fc.option(fc.integer({ min: 1, max: 4 }), { freq: 3 }),
  /** arrival delay: mostly none, some within the hour of lateness, some beyond */
  delay: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 50 * MINUTE }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 * HOUR }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 * DAY }) },
  ),
  redeliver: fc.oneof({ weight: 9, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(50) }),
  seqGap: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 5 }) }),
  purge: fc.oneof({ weight: 30, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom<Entity>('subject', 'item', 'category'), fc.nat(9)) }),
});

export function streamArb(options: { maxEvents?: number; purges?: boolean } = {}): fc.Arbitrary<StreamCase> {
  return fc
    .record({
      subjects: fc.integer({ min: 1, max: 4 }),
      items: fc.integer({ min: 1, max: 6 }),
      start: fc.integer({ min: 0, max: DAY }),
      raw: fc.array(rawEventArb, { minLength: 1, maxLength: options.maxEvents ?? 60 }),
    })
    .map(({ subjects, items, start, raw }) => buildCase(subjects, items, start, raw, options.purges ?? false));
}

function buildCase(subjectCount: number, itemCount: number, start: number, raw: RawEvent[], purges: boolean): StreamCase {
  const subjects = Array.from({ length: subjectCount }, (_, i) => `s${i}`);
  const items = Array.from({ length: itemCount }, (_, i) => `i${i}`);
  const categories = ['c0', 'c1', 'c2'];
  let ts = BASE + start;
  let visit = { subject: raw[0]!.subject, session: raw[0]!.session };
  const timed = raw.map((r, index) => {
    ts += r.gap;
    if (!r.sticky) visit = { subject: r.subject, session: r.session };
    const sid = subjects[visit.subject % subjectCount]!;
    const event: FeatureEvent = { ts, sid, type: r.type };
    if (visit.session > 0) event.ssid = `${sid}-k${visit.session}`;
    if (r.item !== null) {
      const item = r.item % itemCount;
      event.item = items[item]!;
      event.category = categories[item % categories.length]!;
    } else if (r.type === 'search') {
      event.category = categories[r.subject % categories.length]!;
    }
    if (r.price !== null) event.price = r.price;
    if (r.quantity !== null) event.quantity = r.quantity;
    return { event, arrival: ts + r.delay, index, r };
  });
  // Arrival order: event time plus delay; the stream numbers messages in arrival order.
  timed.sort((a, b) => a.arrival - b.arrival || a.index - b.index);
  const steps: Step[] = [];
  const sent: { event: FeatureEvent; seq: number }[] = [];
  let seq = 0;
  for (const { event, r } of timed) {
    seq += r.seqGap;
    steps.push({ kind: 'event', event, seq });
    sent.push({ event, seq });
    if (r.redeliver >= 0) {
      const again = sent[r.redeliver % sent.length]!;
      steps.push({ kind: 'redeliver', ...again });
    }
    if (purges && r.purge) {
      const [entity, n] = r.purge;
      const key = entity === 'subject' ? subjects[n % subjectCount]! : entity === 'item' ? items[n % itemCount]! : categories[n % 3]!;
      steps.push({ kind: 'purge', entity, key });
    }
  }
  const sessionKeys = subjects.flatMap((s) => ['\u0000' + s, `${s}-k1`, `${s}-k2`]);
  return { steps, subjects, sessionKeys, items, categories };
}

type RawEvent = {
  gap: number;
  sticky: boolean;
  subject: number;
  session: number;
  type: EventType;
  item: number | null;
  price: number | null;
  quantity: number | null;
  delay: number;
  redeliver: number;
  seqGap: number;
  purge: [Entity, number] | null;
};

/** Read times around the watermark W: before it (served as of W), on it, and across bucket, TTL and window edges. */
export function readTimes(watermark: number): number[] {
  const next5 = Math.floor(watermark / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE;
  const nextDay = Math.floor(watermark / DAY) * DAY + DAY;
  return [
    watermark - 2 * HOUR,
    watermark,
    watermark + 1,
    next5 - 1,
    next5,
    watermark + HOUR,
    watermark + HOUR + 1,
    watermark + 23 * HOUR,
    nextDay - 1,
    nextDay,
    watermark + 7 * DAY,
    nextDay + 6 * DAY,
    watermark + 30 * DAY,
    watermark + 31 * DAY,
  ];
}
