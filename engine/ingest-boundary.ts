/**
 * The ingest boundary: the one place raw events become stored events. Validate (zod), drop and redact
 * personal data, pseudonymize identifiers, normalize time. Nothing after this function sees a raw value.
 * Problems name the field and the reason and never echo the input.
 */
import type { ZodError } from 'zod';
import type { Problem } from './errors.ts';
import {
  BehaviorEventParser,
  KNOWN_EVENT_FIELDS,
  type ParsedBehaviorEvent,
  type StoredEvent,
} from './event-schema.ts';
import type { Pseudonymizer } from './pseudonymize.ts';
import { REDACTED, geohash, isPersonalKey, looksPersonal, referrerOrigin } from './redact.ts';

export interface BoundaryOptions {
  pseudonymize: Pseudonymizer;
  retentionMs: number;
  maxFutureSkewMs: number;
  now?: () => number;
}

export type BoundaryOutcome =
  | { ok: true; event: StoredEvent; dropped: string[]; redacted: string[] }
  | { ok: false; problems: Problem[] };

/** A field name safe to echo: client-chosen keys can themselves be identifiers. */
export function safeKey(key: string): string {
  return key.length > 64 || looksPersonal(key) ? '[key]' : key;
}

export function problemsFromZod(error: ZodError, prefix = ''): Problem[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map((p) => safeKey(String(p)))].filter((s) => s !== '').join('.'),
    reason: issue.code,
    message: issue.message,
  }));
}

export function createBoundary(options: BoundaryOptions): (raw: unknown) => BoundaryOutcome {
  const now = options.now ?? Date.now;
  const { pseudonymize } = options;

  return function crossBoundary(raw: unknown): BoundaryOutcome {
    if (!isPlainObject(raw)) {
      return { ok: false, problems: [{ path: '', reason: 'invalid_type', message: 'an event must be a JSON object' }] };
    }
    const parsed = BehaviorEventParser.safeParse(raw);
    if (!parsed.success) return { ok: false, problems: problemsFromZod(parsed.error) };
    const e: ParsedBehaviorEvent = parsed.data;

    const received = now();
    const ts = typeof e.ts === 'number' ? e.ts : Date.parse(e.ts);
    if (ts > received + options.maxFutureSkewMs) {
      return { ok: false, problems: [{ path: 'ts', reason: 'future_timestamp', message: 'event time is in the future' }] };
    }
    if (ts < received - options.retentionMs) {
      return {
        ok: false,
        problems: [{ path: 'ts', reason: 'older_than_retention', message: 'event time is older than the retention period' }],
      };
    }

    const dropped: string[] = [];
    const redacted: string[] = [];
    for (const key of Object.keys(raw)) if (!KNOWN_EVENT_FIELDS.has(key)) dropped.push(safeKey(key));

    const event: StoredEvent = {
      eid: pseudonymize('event', e.id),
      ts,
      sid: pseudonymize('subject', e.subject),
      type: e.type,
      rt: received,
    };
    if (e.session !== undefined) event.ssid = pseudonymize('session', e.session);
    if (e.item !== undefined) event.item = e.item;
    if (e.category !== undefined) event.category = e.category;
    if (e.price !== undefined) event.price = e.price;
    if (e.quantity !== undefined) event.quantity = e.quantity;

    if (e.context) {
      const c = e.context;
      const ctx: NonNullable<StoredEvent['ctx']> = {};
      const keepText = (field: 'channel' | 'device') => {
        const v = c[field];
        if (v === undefined) return;
        if (looksPersonal(v)) redacted.push(`context.${field}`);
        else ctx[field] = v;
      };
      keepText('channel');
      keepText('device');
      if (c.geo !== undefined) ctx.geo = typeof c.geo === 'string' ? c.geo.slice(0, 5) : geohash(c.geo.lat, c.geo.lon, 5);
      if (c.referrer !== undefined) {
        const origin = referrerOrigin(c.referrer);
        if (origin && !looksPersonal(origin)) ctx.referrer = origin;
        else dropped.push('context.referrer');
      }
      if (c.ip !== undefined) dropped.push('context.ip');
      if (c.userAgent !== undefined) dropped.push('context.userAgent');
      for (const key of Object.keys(raw.context as object)) if (!(key in EVENT_CONTEXT_KEYS)) dropped.push(`context.${safeKey(key)}`);
      if (Object.keys(ctx).length) event.ctx = ctx;
    }

    if (e.properties) {
      const props: NonNullable<StoredEvent['props']> = {};
      let any = false;
      for (const [key, value] of Object.entries(e.properties)) {
        if (isPersonalKey(key) || looksPersonal(key)) {
          dropped.push(`properties.${safeKey(key)}`);
        } else if (typeof value === 'string' && looksPersonal(value)) {
          props[key] = REDACTED;
          redacted.push(`properties.${key}`);
          any = true;
        } else {
          props[key] = value;
          any = true;
        }
      }
      if (any) event.props = props;
    }
    return { ok: true, event, dropped, redacted };
  };
}

const EVENT_CONTEXT_KEYS = { channel: 1, device: 1, geo: 1, ip: 1, referrer: 1, userAgent: 1 } as const;

function isPlainObject(v: unknown): v is Record<string, unknown> & { context?: object } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
