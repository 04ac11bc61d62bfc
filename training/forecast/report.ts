/**
 * The forecast training report: one self-contained HTML file (inline CSS and SVG, no CDN, no script) with
 * the accuracy of the model beside the baselines, the rolling-origin backtest, and fan charts (history,
 * p10–p90 band, median, actuals) for the biggest series. Self-contained so it can be mailed, archived
 * next to the model, or opened on a machine without network.
 */
import { formatDay } from '../../models/forecast/calendar.ts';
import type { QuantileForecast } from '../../models/forecast/quantiles.ts';
import { escapeHtml } from '../svg-plot.ts';
import type { MethodName, OriginEvaluation } from './evaluate.ts';
import type { Accuracy } from './metrics.ts';
import { periodDay, type SeriesSet } from './series.ts';

export interface ReportInput {
  title: string;
  version: string;
  createdAt: string;
  set: SeriesSet;
  horizon: number;
  /** the main holdout evaluation (fold 1) */
  main: OriginEvaluation;
  /** every fold, newest first (the main one included) when a backtest ran */
  folds: OriginEvaluation[];
  /** lines about training: backend, time, samples, calibration */
  facts: string[];
  /** how many series get a chart */
  charts?: number;
}

const METHOD_LABELS: Record<MethodName, string> = { model: 'model (global MLP)', snaive: 'seasonal naive', ets: 'exponential smoothing', mean: 'historical mean' };
const METHODS: MethodName[] = ['model', 'snaive', 'ets', 'mean'];

