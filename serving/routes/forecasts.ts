/**
 * Demand forecasts (scope `forecast:read`, purpose `forecasting`): aggregate units per item and category,
 * read from the published forecast document the engine follows (engine/forecast-store.ts). JSON, or CSV
 * with `Accept: text/csv` (or `?format=csv`) for planning tools.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { IobError, type ForecastAccuracy, type ForecastDocument, type SeriesForecast } from '../../engine/index.ts';
import type { RouteDeps } from '../app.ts';
import { endpoint } from '../endpoints.ts';
import {
  ForecastListQuerySchema,
  ForecastListResponseSchema,
  ForecastQuerySchema,
  ForecastResponseSchema,
  ForecastTopQuerySchema,
  ForecastTopResponseSchema,
} from '../schemas.ts';

const DAY_MS = 86_400_000;
const isoDay = (epochDay: number) => new Date(epochDay * DAY_MS).toISOString().slice(0, 10);
const nullIfNaN = (v: number) => (Number.isFinite(v) ? v : null);
const round2 = (v: number) => Math.round(v * 100) / 100;

function accuracyJson(byMethod: Record<string, ForecastAccuracy>) {
  return Object.fromEntries(Object.entries(byMethod).map(([m, a]) => [m, { wape: nullIfNaN(a.wape), mase: nullIfNaN(a.mase), coverage_80: nullIfNaN(a.coverage_80) }]));
}

function modelJson(doc: ForecastDocument) {
  return { version: doc.model.version, holdout: accuracyJson(doc.model.holdout), ...(doc.model.holdoutWindow ? { holdoutWindow: doc.model.holdoutWindow } : {}) };
}

/** Expected units over the next `horizon` periods beside the last `horizon` periods of history. */
export function summarize(s: SeriesForecast, horizon: number) {
  let recent = 0;
  for (let i = Math.max(0, s.history.length - horizon); i < s.history.length; i++) recent += s.history[i] as number;
  let expected = 0;
  for (let h = 0; h < horizon && h < s.p50.length; h++) expected += s.p50[h] as number;
  const change = expected - recent;
  return {
    kind: s.kind,
    id: s.id,
    volume: s.volume,
    recent: round2(recent),
    expected: round2(expected),
    change: round2(change),
    changeRatio: recent > 0 ? Math.round((change / recent) * 10_000) / 10_000 : null,
  };
}

const csvCell = (v: string | number) => {
  const text = String(v);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The rows of /v1/forecasts/series and /top as CSV, for planning tools. */
export function summaryCsv(rows: readonly ReturnType<typeof summarize>[]): string {
  const lines = ['kind,id,volume,recent,expected,change,change_ratio'];
  for (const r of rows) lines.push([r.kind, csvCell(r.id), r.volume, r.recent, r.expected, r.change, r.changeRatio ?? ''].join(','));
  return `${lines.join('\n')}\n`;
}

const wantsCsv = (req: FastifyRequest, format: 'json' | 'csv' | undefined) => format === 'csv' || (format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''));

const sendCsv = (reply: FastifyReply, name: string, csv: string) =>
  reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .serializer((payload: unknown) => payload as string)
    .send(csv as never);

