/**
 * The forecast store: the latest published demand forecasts for every item and category, one document in
 * the NATS object store `IOB_FORECASTS` (object `current`), watched into memory by every process that
 * serves. A refresh (`iob forecast refresh`, or the engine's schedule) replaces the document whole, so a
 * reader sees the old set or the new one, never half of each, and every serving process picks it up
 * without a restart.
 *
 * Aggregate only: units per item or category per period, quantiles, accuracy figures. Nothing here names
 * or derives from one person; the document type has no field that could carry a subject.
 */
import { pack, unpack } from 'msgpackr';
import type { JetStreamClient, ObjectStore } from 'nats';
import { onReconnect } from './kv-follower.ts';
import type { Logger } from './logger.ts';

export const FORECAST_BUCKET = 'IOB_FORECASTS';
const OBJECT = 'current';

export type ForecastKind = 'item' | 'category';

/** Accuracy of one method on a backtest window: WAPE, MASE (NaN when undefined), p10–p90 coverage. */
export interface ForecastAccuracy {
  wape: number;
  mase: number;
  coverage_80: number;
}

export interface SeriesForecast {
  kind: ForecastKind;
  /** the item id or category name, as the shop sends it */
  id: string;
  /** epoch day of `history[0]` */
  historyStart: number;
  /** units per period, the most recent periods (at most a year) */
  history: number[];
  /** epoch day of the first forecast period (the period after the last of history) */
  forecastStart: number;
  p10: number[];
  p50: number[];
  p90: number[];
  /** units over the whole history window and over the last `horizon` periods of it */
  volume: number;
  recent: number;
  /** sum of p50 over the horizon minus `recent`: the expected change */
  change: number;
  /** this series' last-window backtest, model beside the baselines (when the history allowed one) */
  backtest?: Record<string, ForecastAccuracy>;
}

export interface ForecastDocument {
  generatedAt: string;
  freq: 'day' | 'week';
  horizon: number;
  /** what the series were read from: `engine` (demand history views) or a file name */
  source: string;
  model: {
    version: string;
    /** the model card's holdout accuracy beside the baselines of the same run */
    holdout: Record<string, ForecastAccuracy>;
    holdoutWindow?: { from: string; to: string };
  };
  /** over all series of this refresh: the last-window backtest, model beside baselines */
  backtest?: { from: string; to: string; accuracy: Record<string, ForecastAccuracy> };
  series: SeriesForecast[];
}

export interface ForecastStore {
  /** The latest document, or undefined before the first refresh. */
  current(): ForecastDocument | undefined;
  get(kind: ForecastKind, id: string): SeriesForecast | undefined;
  /** Replaces the published document (every watching process follows). */
  publish(doc: ForecastDocument): Promise<void>;
  /** Resolves once a document published at or after `generatedAt` is loaded here. */
  waitFor(generatedAt: string, timeoutMs?: number): Promise<void>;
  onChange(listener: (doc: ForecastDocument) => void): () => void;
  close(): Promise<void>;
}

const indexKey = (kind: ForecastKind, id: string) => `${kind}\u0000${id}`;

export async function openForecastStore(js: JetStreamClient, options: { replicas?: number; log?: Logger } = {}): Promise<ForecastStore> {
  const os: ObjectStore = await js.views.os(FORECAST_BUCKET, { replicas: options.replicas ?? 1 });
  // nats.js's object-store init swallows a failed stream lookup (a cluster still placing it answers 503):
  // asking for the stream here lets that failure reach the caller (and engine/jetstream-placement.ts).
  await (await js.jetstreamManager()).streams.info(`OBJ_${FORECAST_BUCKET}`);
  let doc: ForecastDocument | undefined;
  let index = new Map<string, SeriesForecast>();
  const listeners = new Set<(doc: ForecastDocument) => void>();

  const install = (next: ForecastDocument) => {
    if (doc && next.generatedAt < doc.generatedAt) return;
    doc = next;
    index = new Map(next.series.map((s) => [indexKey(s.kind, s.id), s]));
    for (const l of listeners) l(next);
  };
  const load = async () => {
    const blob = await os.getBlob(OBJECT);
    if (blob) install(unpack(blob) as ForecastDocument);
  };
  await load();
  let watcher: Awaited<ReturnType<ObjectStore['watch']>>;
  let loop: Promise<void>;
  const watch = async () => {
    const w = (watcher = await os.watch({ ignoreDeletes: true }));
    loop = (async () => {
      for await (const info of w) {
        if (info === null || info.name !== OBJECT || info.deleted) continue;
        await load().catch((err) => options.log?.warn({ err }, 'forecast document could not be loaded; keeping the previous one'));
      }
    })().catch((err) => options.log?.warn({ err }, 'forecast store watch ended; the current document keeps serving'));
  };
  await watch();
  // A restarted broker no longer has the watch's consumer (engine/kv-follower.ts says why): make it again;
  // it starts with the current document, which `install` takes only if it is newer.
  const stopWatching = onReconnect(js, async () => {
    watcher.stop();
    await loop;
    await watch();
  });

  const store: ForecastStore = {
    current: () => doc,
    get: (kind, id) => index.get(indexKey(kind, id)),
    async publish(next) {
      await os.putBlob({ name: OBJECT, description: `forecasts generated ${next.generatedAt}` }, pack(next));
      install(next);
    },
    waitFor(generatedAt, timeoutMs = 10_000) {
      if (doc && doc.generatedAt >= generatedAt) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => (off(), reject(new Error(`no forecast document from ${generatedAt} within ${timeoutMs} ms`))), timeoutMs);
        const off = store.onChange((d) => {
          if (d.generatedAt >= generatedAt) (clearTimeout(timer), off(), resolve());
        });
      });
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      stopWatching();
      watcher.stop();
      await loop;
    },
  };
  return store;
}
