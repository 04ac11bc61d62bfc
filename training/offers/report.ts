/**
 * The offers evaluation report: one self-contained HTML file (as for intent: training/intent-report.ts)
 * with the test-period metrics of the model beside POP and SKNN, the hit-rate curve over list lengths
 * 1…20, the validation tuning steps and the protocol's counts.
 */
import { REPORT_END, reportHead, type ReportHeader } from '../report-page.ts';
import { escapeHtml, lineChart } from '../svg-plot.ts';
import type { RankingMetrics } from './protocol.ts';

export interface ReportedRanker {
  key: string;
  label: string;
  metrics: RankingMetrics;
  hitRateCurve: number[];
}

export interface OffersReport extends ReportHeader {
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
  return `${reportHead(r)}<h2>Next-item metrics, test period <small>(higher is better)</small></h2>
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
${REPORT_END}`;
}
