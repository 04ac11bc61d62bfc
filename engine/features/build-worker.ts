/**
 * The second thread of a parallel point-in-time build (parallel-build.ts): it replays the events into item
 * and category state and reads those entities' features at every label, with the same code as the first
 * thread (buildPointInTimeRows), into the build's shared rows.
 */
import { parentPort } from 'node:worker_threads';
import type { Entity } from './definitions.ts';
import { EventColumns, type ItemSideColumns } from './event-columns.ts';
import { buildPointInTimeRows, type LabelRow, type PointInTimeOptions, type RowsTarget } from './point-in-time.ts';

export interface ItemSideJob {
  id: number;
  columns: ItemSideColumns;
  /** the labels' times, items and categories, in label order */
  labelTs: Float64Array;
  labelItems: readonly (string | undefined)[];
  labelCategories: readonly (string | undefined)[];
  /** the build's options that cross to the worker (plain data): its entities, the shared rows they go into */
  options: Pick<PointInTimeOptions, 'views' | 'histories' | 'allowedLatenessMs' | 'sessionGapMs'> & { entities: readonly Entity[]; into: RowsTarget };
}

export type ItemSideResult = { id: number; ok: true } | { id: number; ok: false; message: string; stack?: string };

export function runItemSideJob(job: ItemSideJob): void {
  const labels: LabelRow[] = new Array(job.labelTs.length);
  for (let i = 0; i < labels.length; i++) {
    const item = job.labelItems[i];
    const category = job.labelCategories[i];
    labels[i] = { subject: '', ts: job.labelTs[i]!, ...(item !== undefined ? { item } : {}), ...(category !== undefined ? { category } : {}) };
  }
  buildPointInTimeRows(EventColumns.fromItemSide(job.columns), labels, job.options);
}

parentPort?.on('message', (job: ItemSideJob) => {
  let result: ItemSideResult;
  try {
    runItemSideJob(job);
    result = { id: job.id, ok: true };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    result = { id: job.id, ok: false, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  }
  parentPort!.postMessage(result);
});
