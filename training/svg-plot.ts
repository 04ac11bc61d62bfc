/**
 * Tiny inline-SVG line charts for evaluation reports: a report is one self-contained HTML file (no CDN, no
 * script), readable offline and safe to attach to a ticket. Axes are fixed to [0, 1] — every curve we plot
 * (ROC, precision–recall, reliability) lives in the unit square.
 */

export interface Series {
  name: string;
  points: Array<[number, number]>;
  color: string;
  /** Draw markers at the points (for sparse curves such as calibration bins). */
  markers?: boolean;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Draw the y = x reference line (chance for ROC, perfect calibration for reliability). */
  diagonal?: boolean;
  /** Corner for the legend: the one the curves leave empty. */
  legend?: 'top-left' | 'top-right' | 'bottom-right';
  /** Right end of the x axis (default 1), e.g. 20 for a curve over list lengths 1…20. */
  xMax?: number;
}

const W = 360;
const H = 300;
const M = { left: 48, right: 12, top: 28, bottom: 44 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Long curves are thinned to at most this many points: the eye cannot tell, the file stays small. */
const MAX_POINTS = 400;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sx(x: number, xMax = 1): number {
  return M.left + Math.min(1, Math.max(0, x / xMax)) * PW;
}

function sy(y: number): number {
  return M.top + (1 - Math.min(1, Math.max(0, y))) * PH;
}

function thin(points: Array<[number, number]>): Array<[number, number]> {
  if (points.length <= MAX_POINTS) return points;
  const step = (points.length - 1) / (MAX_POINTS - 1);
  return Array.from({ length: MAX_POINTS }, (_, i) => points[Math.round(i * step)]!);
}

export function lineChart(options: ChartOptions): string {
  const parts: string[] = [];
  const xMax = options.xMax ?? 1;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(options.title)}">`);
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${escapeHtml(options.title)}</text>`);
  for (let t = 0; t <= 10; t += 2) {
    const v = t / 10;
    parts.push(`<line x1="${sx(v)}" y1="${sy(0)}" x2="${sx(v)}" y2="${sy(1)}" stroke="#eee"/>`);
    parts.push(`<line x1="${sx(0)}" y1="${sy(v)}" x2="${sx(1)}" y2="${sy(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${sx(v)}" y="${sy(0) + 14}" text-anchor="middle" font-size="10">${xMax === 1 ? v.toFixed(1) : String(Math.round(v * xMax * 10) / 10)}</text>`);
    parts.push(`<text x="${sx(0) - 6}" y="${sy(v) + 3}" text-anchor="end" font-size="10">${v.toFixed(1)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 8}" text-anchor="middle" font-size="11">${escapeHtml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(12 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeHtml(options.yLabel)}</text>`);
  if (options.diagonal) parts.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#bbb" stroke-dasharray="4 3"/>`);
  options.series.forEach((s, i) => {
    const pts = thin(s.points);
    const d = pts.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${sx(x, xMax).toFixed(1)} ${sy(y).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    if (s.markers) for (const [x, y] of pts) parts.push(`<circle cx="${sx(x, xMax).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const corner = options.legend ?? 'bottom-right';
    const lx = corner === 'top-left' ? M.left + 8 : M.left + PW - 118;
    const ly = corner === 'bottom-right' ? M.top + PH - 8 - (options.series.length - 1 - i) * 14 : M.top + 12 + i * 14;
    parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 16}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${lx + 20}" y="${ly}" font-size="10">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
