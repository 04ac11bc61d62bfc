/**
 * The second thread of a parallel point-in-time build (parallel-build.ts): it replays the events into item
 * and category state and reads those entities' features at every label, with the same code as the first
 * thread (buildPointInTimeRows), and sends its columns back.
 */
import { parentPort } from 'node:worker_threads';
import type { DemandHistoryView, Entity, FeatureView } from './definitions.ts';
import { EventColumns, type ItemSideColumns } from './event-columns.ts';
import { buildPointInTimeRows, type LabelRow } from './point-in-time.ts';

export interface ItemSideJob {
  id: number;
  columns: ItemSideColumns;
  /** the labels' times, items and categories, in label order */
  labelTs: Float64Array;
  labelItems: readonly (string | undefined)[];
  labelCategories: readonly (string | undefined)[];
  entities: readonly Entity[];
  views?: readonly FeatureView[];
  histories?: readonly DemandHistoryView[];
  allowedLatenessMs?: number;
  sessionGapMs?: number;
}

export type ItemSideResult =
  | { id: number; ok: true; values: Float32Array; widths: readonly number[]; columns: readonly string[] }
  | { id: number; ok: false; message: string; stack?: string };

export function runItemSideJob(job: ItemSideJob): Omit<Extract<ItemSideResult, { ok: true }>, 'id' | 'ok'> {
  const labels: LabelRow[] = new Array(job.labelTs.length);
  for (let i = 0; i < labels.length; i++) {
    const item = job.labelItems[i];
    const category = job.labelCategories[i];
    labels[i] = { subject: '', ts: job.labelTs[i]!, ...(item !== undefined ? { item } : {}), ...(category !== undefined ? { category } : {}) };
  }
  const built = buildPointInTimeRows(EventColumns.fromItemSide(job.columns), labels, {
    entities: job.entities,
    ...(job.views ? { views: job.views } : {}),
    ...(job.histories ? { histories: job.histories } : {}),
    ...(job.allowedLatenessMs !== undefined ? { allowedLatenessMs: job.allowedLatenessMs } : {}),
    ...(job.sessionGapMs !== undefined ? { sessionGapMs: job.sessionGapMs } : {}),
  });
  return { values: built.values, widths: built.widths, columns: built.columns };
}

parentPort?.on('message', (job: ItemSideJob) => {
  let result: ItemSideResult;
  try {
    result = { id: job.id, ok: true, ...runItemSideJob(job) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    result = { id: job.id, ok: false, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  }
  parentPort!.postMessage(result, result.ok ? [result.values.buffer as ArrayBuffer] : []);
});
