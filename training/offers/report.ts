/**
 * The offers evaluation report: one self-contained HTML file (as for intent: training/intent-report.ts)
 * with the test-period metrics of the model beside POP and SKNN, the hit-rate curve over list lengths
 * 1…20, the validation tuning steps and the protocol's counts.
 */
import { escapeHtml, lineChart } from '../svg-plot.ts';
import type { RankingMetrics } from './protocol.ts';

export interface ReportedRanker {
  key: string;
  label: string;
  metrics: RankingMetrics;
  hitRateCurve: number[];
}

export interface OffersReport {
  title: string;
  version: string;
  createdAt: string;
  backend: string;
  dataFile: string;
  dataHash: string;
  splitDescription: string;
  counts: Record<string, number>;
  rankers: ReportedRanker[];
  tuning: Array<{ parameter: string; value: number; objective: number }>;
  notes: string[];
}

const COLORS = ['#1f77b4', '#d62728', '#7f7f7f', '#2ca02c', '#9467bd'];
const COLUMNS: Array<[keyof RankingMetrics, string]> = [
  ['hr@20', 'HR@20'],
  ['mrr@20', 'MRR@20'],
  ['hr@10', 'HR@10'],
  ['mrr@10', 'MRR@10'],
  ['coverage', 'coverage@20'],
];

export function renderOffersReport(r: OffersReport): string {
  const rows = r.rankers
    .map((e) => `<tr><th>${escapeHtml(e.label)}</th>${COLUMNS.map(([key]) => `<td>${e.metrics[key].toFixed(4)}</td>`).join('')}</tr>`)
    .join('\n');
  const curve = lineChart({
    title: 'Hit rate by list length (test period)',
    xLabel: 'list length k',
    yLabel: 'HR@k',
    xMax: 20,
    legend: 'top-left',
    series: r.rankers.map((e, i) => ({ name: e.key, points: e.hitRateCurve.map((hr, k): [number, number] => [k + 1, hr]), color: COLORS[i % COLORS.length]!, markers: true, dashed: e.key === 'pop' })),
  });
  const counts = Object.entries(r.counts)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v.toLocaleString('en-US')}</td></tr>`)
    .join('');
  const tuning = r.tuning.length
    ? `<table><thead><tr><th>step</th><th>parameter</th><th>value</th><th>objective</th></tr></thead><tbody>${r.tuning
        .map((t, i) => `<tr><th>${i + 1}</th><td>${escapeHtml(t.parameter)}</td><td>${t.value}</td><td>${t.objective.toFixed(4)}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p>No tuning step improved on the defaults.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1150px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}
th:first-child{text-align:left}small{color:#777}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
</style></head><body>
<h1>${escapeHtml(r.title)}</h1>
<dl>
<dt>version</dt><dd>${escapeHtml(r.version)}</dd>
<dt>created</dt><dd>${escapeHtml(r.createdAt)}</dd>
<dt>data</dt><dd>${escapeHtml(r.dataFile)} <small>sha256 ${escapeHtml(r.dataHash)}</small></dd>
<dt>split</dt><dd>${escapeHtml(r.splitDescription)}</dd>
<dt>TF.js backend</dt><dd>${escapeHtml(r.backend)}</dd>
</dl>
<h2>Next-item metrics, test period <small>(higher is better)</small></h2>
<table><thead><tr><th></th>${COLUMNS.map(([, label]) => `<th>${label}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
${curve}
<h2>Protocol counts</h2>
<table><tbody>${counts}</tbody></table>
<h2>Ranking parameters chosen on the validation slice</h2>
${tuning}
<h2>Notes</h2>
<ul>${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
</body></html>
`;
}
