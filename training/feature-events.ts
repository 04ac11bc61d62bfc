/**
 * Canonical event files as the feature store sees them: every training path that reads an event file
 * (`iob features build`, `iob train intent --events`) goes through here, so they pseudonymize and exclude
 * erased subjects the same way.
 *
 * - Ids are pseudonymized with the engine's key (`IOB_PSEUDONYM_KEY`, or the one generated into the data
 *   dir), so training rows meet the online store's state on the same pseudonyms.
 * - The erasure list lives in NATS (`IOB_ERASURES`): with `NATS_URL` set, erased subjects' events are left
 *   out; without it, the reader says it could not consult the list instead of guessing.
 * - The consent registry lives in NATS too (`IOB_CONSENT`): with `NATS_URL` set, the build applies the
 *   engine's purpose gate (`admits`: allowed at the event's time and still allowed now), so a training set
 *   holds exactly what the online store would; without it, the file is taken as already consented, and the
 *   reader says so.
 * - Bad rows are reported with line and column (never their value) and skipped, or refused with `strict`.
 */
import { connect, type NatsConnection } from 'nats';
import { readCanonicalEvents } from '../datasets/index.ts';
import { LIKELY_SECONDS_BELOW_MS, likelySecondsWarning } from '../datasets/canonical-event.ts';
import { DuplicateIdWindow } from './duplicate-ids.ts';
import {
  admittedAt,
  createPseudonymizer,
  EventColumns,
  ensurePseudonymKey,
  IobError,
  loadConfig,
  openConsentRegistry,
  openErasureList,
  type Purpose,
  type Pseudonymizer,
} from '../engine/index.ts';

export interface EventScope {
  pseudonymize: Pseudonymizer;
  /** Whether a pseudonymous subject is on the erasure list (always false when it could not be consulted). */
  erased(sid: string): boolean;
  /** Whether the erasure list was consulted at all. */
  erasuresChecked: boolean;
  /** The purpose gate from the consent registry, for the feature store's `admits`; absent when not consulted. */
  admits?: (sid: string, purpose: Purpose, ts: number) => boolean;
  /** The NATS connection, when NATS_URL (or natsUrl) named one. */
  nc?: NatsConnection;
  /** The stream's duplicate window (`IOB_DUPLICATE_WINDOW_MS`): a file's events are deduplicated by id as it does. */
  duplicateWindowMs: number;
  close(): Promise<void>;
}

/** The engine's pseudonymizer and erasure list, from the same configuration `iob start` uses. */
export async function openEventScope(options: { dataDir?: string; natsUrl?: string }, say: (line: string) => void): Promise<EventScope> {
  const config = loadConfig(process.env, { dataDir: options.dataDir, natsUrl: options.natsUrl });
  const pseudonymize = createPseudonymizer(config.pseudonymKey ?? ensurePseudonymKey(config.dataDir));
  // The erasure list lives in NATS; a build that cannot consult it says so instead of guessing.
  const nc = config.natsUrl ? await connect({ servers: config.natsUrl.split(',') }) : undefined;
  const erasures = nc ? await openErasureList(nc.jetstream()) : undefined;
  const consent = nc ? await openConsentRegistry(nc.jetstream()) : undefined;
  await consent?.synced();
  if (!nc) say('warning: no NATS_URL, so neither the erasure list nor the consent registry was consulted');
  const builtAt = Date.now();
  return {
    pseudonymize,
    erased: (sid) => erasures?.has(sid) ?? false,
    erasuresChecked: erasures !== undefined,
    duplicateWindowMs: config.duplicateWindowMs,
    ...(consent ? { admits: (sid: string, purpose: Purpose, ts: number) => admittedAt(consent.get(sid), purpose, ts, builtAt) } : {}),
    ...(nc ? { nc } : {}),
    async close() {
      await consent?.close();
      await erasures?.close();
      await nc?.close();
    },
  };
}

export interface FeatureEventsRead {
  /** column by column (engine/features/event-columns.ts): a file of many millions of events fits */
  events: EventColumns;
  badRows: number;
  excludedEvents: number;
  /** events whose id repeated an event within the duplicate window (left out, as the stream drops them) */
  duplicates: number;
}

/** How many bad rows are reported one by one before only the total is. */
const BAD_ROWS_SHOWN = 5;

/** Reads a canonical file into pseudonymous feature events, leaving out erased subjects and bad rows. */
export async function readFeatureEvents(
  path: string,
  scope: Pick<EventScope, 'pseudonymize' | 'erased' | 'duplicateWindowMs'>,
  options: { strict?: boolean; say: (line: string) => void; onEvent?: () => void },
): Promise<FeatureEventsRead> {
  const { pseudonymize, erased } = scope;
  const events = new EventColumns();
  // One HMAC per distinct subject: it is the costliest step of a read, and a subject has many events. (The
  // raw ids stay in this map only while the file is read. Sessions, far more numerous and with few events
  // each, are not worth the memory.)
  const subjects = new Map<string, string>();
  const subjectPseudonym = (id: string) => {
    let p = subjects.get(id);
    if (p === undefined) subjects.set(id, (p = pseudonymize('subject', id)));
    return p;
  };
  const ids = new DuplicateIdWindow(scope.duplicateWindowMs);
  let badRows = 0;
  let excludedEvents = 0;
  let earlyEvents = 0;
  let firstEarlyLine = 0;
  for await (const row of readCanonicalEvents(path)) {
    if ('error' in row) {
      badRows++;
      if (options.strict) {
        throw new IobError('IOB_ERR_VALIDATION', `${path}, line ${row.line}, column ${row.error.column}: ${row.error.message} (--strict refuses bad rows)`, [
          { path: `lines.${row.line}.${row.error.column}`, reason: row.error.reason, message: row.error.message },
        ]);
      }
      if (badRows <= BAD_ROWS_SHOWN) options.say(`skipped line ${row.line}: ${row.error.column} ${row.error.message}`);
      continue;
    }
    const e = row.event;
    if (ids.repeats(e.id, e.ts)) continue;
    if (e.ts < LIKELY_SECONDS_BELOW_MS && earlyEvents++ === 0) firstEarlyLine = row.line;
    const sid = subjectPseudonym(e.subject);
    if (erased(sid)) {
      excludedEvents++;
      continue;
    }
    events.push({ ts: e.ts, sid, type: e.type, ssid: e.session === undefined ? undefined : pseudonymize('session', e.session), item: e.item, category: e.category, price: e.price, quantity: e.quantity });
    options.onEvent?.();
  }
  if (badRows > BAD_ROWS_SHOWN) options.say(`… ${badRows - BAD_ROWS_SHOWN} more bad rows skipped (${badRows} in all)`);
  if (earlyEvents > 0) options.say(likelySecondsWarning(earlyEvents, 'event', firstEarlyLine));
  if (ids.duplicates > 0) {
    options.say(`${ids.duplicates} event(s) repeat the id of an event within ${scope.duplicateWindowMs / 1000} s before them: left out, as the stream drops them (IOB_DUPLICATE_WINDOW_MS)`);
  }
  return { events, badRows, excludedEvents, duplicates: ids.duplicates };
}
