/**
 * Deliberately bad rows among generated events, to exercise the paths that must reject them (the file
 * reader, the ingest boundary, the training-set builder's error counts).
 *
 * Separate from `generateBehavior` because a `CanonicalEvent` cannot be invalid by its type: bad rows are
 * raw rows, which only a file writer can take (`CanonicalWriter.writeRow`).
 */
import type { CanonicalEvent, RawCanonicalRow } from './canonical-event.ts';
import { Rng } from './random.ts';

export const BAD_ROW_DEFECTS = ['unknown_type', 'negative_price', 'bad_timestamp', 'missing_subject'] as const;
export type BadRowDefect = (typeof BAD_ROW_DEFECTS)[number];

/** An event to write as is, or a bad row (derived from the event just before it) and what is wrong with it. */
export type GeneratedRow = { event: CanonicalEvent } | { badRow: RawCanonicalRow; defect: BadRowDefect };

export interface BadRowOptions {
  /** expected share of bad rows among all rows written, in [0, 1) */
  rate: number;
  seed: number;
}

/** Stream key for the bad-row decisions, apart from the generator's own streams. */
const BAD_ROW_STREAM = 3;

/**
 * Passes every event through and, after an event, sometimes adds a bad copy of it with one defect. The
 * good events are never altered, so the log's statistics do not depend on the rate.
 */
export function* withBadRows(events: Iterable<CanonicalEvent>, options: BadRowOptions): Generator<GeneratedRow> {
  if (!(options.rate >= 0 && options.rate < 1)) throw new RangeError('the bad-row rate must be at least 0 and below 1');
  const rng = new Rng(options.seed, BAD_ROW_STREAM);
  // A bad row after each event with probability p gives a share p / (1 + p) of all rows: solve for p.
  const perEvent = options.rate / (1 - options.rate);
  for (const event of events) {
    yield { event };
    if (perEvent > 0 && rng.chance(perEvent)) {
      const defect = rng.pick(BAD_ROW_DEFECTS);
      yield { badRow: spoil(event, defect, rng), defect };
    }
  }
}

function spoil(event: CanonicalEvent, defect: BadRowDefect, rng: Rng): RawCanonicalRow {
  const row: RawCanonicalRow = { ...event, id: `${event.id}-bad` };
  switch (defect) {
    case 'unknown_type':
      row.type = rng.pick(['teleport', 'VIEW', 'page_view', 'buy']);
      break;
    case 'negative_price':
      row.price = -(event.price ?? 9.99);
      break;
    case 'bad_timestamp':
      row.ts = rng.pick(['yesterday', '2024-13-45T25:61:00Z', '17/03/2024 10:00', '2024-03-17T10:00:00']);
      break;
    case 'missing_subject':
      delete row.subject;
      break;
  }
  return row;
}
