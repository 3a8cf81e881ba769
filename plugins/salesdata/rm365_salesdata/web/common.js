// common.js — shared by the sales data pages: the API base, styles, formatting, a pager and
// the bar charts (Chart.js, vendored in ./vendor: no CDN).

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

let chartLibrary = null;

/** Chart.js, vendored beside this file (no CDN), loaded once on the first chart. */
export function loadChartLibrary() {
  if (window.Chart) return Promise.resolve(window.Chart);
  chartLibrary ||= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = new URL('./vendor/chart.umd.min.js', import.meta.url).href;
    script.onload = () => resolve(window.Chart);
    script.onerror = () => { chartLibrary = null; reject(new Error('The chart library did not load')); };
    document.head.append(script);
  });
  return chartLibrary;
}

/** A bar chart of [{label, value}] in a new element; `format` labels the values (e.g. with the
 * currency). `charts` collects the Chart.js instances so the page can destroy them. */
export async function barChart(points, { title, format = fmt, height = 220, charts = [] } = {}) {
  const Chart = await loadChartLibrary();
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', title || 'chart');
  canvas.dataset.testid = 'sd-chart';
  const box = document.createElement('div');
  box.className = 'sd-chart';
  box.style.height = `${height}px`;
  box.append(canvas);
  const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim() || '#3b82f6';
  const text = getComputedStyle(document.body).color;
  charts.push(new Chart(canvas, {
    type: 'bar',
    data: { labels: points.map((p) => p.label), datasets: [{ label: title, data: points.map((p) => p.value), backgroundColor: accent }] },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => format(c.parsed.y) } } },
      scales: {
        x: { ticks: { color: text, autoSkip: true, maxRotation: 0 }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: text, callback: (v) => format(v) } },
      },
    },
  }));
  return box;
}
