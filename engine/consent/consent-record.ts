/**
 * A subject's consent as a timeline of changes, so the gate can answer "had this person consented to
 * purpose P at time t?" for an event's own time, not only for now.
 */
import { PURPOSES, type Purpose } from '../purposes.ts';

export interface ConsentChange {
  /** when the change takes effect, epoch ms */
  at: number;
  purpose: Purpose;
  granted: boolean;
  /** where the choice was made: `cmp`, `gpc`, `api`, `support` … */
  source: string;
  /** version of the notice the person saw */
  notice?: string;
  /** API key id that recorded it */
  by?: string;
}

export interface ConsentRecord {
  v: 1;
  changes: ConsentChange[];
  /** set on erasure: the record holds nothing but the fact that it was erased */
  erasedAt?: number;
}

export const emptyRecord = (): ConsentRecord => ({ v: 1, changes: [] });

/** Whether `purpose` may be used for data of time `t`: the last change at or before t decides. */
export function allowedAt(record: ConsentRecord | undefined, purpose: Purpose, t: number): boolean {
  if (PURPOSES[purpose].basis === 'legitimate_interest') {
    // Legitimate interest applies unless the person objected (a withdrawal recorded for it).
    return lastDecision(record, purpose, t) ?? true;
  }
  return lastDecision(record, purpose, t) ?? false;
}

/**
 * The purpose gate's rule for building derived state: the purpose was allowed at the event's time *and* is
 * still allowed now. The second half keeps a withdrawal final: a lagging consumer, a replay of the stream
 * after a restart without snapshot, or a training-set build would otherwise rebuild from pre-withdrawal
 * events the very state the withdrawal purged.
 */
export function admittedAt(record: ConsentRecord | undefined, purpose: Purpose, eventTs: number, now: number): boolean {
  return allowedAt(record, purpose, eventTs) && allowedAt(record, purpose, now);
}

function lastDecision(record: ConsentRecord | undefined, purpose: Purpose, t: number): boolean | undefined {
  if (!record) return undefined;
  const changes = record.changes;
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    if (c.purpose === purpose && c.at <= t) return c.granted;
  }
  return undefined;
}

/** The current state per purpose (what GET /v1/consent returns). */
export function currentState(record: ConsentRecord | undefined, now = Date.now()): Record<Purpose, boolean> {
  const out = {} as Record<Purpose, boolean>;
  for (const p of Object.keys(PURPOSES) as Purpose[]) out[p] = allowedAt(record, p, now);
  return out;
}

/** Appends changes keeping the timeline sorted by effective time (stable for equal times). */
export function withChanges(record: ConsentRecord | undefined, changes: ConsentChange[]): ConsentRecord {
  const merged = [...(record?.changes ?? []), ...changes];
  merged.sort((a, b) => a.at - b.at);
  return { v: 1, changes: merged };
}
