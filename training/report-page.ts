/**
 * The frame every evaluation report shares (intent, offers): one self-contained HTML page with the same
 * style, the same header facts (version, time, data file and hash, split, TF.js backend), written to
 * `<reports>/<task>-<version>.html`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { escapeHtml } from './svg-plot.ts';

export interface ReportHeader {
  title: string;
  version: string;
  createdAt: string;
  backend: string;
  dataFile: string;
  dataHash: string;
  splitDescription: string;
}

/** The page from `<!doctype html>` through the header facts; the report appends its sections and `REPORT_END`. */
export function reportHead(r: ReportHeader): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1150px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}
th:first-child{text-align:left}small{color:#777}.plots{display:flex;flex-wrap:wrap;gap:1rem}
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
`;
}

export const REPORT_END = '</body></html>\n';

/** Writes a report as `<dir>/<task>-<version>.html` (an unregistered run is named by its time); returns the path. */
export async function writeReport(dir: string, task: string, version: string, createdAt: Date, html: string): Promise<string> {
  const reportsDir = resolve(dir);
  await mkdir(reportsDir, { recursive: true });
  const path = join(reportsDir, `${task}-${version === 'unregistered' ? createdAt.toISOString().replace(/[:.]/g, '') : version}.html`);
  await writeFile(path, html);
  return path;
}
