/**
 * Feature parity between two stores: every subject, session, item and category either holds, read at one
 * fixed time, feature by feature. What the crash-recovery test and bench compare a killed-and-restarted
 * engine against an uninterrupted one with.
 */
import { ENTITIES, type Entity, type FeatureStore } from '../../engine/index.ts';

export interface FeatureMismatch {
  entity: Entity;
  /** pseudonymized key */
  key: string;
  feature: string;
  got: number | undefined;
  expected: number | undefined;
}

export interface ParityReport {
  /** keys compared per entity kind (the union of both stores) */
  compared: Record<Entity, number>;
  /** subjects with at least one counted event (profiles that were built) */
  profiles: number;
  mismatchCount: number;
  /** the first mismatches (at most 20) */
  mismatches: FeatureMismatch[];
  /** events the expected store counts that the other does not (subjects' 30-day event counts) */
  lost: number;
  /** events the other store counts more often than the expected one */
  doubleCounted: number;
}

/** Per-subject event counts whose 30-day windows cover a generated log of up to 28 days. */
const EVENT_COUNTS = ['subject.view_count_30d', 'subject.cart_add_count_30d', 'subject.purchase_count_30d'];

/** Compares `got` against `expected`, both read at `at` (default: the expected store's watermark). */
export function compareStores(got: FeatureStore, expected: FeatureStore, at: number = expected.watermark): ParityReport {
  const report: ParityReport = { compared: { subject: 0, session: 0, item: 0, category: 0 }, profiles: 0, mismatchCount: 0, mismatches: [], lost: 0, doubleCounted: 0 };
  for (const entity of ENTITIES) {
    const keys = new Set([...got.keys(entity), ...expected.keys(entity)]);
    report.compared[entity] = keys.size;
    for (const key of keys) {
      const a = got.readRecord(entity, key, at);
      const b = expected.readRecord(entity, key, at);
      for (const feature of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (Object.is(a[feature], b[feature])) continue;
        report.mismatchCount++;
        if (report.mismatches.length < 20) report.mismatches.push({ entity, key, feature, got: a[feature], expected: b[feature] });
      }
      if (entity !== 'subject') continue;
      const counted = (r: Record<string, number>) => EVENT_COUNTS.reduce((sum, name) => sum + (r[name] ?? 0), 0);
      const diff = counted(a) - counted(b);
      if (diff > 0) report.doubleCounted += diff;
      else report.lost -= diff;
      if (counted(b) > 0) report.profiles++;
    }
  }
  return report;
}
