/**
 * The naive reference for the feature store: keeps every accepted event in a list and computes each
 * feature with plain loops at read time, straight from the written semantics (engine/features/
 * time-windows.ts, definitions.ts, sessions.ts, online-store.ts). As slow as it likes; it shares nothing
 * with the store but the declarations (data) and the event type.
 */
import type { Aggregation, DemandHistoryView, Entity, FeatureEvent, FeatureView } from '../../engine/index.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** window → [bucket ms, buckets], from the table in time-windows.ts */
const WINDOWS: Record<string, [number, number]> = {
  '1h': [5 * MINUTE, 12],
  '24h': [HOUR, 24],
  '7d': [DAY, 7],
  '30d': [DAY, 30],
};

export interface ReferenceOptions {
  views: readonly FeatureView[];
  histories: readonly DemandHistoryView[];
  latenessMs: number;
  gapMs: number;
}

interface Held {
  e: FeatureEvent;
  /** position in acceptance order */
  order: number;
}

const present = (s: string | undefined): s is string => s !== undefined && s !== '';
const laneKey = (sid: string) => '\u0000' + sid;
const keyOfSession = (e: FeatureEvent) => (present(e.ssid) ? e.ssid : laneKey(e.sid));

export class ReferenceStore {
  readonly accepted: Held[] = [];
  watermark = -Infinity;
  lastSeq = 0;
  late = 0;
  /** purges: events of the entity accepted before `before` no longer count */
  private readonly purges: { entity: Entity; key: string; before: number }[] = [];

  constructor(readonly options: ReferenceOptions) {}

  apply(e: FeatureEvent, seq: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    if (e.ts < this.watermark - this.options.latenessMs) {
      this.late++;
      return;
    }
    this.watermark = Math.max(this.watermark, e.ts);
    this.accepted.push({ e, order: this.accepted.length });
  }

  purge(entity: Entity, key: string): void {
    this.purges.push({ entity, key, before: this.accepted.length });
  }

  names(entity: Entity): string[] {
    return this.options.views.filter((v) => v.entity === entity).flatMap((v) => v.features.map((f) => f.name));
  }

  /** Float32-rounded feature values of all the entity's views. */
  read(entity: Entity, key: string, t: number): number[] {
    const at = Math.max(t, this.watermark);
    let events = this.eventsOf(entity, key);
    if (entity === 'session') events = lastSession(sessionize(events, this.options.gapMs));
    const out: number[] = [];
    for (const view of this.options.views.filter((v) => v.entity === entity)) {
      const newest = Math.max(...events.map((h) => h.e.ts));
      const expired = events.length === 0 || at - newest > view.ttlMs;
      for (const f of view.features) {
        out.push(expired ? 0 : Math.fround(this.evaluate(f, view, events, at, entity === 'subject' ? key : undefined)));
      }
    }
    return out;
  }

  demandHistory(entity: 'item' | 'category', key: string): { days: number[]; units: number[] } {
    const spec = this.options.histories.find((h) => h.entity === entity)!;
    const fromDay = Math.floor(this.watermark / DAY) - (spec.retentionDays - 1);
    const byDay = new Map<number, number>();
    for (const { e } of this.eventsOf(entity, key)) {
      if (!spec.types.includes(e.type)) continue;
      const day = Math.floor(e.ts / DAY);
      if (day >= fromDay) byDay.set(day, (byDay.get(day) ?? 0) + (e.quantity ?? 1));
    }
    const days = [...byDay.keys()].sort((a, b) => a - b);
    return { days, units: days.map((d) => byDay.get(d)!) };
  }

  private purgedBefore(entity: Entity, key: string): number {
    let before = 0;
    for (const p of this.purges) if (p.entity === entity && p.key === key) before = Math.max(before, p.before);
    return before;
  }

  private eventsOf(entity: Entity, key: string): Held[] {
    const belongs = (e: FeatureEvent) =>
      entity === 'subject' ? e.sid === key : entity === 'item' ? e.item === key : entity === 'category' ? e.category === key : keyOfSession(e) === key;
    return this.accepted.filter((h) => belongs(h.e) && h.order >= this.purgedBefore(entity, key) && !this.purgedWithSubject(entity, h));
  }