function fixed(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function accuracyTable(accuracy: Partial<Record<MethodName, Accuracy>>): string {
  const present = METHODS.filter((m) => accuracy[m] !== undefined);
  const bestWape = Math.min(...present.map((m) => accuracy[m]?.wape ?? Infinity));
  const rows = present.map((m) => {
    const a = accuracy[m] as Accuracy;
    const best = a.wape === bestWape ? ' class="best"' : '';
    return `<tr><th>${METHOD_LABELS[m]}</th><td${best}>${fixed(a.wape)}</td><td>${fixed(a.mase)}</td><td>${fixed(a.pinball.p10, 2)}</td><td>${fixed(a.pinball.p50, 2)}</td><td>${fixed(a.pinball.p90, 2)}</td><td>${fixed(a.coverage_80 * 100, 1)}%</td></tr>`;
  });
  return `<table><thead><tr><th>method</th><th>WAPE</th><th>MASE</th><th>pinball p10</th><th>pinball p50</th><th>pinball p90</th><th>coverage p10–p90</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function backtestTable(set: SeriesSet, folds: OriginEvaluation[]): string {
  const header = METHODS.map((m) => `<th>${METHOD_LABELS[m]}<br>WAPE · cov.</th>`).join('');
  const rows = folds.map((fold) => {
    const cells = METHODS.map((m) => {
      const a = fold.accuracy[m];
      return `<td>${a ? `${fixed(a.wape)} · ${fixed(a.coverage_80 * 100, 0)}%` : '–'}</td>`;
    });
    return `<tr><th>${formatDay(periodDay(set, fold.cut))} → ${formatDay(periodDay(set, fold.cut + fold.horizon - 1))}</th>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr><th>forecast window</th>${header}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface ChartInput {
  title: string;
  set: SeriesSet;
  values: Float64Array;
  cut: number;
  horizon: number;
  model: QuantileForecast | undefined;
  reference: QuantileForecast | undefined;
}

/** An inline SVG fan chart: recent history, the model's p10–p90 band and median, a baseline median, actuals. */
export function fanChartSvg(input: ChartInput): string {
  const { set, values, cut, horizon, model, reference } = input;
  const width = 640;
  const height = 220;
  const pad = { left: 48, right: 12, top: 24, bottom: 28 };
  const context = Math.min(cut, Math.max(3 * horizon, 8 * (set.freq === 'day' ? 7 : 4)));
  const first = cut - context;
  const last = Math.min(values.length, cut + horizon) - 1;
  let top = 0;
  for (let i = first; i <= last; i++) top = Math.max(top, values[i] as number);
  if (model) for (const v of model.p90) top = Math.max(top, v);
  top = top > 0 ? top * 1.05 : 1;
  const x = (i: number) => pad.left + ((i - first) / Math.max(1, cut + horizon - 1 - first)) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - Math.max(0, v) / top) * (height - pad.top - pad.bottom);
  const path = (points: Array<[number, number]>) => points.map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
  const span = (from: number, to: number, at: (i: number) => number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, k): [number, number] => [x(from + k), y(at(from + k))]);

  const parts: string[] = [];
  for (const frac of [0, 0.5, 1]) {
    const v = top * frac;
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${pad.left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`);
  }
  if (model) {
    const upper = span(cut, cut + horizon - 1, (i) => model.p90[i - cut] as number);
    const lower = span(cut, cut + horizon - 1, (i) => model.p10[i - cut] as number).reverse();
    parts.push(`<path d="${path([...upper, ...lower])}Z" class="band"/>`);
    parts.push(`<path d="${path(span(cut, cut + horizon - 1, (i) => model.p50[i - cut] as number))}" class="median"/>`);
  }
  if (reference) parts.push(`<path d="${path(span(cut, cut + horizon - 1, (i) => reference.p50[i - cut] as number))}" class="reference"/>`);
  parts.push(`<path d="${path(span(first, cut - 1, (i) => values[i] as number))}" class="history"/>`);
  parts.push(`<path d="${path(span(cut, last, (i) => values[i] as number))}" class="actual"/>`);
  parts.push(`<line x1="${x(cut - 0.5).toFixed(1)}" x2="${x(cut - 0.5).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" class="cut"/>`);
  for (const [i, anchor] of [[first, 'start'], [cut, 'middle'], [cut + horizon - 1, 'end']] as const) {
    parts.push(`<text x="${x(i).toFixed(1)}" y="${height - 8}" text-anchor="${anchor}">${formatDay(periodDay(set, i))}</text>`);
  }
  parts.push(`<text x="${pad.left}" y="14" class="title">${escapeHtml(input.title)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(input.title)}">${parts.join('')}</svg>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1340px;color:#1d2733;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0}
th,td{border-bottom:1px solid #dde3ea;padding:.3rem .7rem;text-align:right}th:first-child{text-align:left}
td.best{font-weight:700;color:#0b6b2e}.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{background:#fff;border:1px solid #dde3ea;font-size:10px}svg .title{font-size:12px;font-weight:600}
.grid{stroke:#edf0f3}.band{fill:#4a90d9;fill-opacity:.22;stroke:none}.median{fill:none;stroke:#1f5fa8;stroke-width:1.6}
.reference{fill:none;stroke:#888;stroke-width:1.2;stroke-dasharray:4 3}.history{fill:none;stroke:#1d2733;stroke-width:1.1}
.actual{fill:none;stroke:#d9531e;stroke-width:1.4}.cut{stroke:#9aa5b1;stroke-dasharray:2 2}
.legend span{margin-right:1.2rem}.sw{display:inline-block;width:14px;height:8px;margin-right:4px;vertical-align:middle}
ul{padding-left:1.2rem}`;

export function renderForecastReport(input: ReportInput): string {
  const { set, main, horizon } = input;
  const cut = main.cut;
  const unit = set.freq === 'day' ? 'days' : 'weeks';
  const charts = input.charts ?? 12;
  const biggest = set.series
    .map((s, index) => ({ s, index, volume: s.values.subarray(0, cut).reduce((a, v) => a + v, 0) }))
    .sort((a, b) => b.volume - a.volume)
    .slice(0, charts);
  const svgs = biggest.map(({ s, index, volume }) =>
    fanChartSvg({
      title: `${s.key} · ${Math.round(volume).toLocaleString('en')} units before the holdout`,
      set,
      values: s.values,
      cut,
      horizon,
      model: main.forecasts.model?.[index],
      reference: main.forecasts.ets?.[index],
    }),
  );
  const modelWape = main.accuracy.model?.wape;
  const bestBaseline = Math.min(...(['snaive', 'ets', 'mean'] as const).map((m) => main.accuracy[m]?.wape ?? Infinity));
  const ratio = modelWape !== undefined && bestBaseline > 0 ? modelWape / bestBaseline : Number.NaN;
  const holdout = `${formatDay(periodDay(set, cut))} → ${formatDay(periodDay(set, cut + horizon - 1))}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<p>Model version <code>${escapeHtml(input.version)}</code>, created ${escapeHtml(input.createdAt)}. Source <code>${escapeHtml(set.source)}</code>:
${set.series.length} series × ${set.length} ${unit} from ${formatDay(set.start)}. Holdout: the last ${horizon} ${unit} of every series (${holdout});
everything was fitted on the periods before it.</p>
<h2>Accuracy on the holdout</h2>
${accuracyTable(main.accuracy)}
<p>Model WAPE ÷ best baseline WAPE: <strong>${fixed(ratio)}</strong>. WAPE = Σ|actual − p50| ÷ Σ|actual|; MASE = mean over series of
MAE ÷ in-sample seasonal-naive MAE; pinball loss in units per point; coverage = share of actuals inside p10–p90 (target 80%).</p>
${input.folds.length > 1 ? `<h2>Rolling-origin backtest (${input.folds.length} windows, each fitted only on the periods before it)</h2>${backtestTable(set, input.folds)}` : ''}
<h2>Fan charts: the ${svgs.length} biggest series</h2>
<p class="legend"><span><i class="sw" style="background:#1d2733"></i>history</span><span><i class="sw" style="background:#d9531e"></i>actual</span>
<span><i class="sw" style="background:#1f5fa8"></i>model p50</span><span><i class="sw" style="background:#4a90d9;opacity:.35"></i>model p10–p90</span>
<span><i class="sw" style="background:#888"></i>exponential smoothing p50</span></p>
<div class="charts">${svgs.join('\n')}</div>
<h2>Data and training</h2>
<ul>${[...set.notes, ...input.facts].map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
</body></html>
`;
}
