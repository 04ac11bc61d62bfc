import { getHeapStatistics } from 'node:v8';

/** What a batch command may hold: the process's JS heap limit (bin/iob.mjs raises it for batch commands). */
export function heapLimitLine(): string {
  return `memory: JS heap limit ${(getHeapStatistics().heap_size_limit / 2 ** 30).toFixed(1)} GB`;
}