export function forecastCsv(s: SeriesForecast, freq: 'day' | 'week', horizon: number): string {
  const step = freq === 'day' ? 1 : 7;
  const lines = ['date,kind,id,units,p10,p50,p90'];
  s.history.forEach((units, i) => lines.push([isoDay(s.historyStart + i * step), s.kind, csvCell(s.id), units, '', '', ''].join(',')));
  for (let h = 0; h < horizon; h++) {
    lines.push([isoDay(s.forecastStart + h * step), s.kind, csvCell(s.id), '', s.p10[h], s.p50[h], s.p90[h]].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON answer of GET /v1/forecasts (ForecastResponseSchema). */
export function forecastAnswer(doc: ForecastDocument, s: SeriesForecast, horizon: number): z.infer<typeof ForecastResponseSchema> {
  const step = doc.freq === 'day' ? 1 : 7;
  const { volume, recent, expected, change } = summarize(s, horizon);
  return {
    kind: s.kind,
    id: s.id,
    freq: doc.freq,
    generatedAt: doc.generatedAt,
    model: modelJson(doc),
    history: s.history.map((units, i) => ({ date: isoDay(s.historyStart + i * step), units })),
    forecast: Array.from({ length: horizon }, (_, h) => ({ date: isoDay(s.forecastStart + h * step), p10: s.p10[h] as number, p50: s.p50[h] as number, p90: s.p90[h] as number })),
    summary: { volume, recent, expected, change },
    ...(s.backtest && doc.backtest ? { backtest: { from: doc.backtest.from, to: doc.backtest.to, accuracy: accuracyJson(s.backtest) } } : {}),
  };
}

export const forecastRoutes = (deps: RouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const answers = new WeakMap<ForecastDocument, Map<string, string>>();
    const published = (): ForecastDocument => {
      const doc = deps.engine.forecasts.current();
      if (!doc) throw new IobError('IOB_ERR_FORECASTS_UNAVAILABLE');
      return doc;
    };
    const checkHorizon = (doc: ForecastDocument, horizon: number | undefined): number => {
      if (horizon === undefined) return doc.horizon;
      if (horizon > doc.horizon) {
        throw new IobError('IOB_ERR_VALIDATION', `horizon must be 1..${doc.horizon} (the serving model's horizon)`, [
          { path: 'querystring.horizon', reason: 'out_of_range', message: `must be 1..${doc.horizon}` },
        ]);
      }
      return horizon;
    };

    app.get('/v1/forecasts', {
      config: { ...endpoint('GET /v1/forecasts'), errors: ['IOB_ERR_FORECASTS_UNAVAILABLE', 'IOB_ERR_FORECAST_NOT_FOUND'] },
      schema: {
        summary: 'Demand forecast of one item or category',
        description:
          'History, p10/p50/p90 per period, the model version, and accuracy beside the seasonal-naive, exponential-smoothing and mean baselines. ' +
          '`Accept: text/csv` (or `format=csv`) returns `date,kind,id,units,p10,p50,p90`.',
        tags: ['forecasts'],
        querystring: ForecastQuerySchema,
        response: { 200: ForecastResponseSchema },
      },
      handler: async (req, reply) => {
        const doc = published();
        const horizon = checkHorizon(doc, req.query.horizon);
        const kind: 'item' | 'category' = req.query.item !== undefined ? 'item' : 'category';
        const id = (req.query.item ?? req.query.category) as string;
        const s = deps.engine.forecasts.get(kind, id);
        if (!s) throw new IobError('IOB_ERR_FORECAST_NOT_FOUND', `no forecast for that ${kind}`, [{ path: `querystring.${kind}`, reason: 'not_found', message: `no published forecast for this ${kind}` }]);
        if (wantsCsv(req, req.query.format)) return sendCsv(reply, `forecast-${kind}`, forecastCsv(s, doc.freq, horizon));
        // The answer is a pure function of (document, series, horizon): serialized once per refresh.
        const cacheKey = `${kind}\u0000${id}\u0000${horizon}`;
        let cache = answers.get(doc);
        if (!cache) answers.set(doc, (cache = new Map()));
        let json = cache.get(cacheKey);
        if (json === undefined) {
          json = JSON.stringify(ForecastResponseSchema.parse(forecastAnswer(doc, s, horizon))); // validated once, like a response schema
          if (cache.size < 100_000) cache.set(cacheKey, json);
        }
        return reply.type('application/json; charset=utf-8').serializer((payload: unknown) => payload as string).send(json as never);
      },
    });

    app.get('/v1/forecasts/series', {
      config: { ...endpoint('GET /v1/forecasts/series'), errors: ['IOB_ERR_FORECASTS_UNAVAILABLE'] },
      schema: {
        summary: 'Every forecast series: volume and expected change (search and sort)',
        description: 'One row per item and category of the latest refresh, with the refresh-wide accuracy beside the baselines.',
        tags: ['forecasts'],
        querystring: ForecastListQuerySchema,
        response: { 200: ForecastListResponseSchema },
      },
      handler: async (req, reply) => {
        const doc = published();
        const q = req.query.q?.toLowerCase();
        const rows = doc.series.filter((s) => (req.query.kind === undefined || s.kind === req.query.kind) && (q === undefined || s.id.toLowerCase().includes(q))).map((s) => summarize(s, doc.horizon));
        const sort = req.query.sort;
        rows.sort((a, b) => (sort === 'id' ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : sort === 'change' ? Math.abs(b.change) - Math.abs(a.change) : b.volume - a.volume));
        if (wantsCsv(req, req.query.format)) return sendCsv(reply, 'forecast-series', summaryCsv(rows.slice(0, req.query.limit)));
        return {
          generatedAt: doc.generatedAt,
          freq: doc.freq,
          horizon: doc.horizon,
          source: doc.source,
          model: modelJson(doc),
          ...(doc.backtest ? { backtest: { from: doc.backtest.from, to: doc.backtest.to, accuracy: accuracyJson(doc.backtest.accuracy) } } : {}),
          total: rows.length,
          series: rows.slice(0, req.query.limit),
        };
      },
    });

    app.get('/v1/forecasts/top', {
      config: { ...endpoint('GET /v1/forecasts/top'), errors: ['IOB_ERR_FORECASTS_UNAVAILABLE'] },
      schema: {
        summary: 'Biggest expected movers',
        description: 'Items and categories whose expected units over the horizon differ most from the same number of periods just past.',
        tags: ['forecasts'],
        querystring: ForecastTopQuerySchema,
        response: { 200: ForecastTopResponseSchema },
      },
      handler: async (req, reply) => {
        const doc = published();
        const horizon = checkHorizon(doc, req.query.horizon);
        const { direction, by } = req.query;
        // by ratio, series with nothing sold recently have no ratio and are left out (rank them by units)
        const score = (r: ReturnType<typeof summarize>) => (by === 'ratio' ? (r.changeRatio as number) : r.change);
        const rows = doc.series
          .filter((s) => req.query.kind === undefined || s.kind === req.query.kind)
          .map((s) => summarize(s, horizon))
          .filter((r) => (by === 'units' || r.changeRatio !== null) && (direction === 'up' ? r.change > 0 : direction === 'down' ? r.change < 0 : r.change !== 0));
        rows.sort((a, b) => (direction === 'down' ? score(a) - score(b) : direction === 'up' ? score(b) - score(a) : Math.abs(score(b)) - Math.abs(score(a))));
        if (wantsCsv(req, req.query.format)) return sendCsv(reply, 'forecast-movers', summaryCsv(rows.slice(0, req.query.limit)));
        return { generatedAt: doc.generatedAt, horizon, movers: rows.slice(0, req.query.limit) };
      },
    });
  };