  /** A subject's purge also forgets its sessions. */
  private purgedWithSubject(entity: Entity, h: Held): boolean {
    return entity === 'session' && h.order < this.purgedBefore('subject', h.e.sid);
  }

  private evaluate(agg: Aggregation, view: FeatureView, events: Held[], t: number, subject: string | undefined): number {
    const match = (types: readonly string[] | 'any', e: FeatureEvent) => types === 'any' || types.includes(e.type);
    const inWindow = (ts: number, window: string) => {
      if (window === 'session') return ts <= t;
      const [r, n] = WINDOWS[window]!;
      return Math.floor(ts / r) >= Math.floor(t / r) - (n - 1) && ts <= t;
    };
    const value = (e: FeatureEvent, v: string) => {
      const units = e.quantity ?? 1;
      const price = e.price ?? 0;
      return v === 'units' ? units : v === 'price' ? Math.round(price * 100) : Math.round(price * units * 100);
    };
    const scale = (v: string) => (v === 'units' ? 1 : 100);
    switch (agg.agg) {
      case 'count':
        return events.filter((h) => match(agg.types, h.e) && inWindow(h.e.ts, agg.window)).length;
      case 'sum': {
        let cents = 0;
        for (const { e } of events) {
          if (!inWindow(e.ts, agg.window)) continue;
          if (match(agg.types, e)) cents += value(e, agg.value);
          else if (agg.minus?.includes(e.type)) cents -= value(e, agg.value);
        }
        const total = cents / scale(agg.value);
        return agg.atLeast === undefined ? total : Math.max(agg.atLeast, total);
      }
      case 'mean': {
        const hits = events.filter((h) => match(agg.types, h.e) && inWindow(h.e.ts, agg.window));
        if (hits.length === 0) return 0;
        return hits.reduce((s, h) => s + value(h.e, agg.value), 0) / scale(agg.value) / hits.length;
      }
      case 'distinct_count': {
        const seen = new Set<string>();
        for (const { e } of events) {
          const v = agg.field === 'item' ? e.item : e.category;
          if (present(v) && match(agg.types, e) && inWindow(e.ts, agg.window)) seen.add(v);
        }
        return seen.size;
      }
      case 'last': {
        let best: Held | undefined;
        for (const h of events) if (match(agg.types, h.e) && (!best || h.e.ts >= best.e.ts)) best = h;
        return best ? value(best.e, agg.value) / scale(agg.value) : 0;
      }
      case 'age': {
        const times = events.filter((h) => match(agg.types, h.e)).map((h) => h.e.ts);
        return times.length ? (t - Math.max(...times)) / 1000 : 0;
      }
      case 'span': {
        const times = events.map((h) => h.e.ts);
        return (Math.max(...times) - Math.min(...times)) / (agg.unit === 's' ? 1000 : 60_000);
      }
      case 'session_starts': {
        const byKey = new Map<string, Held[]>();
        for (const h of this.eventsOf('subject', subject!)) {
          const k = keyOfSession(h.e);
          byKey.set(k, [...(byKey.get(k) ?? []), h]);
        }
        let n = 0;
        for (const list of byKey.values()) for (const s of sessionize(list, this.options.gapMs)) if (inWindow(s[0]!.e.ts, agg.window)) n++;
        return n;
      }
      case 'ratio': {
        const operand = (o: string | Aggregation) =>
          this.evaluate(typeof o === 'string' ? view.features.find((f) => f.name === o)! : o, view, events, t, subject);
        let d = operand(agg.denominator);
        if (agg.denominatorAtLeast !== undefined) d = Math.max(agg.denominatorAtLeast, d);
        return d === 0 ? 0 : operand(agg.numerator) / d;
      }
    }
  }
}

/** One key's events split into sessions at gaps longer than `gap`, each in time order. */
export function sessionize(events: Held[], gap: number): Held[][] {
  const sorted = [...events].sort((a, b) => a.e.ts - b.e.ts || a.order - b.order);
  const sessions: Held[][] = [];
  for (const h of sorted) {
    const current = sessions[sessions.length - 1];
    if (current && h.e.ts - current[current.length - 1]!.e.ts <= gap) current.push(h);
    else sessions.push([h]);
  }
  return sessions;
}

const lastSession = (sessions: Held[][]) => sessions[sessions.length - 1] ?? [];
