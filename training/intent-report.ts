/**
 * The intent evaluation report: one self-contained HTML file with the metrics table (model beside its
 * baselines, mean ± sd over folds) and ROC, precision–recall and calibration plots drawn from the pooled
 * held-out predictions.
 */
import { calibrationCurve, prPoints, rocPoints, type BinaryMetrics } from './metrics.ts';
import { REPORT_END, reportHead, type ReportHeader } from './report-page.ts';
import { escapeHtml, lineChart, type Series } from './svg-plot.ts';

export interface Evaluation {
  /** Short key (`model`, `prior`, `logreg`; the plots' legend) and the label the table shows. */
  key: string;
  label: string;
  /** Metrics of each fold's (or the single split's) held-out rows. */
  folds: BinaryMetrics[];
  /** Held-out labels and probabilities of every fold, concatenated: what the plots draw. */
  labels: Uint8Array;
  scores: Float32Array;
}

export interface IntentReport extends ReportHeader {
  notes: string[];
  evaluations: Evaluation[];
}

const COLORS = ['#1f77b4', '#d62728', '#7f7f7f', '#2ca02c', '#9467bd'];
const METRICS: Array<[keyof BinaryMetrics, string, 'higher' | 'lower']> = [
  ['roc_auc', 'ROC-AUC', 'higher'],
  ['pr_auc', 'PR-AUC (AP)', 'higher'],
  ['f1', 'best F1', 'higher'],
  ['brier', 'Brier', 'lower'],
];

export function meanOf(folds: readonly BinaryMetrics[], key: keyof BinaryMetrics): number {
  return folds.reduce((s, f) => s + f[key], 0) / folds.length;
}

function sdOf(folds: readonly BinaryMetrics[], key: keyof BinaryMetrics): number {
  if (folds.length < 2) return 0;
  const m = meanOf(folds, key);
  return Math.sqrt(folds.reduce((s, f) => s + (f[key] - m) ** 2, 0) / (folds.length - 1));
}

export function renderIntentReport(r: IntentReport): string {
  const rows = r.evaluations
    .map((e) => {
      const cells = METRICS.map(([key]) => {
        const sd = sdOf(e.folds, key);
        return `<td>${meanOf(e.folds, key).toFixed(4)}${e.folds.length > 1 ? ` <small>± ${sd.toFixed(4)}</small>` : ''}</td>`;
      }).join('');
      return `<tr><th>${escapeHtml(e.label)}</th>${cells}</tr>`;
    })
    .join('\n');
  const series = (toPoints: (e: Evaluation) => Array<[number, number]>, markers = false): Series[] =>
    r.evaluations.map((e, i) => ({ name: e.key, points: toPoints(e), color: COLORS[i % COLORS.length]!, markers, dashed: e.key === 'prior' }));
  const roc = lineChart({ title: 'ROC (pooled held-out)', xLabel: 'false positive rate', yLabel: 'true positive rate', diagonal: true, series: series((e) => rocPoints(e.labels, e.scores)) });
  const pr = lineChart({ title: 'Precision–recall (pooled held-out)', xLabel: 'recall', yLabel: 'precision', legend: 'top-right', series: series((e) => prPoints(e.labels, e.scores)) });
  const calibration = lineChart({
    title: 'Calibration (10 bins)',
    xLabel: 'mean predicted probability',
    yLabel: 'observed purchase rate',
    diagonal: true,
    legend: 'top-left',
    series: series(
      (e) =>
        calibrationCurve(e.labels, e.scores)
          .filter((b) => b.count > 0)
          .map((b): [number, number] => [b.meanPredicted!, b.fractionPositive!]),
      true,
    ),
  });
  const bins = r.evaluations
    .map((e) => {
      const cells = calibrationCurve(e.labels, e.scores)
        .map((b) => `<td>${b.count === 0 ? '–' : `${b.fractionPositive!.toFixed(2)} <small>(${b.count})</small>`}</td>`)
        .join('');
      return `<tr><th>${escapeHtml(e.label)}</th>${cells}</tr>`;
    })
    .join('\n');
  const binHeader = Array.from({ length: 10 }, (_, b) => `<th>${(b / 10).toFixed(1)}–${((b + 1) / 10).toFixed(1)}</th>`).join('');
  return `${reportHead(r)}<h2>Held-out metrics</h2>
<table><thead><tr><th></th>${METRICS.map(([, label, better]) => `<th>${label} <small>(${better} is better)</small></th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
<div class="plots">${roc}${pr}${calibration}</div>
<h2>Calibration bins</h2>
<p>Observed purchase rate (rows) per predicted-probability bin, pooled held-out predictions.</p>
<table><thead><tr><th></th>${binHeader}</tr></thead><tbody>
${bins}
</tbody></table>
<h2>Notes</h2>
<ul>${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
${REPORT_END}`;
}
