// logs.js — clock events and work hours with filters; CSV and PDF export, print.

import { API, addDays, download, ensureStyles, loadConfig, localDate, localTime, qs } from './common.js';

export async function mount(element, ctx) {
  ensureStyles();
  const { h } = ctx.ui;
  await loadConfig(ctx.api);
  const today = localDate();
  const from = h('input', { type: 'date', value: addDays(today, -(Number(today.slice(8)) - 1)), 'data-testid': 'logs-from', 'aria-label': 'From' });
  const to = h('input', { type: 'date', value: today, 'data-testid': 'logs-to', 'aria-label': 'To' });
  const q = h('input', { type: 'search', placeholder: 'Name or code', 'data-testid': 'logs-q', 'aria-label': 'Name' });
  const location = h('input', { placeholder: 'Location', 'data-testid': 'logs-location', 'aria-label': 'Location' });
  const view = h('select', { 'data-testid': 'logs-view', 'aria-label': 'View' },
    h('option', { value: 'hours' }, 'Work hours'), h('option', { value: 'logs' }, 'Clock events'));
  const csv = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'logs-csv' }, 'CSV');
  const pdf = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'logs-pdf' }, 'PDF');
  const print = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'logs-print', onclick: () => window.print() }, 'Print');
  const summary = h('p', { class: 'muted', 'data-testid': 'logs-summary' });
  const table = h('table', { class: 'table', 'data-testid': 'logs-table' });
  const pager = h('div', { class: 'toolbar' });
  let page = 1;

  const filters = () => ({ from: from.value, to: to.value, q: q.value.trim(), location: location.value.trim() });

  async function reload() {
    const hours = view.value === 'hours';
    pdf.hidden = !hours;
    try {
      const data = await ctx.api.get(`${API}/${hours ? 'work-hours' : 'logs'}${qs({ ...filters(), page, size: 100 })}`);
      if (hours) {
        summary.textContent = `${data.total} person-days · ${data.worked_hours.toFixed(2)} h worked (breaks subtracted) · ${data.break_hours.toFixed(2)} h of breaks`;
        table.replaceChildren(
          h('thead', {}, h('tr', {}, ['Date', 'Code', 'Name', 'First in', 'Last out', 'Worked h', 'Breaks h', 'Sessions', 'Late min', 'Overtime h'].map((t) => h('th', {}, t)))),
          h('tbody', {}, data.items.map((r) => h('tr', {},
            h('td', {}, r.date), h('td', {}, r.employee_code), h('td', {}, r.name), h('td', {}, localTime(r.first_in)),
            h('td', {}, r.last_out ? localTime(r.last_out) : 'open'), h('td', {}, r.worked_hours.toFixed(2)),
            h('td', {}, r.break_hours.toFixed(2)), h('td', {}, String(r.sessions)), h('td', {}, String(r.late_minutes)),
            h('td', {}, r.overtime_hours.toFixed(2))))));
      } else {
        summary.textContent = `${data.total} clock events`;
        table.replaceChildren(
          h('thead', {}, h('tr', {}, ['When', 'Code', 'Name', 'Direction', 'Source', 'Device', ''].map((t) => h('th', {}, t)))),
          h('tbody', {}, data.items.map((r) => h('tr', {},
            h('td', {}, localTime(r.at, true)), h('td', {}, r.employee_code), h('td', {}, r.name),
            h('td', { class: r.direction === 'in' ? 'att-in' : 'att-out' }, r.direction), h('td', {}, r.source),
            h('td', {}, r.device || '—'),
            h('td', {}, [r.corrected ? h('span', { class: 'badge' }, 'corrected') : null, r.automatic ? h('span', { class: 'badge' }, 'automatic') : null,
              r.needs_review ? h('span', { class: 'badge badge-warning' }, 'review') : null])))));
      }
      const pages = Math.max(1, Math.ceil(data.total / data.size));
      pager.replaceChildren(
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', disabled: page <= 1, onclick: () => { page -= 1; reload(); } }, 'Previous'),
        h('span', { class: 'muted' }, `Page ${page} of ${pages}`),
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', disabled: page >= pages, onclick: () => { page += 1; reload(); } }, 'Next'));
    } catch (err) { summary.textContent = err.message; }
  }

  csv.addEventListener('click', async () => {
    const hours = view.value === 'hours';
    try { await download(ctx.api, `${API}/${hours ? 'work-hours' : 'logs'}.csv${qs(filters())}`, `${hours ? 'work-hours' : 'attendance-logs'}-${from.value}-${to.value}.csv`); } catch (err) { ctx.toast(err.message, 'error'); }
  });
  pdf.addEventListener('click', async () => {
    try { await download(ctx.api, `${API}/work-hours.pdf${qs(filters())}`, `work-hours-${from.value}-${to.value}.pdf`); } catch (err) { ctx.toast(err.message, 'error'); }
  });
  let timer = null;
  for (const input of [from, to, view, location]) input.addEventListener('change', () => { page = 1; reload(); });
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { page = 1; reload(); }, 250); });
  element.append(h('div', { class: 'att-page', 'data-testid': 'attendance-logs' },
    h('div', { class: 'panel' }, h('div', { class: 'panel-body att-filters' }, view, 'From', from, 'to', to, q, location, csv, pdf, print)),
    summary, h('div', { class: 'panel table-wrap' }, table), pager));
  await reload();
}
