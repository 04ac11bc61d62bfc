// The forecast dashboard: lists the published series, draws a fan chart (history, p50, p10–p90 band) as
// SVG, shows accuracy beside the baselines, downloads CSV. Plain browser JavaScript, no build step.
// Auth: an API key with scope forecast:read, entered once and kept in sessionStorage (this tab only).
'use strict';

const KEY_NAME = 'iob.forecast.key';
const $ = (id) => document.getElementById(id);
const state = { rows: [], list: undefined, selected: undefined };
const fmt = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

class HttpError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

async function api(path, accept = 'application/json') {
  const res = await fetch(path, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY_NAME)}`, accept } });
  if (!res.ok) throw new HttpError(res.status, await res.json().catch(() => undefined));
  return accept === 'text/csv' ? res.text() : res.json();
}

function showLogin(message = '') {
  $('login').hidden = false;
  $('app').hidden = true;
  $('signout').hidden = true;
  $('login-error').textContent = message;
}

async function start() {
  if (!sessionStorage.getItem(KEY_NAME)) return showLogin();
  try {
    state.list = await api('/v1/forecasts/series?limit=100000');
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      sessionStorage.removeItem(KEY_NAME);
      return showLogin(err.status === 401 ? 'That key was not accepted.' : 'That key lacks the scope forecast:read.');
    }
    $('login').hidden = true;
    $('app').hidden = true;
    $('meta').textContent = err.code === 'IOB_ERR_FORECASTS_UNAVAILABLE' ? 'No forecasts have been published yet: run `iob forecast refresh`.' : `Could not load forecasts: ${err.message}`;
    return;
  }
  $('login').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  const l = state.list;
  $('meta').textContent = `model ${l.model.version} · refreshed ${l.generatedAt.replace('T', ' ').slice(0, 16)} UTC · ${l.total} series · horizon ${l.horizon} ${l.freq === 'day' ? 'days' : 'weeks'}`;
  const unit = l.freq === 'day' ? 'days' : 'weeks';
  $('recent-head').textContent = `last ${l.horizon} ${unit}`;
  $('expected-head').textContent = `next ${l.horizon} ${unit} (p50)`;
  state.rows = l.series;
  renderList();
  const first = visibleRows()[0];
  if (first) select(first.kind, first.id);
}

function visibleRows() {
  const q = $('search').value.trim().toLowerCase();
  const kind = $('kind').value;
  const sort = $('sort').value;
  const rows = state.rows.filter((r) => (!kind || r.kind === kind) && (!q || r.id.toLowerCase().includes(q)));
  rows.sort((a, b) => (sort === 'change' ? Math.abs(b.change) - Math.abs(a.change) : b.volume - a.volume));
  return rows;
}

function renderList() {
  const rows = visibleRows();
  const body = $('series').tBodies[0];
  body.replaceChildren(
    ...rows.slice(0, 500).map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.kind = r.kind;
      tr.dataset.id = r.id;
      if (state.selected && state.selected.kind === r.kind && state.selected.id === r.id) tr.classList.add('selected');
      const cells = [`${r.kind === 'category' ? 'category ' : ''}${r.id}`, fmt(r.volume), fmt(r.recent), fmt(r.expected), `${r.change >= 0 ? '+' : ''}${fmt(r.change)}${r.changeRatio === null ? '' : ` (${r.changeRatio >= 0 ? '+' : ''}${(r.changeRatio * 100).toFixed(0)}%)`}`];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i > 0) td.className = 'num';
        if (i === 4) td.classList.add(r.change > 0 ? 'up' : r.change < 0 ? 'down' : 'flat');
        tr.append(td);
      });
      tr.addEventListener('click', () => select(r.kind, r.id));
      return tr;
    }),
  );
  $('count').textContent = `${rows.length} of ${state.rows.length} series${rows.length > 500 ? ' (first 500 shown)' : ''}`;
}

const query = (kind, id) => `${kind}=${encodeURIComponent(id)}`;

async function select(kind, id) {
  state.selected = { kind, id };
  for (const tr of $('series').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.kind === kind && tr.dataset.id === id);
  const f = await api(`/v1/forecasts?${query(kind, id)}`);
  if (!state.selected || state.selected.id !== id || state.selected.kind !== kind) return;
  $('title').textContent = `${kind === 'category' ? 'Category' : 'Item'} ${id}`;
  drawFan(f);
  renderAccuracy(f);
}

function renderAccuracy(f) {
  const body = $('accuracy').tBodies[0];
  const names = { model: 'model', snaive: 'seasonal naive', ets: 'exponential smoothing', mean: 'historical mean' };
  const source = f.backtest ? f.backtest.accuracy : f.model.holdout;
  body.replaceChildren(
    ...Object.keys(names)
      .filter((m) => source[m])
      .map((m) => {
        const tr = document.createElement('tr');
        tr.dataset.method = m;
        for (const [i, text] of [names[m], fmt(source[m].wape, 3), fmt(source[m].mase, 2), pct(source[m].coverage_80)].entries()) {
          const td = document.createElement('td');
          td.textContent = text;
          if (i > 0) td.className = 'num';
          tr.append(td);
        }
        return tr;
      }),
  );
  const h = f.model.holdout;
  $('accuracy-note').textContent =
    (f.backtest ? `This series, last ${state.list.horizon} periods (${f.backtest.from} – ${f.backtest.to}). ` : '') +
    `Model holdout over all training series${f.model.holdoutWindow ? ` (${f.model.holdoutWindow.from} – ${f.model.holdoutWindow.to})` : ''}: WAPE ${fmt(h.model.wape, 3)} vs seasonal naive ${fmt(h.snaive && h.snaive.wape, 3)}, smoothing ${fmt(h.ets && h.ets.wape, 3)}, mean ${fmt(h.mean && h.mean.wape, 3)}.`;
}

const SVG = 'http://www.w3.org/2000/svg';
function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawFan(f) {
  const W = 760, H = 300, L = 48, R = 12, T = 12, B = 28;
  const history = f.history.slice(-Math.max(4 * f.forecast.length, 56));
  const n = history.length + f.forecast.length;
  const max = Math.max(1, ...history.map((p) => p.units), ...f.forecast.map((p) => p.p90));
  const x = (i) => L + (i / Math.max(1, n - 1)) * (W - L - R);
  const y = (v) => T + (1 - Math.max(0, v) / max) * (H - T - B);
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, 'data-points': n });
  svg.append(el('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }), el('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
  for (const v of [0, max / 2, max]) svg.append(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  const h0 = history.length;
  const upper = f.forecast.map((p, k) => `${x(h0 + k).toFixed(1)},${y(p.p90).toFixed(1)}`);
  const lower = f.forecast.map((p, k) => `${x(h0 + k).toFixed(1)},${y(p.p10).toFixed(1)}`).reverse();
  svg.append(el('polygon', { class: 'band', points: [...upper, ...lower].join(' ') }));
  svg.append(el('polyline', { class: 'hist', points: history.map((p, i) => `${x(i).toFixed(1)},${y(p.units).toFixed(1)}`).join(' ') }));
  svg.append(el('polyline', { class: 'p50', points: f.forecast.map((p, k) => `${x(h0 + k).toFixed(1)},${y(p.p50).toFixed(1)}`).join(' ') }));
  svg.append(el('line', { class: 'now', x1: x(h0 - 0.5), y1: T, x2: x(h0 - 0.5), y2: H - B }));
  const first = history[0] || f.forecast[0];
  const last = f.forecast[f.forecast.length - 1];
  svg.append(el('text', { x: L, y: H - 8 }, first.date), el('text', { x: x(h0), y: H - 8, 'text-anchor': 'middle' }, f.forecast[0].date), el('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, last.date));
  $('chart').replaceChildren(svg);
  const total = f.forecast.reduce((s, p) => s + p.p50, 0);
  $('chart').setAttribute('aria-label', `fan chart: ${history.length} periods of history, ${f.forecast.length} forecast; expected ${fmt(total)} units`);
}

async function downloadCsv(event) {
  event.preventDefault();
  if (!state.selected) return;
  const { kind, id } = state.selected;
  const text = await api(`/v1/forecasts?${query(kind, id)}`, 'text/csv');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  a.download = `forecast-${kind}-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_NAME, $('key').value.trim());
    $('key').value = '';
    void start();
  });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_NAME);
    showLogin();
  });
  for (const id of ['search', 'kind', 'sort']) $(id).addEventListener('input', renderList);
  $('csv').addEventListener('click', (event) => void downloadCsv(event));
  void start();
});
