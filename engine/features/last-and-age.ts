/**
 * The record fields behind "last value" and "age" features, laid out and updated the same way in an
 * entity's header (keyed-state.ts) and in a session segment (sessions.ts).
 */
import { ANY_TYPE_MASK, type KindPlan } from './plan.ts';
import type { RecordLayout } from './records.ts';

export interface LastAndAgeFields {
  readonly lastValue: number[];
  readonly lastAt: number[];
  /** per plan.ages entry: a double, or -1 for "any type" (the record's newest event) */
  readonly typedAt: number[];
}

/** Reserves the fields in `l`, in this order: last values, their times, typed ages. */
export function layOutLastAndAges(plan: KindPlan, l: RecordLayout): LastAndAgeFields {
  return {
    lastValue: plan.last.map(() => l.double()),
    lastAt: plan.last.map(() => l.double()),
    typedAt: plan.ages.map((a) => (a.mask === ANY_TYPE_MASK ? -1 : l.double())),
  };
}

/** Records one event (type bit `bit`, time `ts`) into the record at `base`; equal times: the event applied later wins (the reference's rule too). */
export function recordLastAndAges(plan: KindPlan, L: LastAndAgeFields, f: Float64Array, base: number, bit: number, ts: number, values: Float64Array): void {
  for (let k = 0; k < plan.last.length; k++) {
    if (plan.last[k]!.mask & bit && ts >= f[base + L.lastAt[k]!]!) {
      f[base + L.lastAt[k]!] = ts;
      f[base + L.lastValue[k]!] = values[plan.last[k]!.value]!;
    }
  }
  for (let k = 0; k < plan.ages.length; k++) {
    const at = L.typedAt[k]!;
    if (at >= 0 && plan.ages[k]!.mask & bit && ts > f[base + at]!) f[base + at] = ts;
  }
}
