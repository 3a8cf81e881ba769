// common.js — shared by the sales data pages: the API base, styles, formatting, a pager and
// the SVG charts (drawn here, no third-party library and no CDN).

export const API = '/api/v1/salesdata';

export function ensureStyles(ctx) {
  return ctx.ui.loadCss(new URL('./salesdata.css', import.meta.url).href).catch(() => {});
}

const numberFormat = new Intl.NumberFormat();
export const fmt = (n) => (n == null ? '' : numberFormat.format(n));

/** Money with its currency always shown: "£12.50", "12,50 €". */
export function money(value, currency) {
  if (value == null) return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

export function shortDate(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

export const qs = (params) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) search.set(k, v);
  return search.toString();
};

/** A table from rows and column specs [{label, value(row), cls}]. */
export function table(h, columns, rows, { empty = 'Nothing here yet', testid } = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table', 'data-testid': testid },
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.cls || '' }, c.label)))),
      h('tbody', {}, rows.length
        ? rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.cls || '' }, c.value(r)))))
        : h('tr', {}, h('td', { colspan: columns.length, class: 'cell-empty' }, empty)))));
}

/** "Page 2 of 9" with previous / next buttons; calls go(page). */
export function pager(h, page, { go }) {
  const pages = Math.max(1, Math.ceil(page.total / page.size));
  return h('div', { class: 'sd-pager' },
    h('button', { class: 'btn btn-sm btn-secondary', disabled: page.page <= 1, onclick: () => go(page.page - 1) }, 'Previous'),
    h('span', { class: 'muted' }, `Page ${page.page} of ${pages} · ${fmt(page.total)} rows`),
    h('button', { class: 'btn btn-sm btn-secondary', disabled: page.page >= pages, onclick: () => go(page.page + 1) }, 'Next'));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text != null) el.textContent = text;
  return el;
}

/** A bar chart of [{label, value}]; `format` labels the values (e.g. with the currency). */
export function barChart(points, { title, format = fmt, height = 180 } = {}) {
  const width = Math.max(320, points.length * 18 + 60);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height + 40}`, class: 'sd-chart', role: 'img', 'aria-label': title || 'chart' });
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = (width - 60) / Math.max(1, points.length);
  root.append(svg('text', { x: 4, y: 12, class: 'sd-axis' }, format(max)));
  root.append(svg('line', { x1: 50, y1: height + 4, x2: width, y2: height + 4, class: 'sd-base' }));
  points.forEach((p, i) => {
    const barHeight = (p.value / max) * (height - 20);
    const x = 55 + i * step;
    const rect = svg('rect', { x, y: height + 4 - barHeight, width: Math.max(2, step - 4), height: barHeight, class: 'sd-bar' });
    rect.append(svg('title', {}, `${p.label}: ${format(p.value)}`));
    root.append(rect);
    if (points.length <= 12 || i % Math.ceil(points.length / 12) === 0) {
      root.append(svg('text', { x, y: height + 20, class: 'sd-axis' }, p.label));
    }
  });
  return root;
}
