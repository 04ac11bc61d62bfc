/**
 * The behavior event contract (DESIGN.md): what clients send, and what the engine keeps after the
 * ingest boundary. The zod schemas are the single source: TS types, request validation and the
 * OpenAPI document all come from here.
 */
import { z } from 'zod';

export const EVENT_TYPES = [
  'view',
  'search',
  'click',
  'favorite',
  'cart_add',
  'cart_remove',
  'checkout',
  'purchase',
  'refund',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EventTypeSchema = z.enum(EVENT_TYPES);

/** Identifiers may arrive as numbers (many shops use integer user ids); they are handled as strings. */
/**
 * Text as JSON carries it: well-formed Unicode only. A lone surrogate cannot be stored as UTF-8 (msgpack
 * would turn it into U+FFFD), so what was accepted would not be what is kept — and two ids would collide.
 */
const LONE_SURROGATE = /\p{Surrogate}/u; // with the u flag, a proper pair is one code point and does not match
const text = () => z.string().refine((s) => !LONE_SURROGATE.test(s), { message: 'must be well-formed Unicode (no lone surrogates)' });

/**
 * zod's message when a value fits no branch of a union is "Invalid input": say what is missing or what
 * is expected instead (a value of the right kind but out of bounds gets its branch's own issue).
 */
const unionError = (expected: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : expected);

const identifier = (max: number) =>
  z.union([text().min(1).max(max), z.number().int().nonnegative().transform(String)], { error: unionError('expected a string or a non-negative integer') });

const Primitive = z.union([text().max(512), z.number().finite(), z.boolean(), z.null()]);

export const GeoSchema = z.union([
  z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }),
  z.string().regex(/^[0-9b-hjkmnp-z]{1,12}$/, 'a geohash'),
]);

export const EventContextSchema = z
  .object({
    channel: text().max(32).optional().describe('web, app, store, email …'),
    device: text().max(32).optional().describe('desktop, mobile, tablet …'),
    geo: GeoSchema.optional().describe('coarsened to a 5-character geohash at the boundary'),
    ip: text().max(64).optional().describe('dropped at the boundary, never stored'),
    referrer: text().max(2048).optional().describe('reduced to its origin at the boundary'),
    userAgent: text().max(1024).optional().describe('dropped at the boundary, never stored'),
  })
  .describe('Where the event happened. Identifying parts are dropped or coarsened at the boundary.');

export const TimestampSchema = z.union(
  [z.number().int().nonnegative().describe('epoch milliseconds'), z.iso.datetime({ offset: true }).describe('ISO-8601 with a time zone')],
  { error: unionError('expected epoch milliseconds (a non-negative integer) or an ISO-8601 date-time with a time zone') },
);

/**
 * The largest price an event (or a catalog entry) may carry, in its currency unit: above any real item's
 * price (a car priced in Vietnamese dong is ~1e9), and bounded so that sums over windows stay finite in
 * features and reports (a single price of 1e308 made `subject.spend_30d` infinite).
 */
export const MAX_PRICE = 1e12;
export const MAX_QUANTITY = 1_000_000;

export const BehaviorEventSchema = z
  .object({
    id: text().min(1).max(128).describe('client-unique event id; the dedupe key (stored only as a keyed hash)'),
    ts: TimestampSchema.describe('event time'),
    subject: identifier(256).describe('raw user id, cookie or e-mail: pseudonymized at the boundary, never stored'),
    session: identifier(256).optional().describe('raw session id: pseudonymized at the boundary'),
    type: EventTypeSchema,
    item: identifier(128).optional(),
    category: identifier(128).optional(),
    price: z.number().finite().nonnegative().max(MAX_PRICE).optional(),
    quantity: z.number().int().min(1).max(MAX_QUANTITY).optional(),
    context: EventContextSchema.optional(),
    properties: z
      .record(text().min(1).max(64), Primitive)
      .refine((p) => Object.keys(p).length <= 50, { message: 'at most 50 properties' })
      .optional()
      .describe('flat map of primitives; personal-looking keys are dropped and values redacted'),
  })
  .describe('A behavior event as a client sends it.');
/**
 * The same schema compiled by zod into one generated function (z.compile): what the ingest boundary runs
 * per event, at about a third of the runtime parser's cost. A failure falls back to the runtime parser, so
 * rejects carry the very same issues (test/fuzz/boundary.test.ts holds the two to agreeing).
 */
export const BehaviorEventParser = z.compile(BehaviorEventSchema);
export type BehaviorEvent = z.input<typeof BehaviorEventSchema>;
export type ParsedBehaviorEvent = z.output<typeof BehaviorEventSchema>;

/** The fields the event schema knows; any other top-level field is dropped at the boundary. */
export const KNOWN_EVENT_FIELDS = new Set(Object.keys(BehaviorEventSchema.shape));

/** What the stream holds: pseudonymous, redacted, normalized. Wire format msgpackr. */
export interface StoredEvent {
  /** keyed hash of the client event id (dedupe key) */
  eid: string;
  /** event time, epoch ms */
  ts: number;
  /** pseudonymous subject id */
  sid: string;
  /** pseudonymous session id */
  ssid?: string;
  type: EventType;
  item?: string;
  category?: string;
  price?: number;
  quantity?: number;
  ctx?: { channel?: string; device?: string; geo?: string; referrer?: string };
  props?: Record<string, string | number | boolean | null>;
  /** receive time at the boundary, epoch ms */
  rt: number;
}
