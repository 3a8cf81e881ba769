// history.js — recent label jobs: reprint (the same PDF, from the job's snapshot), CSV, delete.

import { API, downloadCsv, openPdf } from './common.js';

export async function mount(element, ctx) {
  const { api, toast, ui, realtime, confirm, hasTab } = ctx;
  const { h } = ui;
  let page = 1;
  const size = 25;
  const body = h('tbody', { 'data-testid': 'lbl-history-rows' });
  const pager = h('div', { 'data-testid': 'lbl-history-pager' });
  element.append(h('div', { class: 'panel', 'data-testid': 'labels-history' },
    h('style', {}, '.lbl-actions { white-space: nowrap; } .lbl-actions .btn { margin-right: .25rem; }'),
    h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Job', 'When', 'By', 'Template', 'Region', 'Line date', 'Items', 'Labels', 'State', '']
        .map((t) => h('th', {}, t)))),
      body),
    pager));

  async function load() {
    try {
      const data = await api.get(`${API}/jobs?page=${page}&size=${size}`);
      if (!data.items.length) {
        body.replaceChildren(h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No label jobs yet.')));
      } else {
        body.replaceChildren(...data.items.map(row));
      }
      const pages = Math.max(1, Math.ceil(data.total / size));
      const prev = h('button', { class: 'btn btn-ghost btn-sm', disabled: page <= 1 }, '‹');
      const next = h('button', { class: 'btn btn-ghost btn-sm', disabled: page >= pages }, '›');
      prev.onclick = () => { page -= 1; load(); };
      next.onclick = () => { page += 1; load(); };
      pager.replaceChildren(prev, ` Page ${page} of ${pages} `, next);
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function row(job) {
    const reprint = h('button', { class: 'btn btn-primary btn-sm', disabled: job.state !== 'ready', 'data-testid': `lbl-reprint-${job.id}` }, 'Reprint');
    const csv = h('button', { class: 'btn btn-secondary btn-sm', 'data-testid': `lbl-csv-${job.id}` }, 'CSV');
    const del = h('button', { class: 'btn btn-ghost btn-sm danger', hidden: !hasTab('labels.history'), 'data-testid': `lbl-delete-${job.id}` }, 'Delete');
    reprint.onclick = () => openPdf(api, job.id).catch((err) => toast(err.message, 'error'));
    csv.onclick = () => downloadCsv(api, job.id).catch((err) => toast(err.message, 'error'));
    del.onclick = async () => {
      if (!(await confirm({ title: `Delete job ${job.id}?`, message: 'Its labels can no longer be reprinted.', confirmText: 'Delete', danger: true }))) return;
      try {
        await api.delete(`${API}/jobs/${job.id}`);
        toast(`Job ${job.id} deleted`, 'success');
        load();
      } catch (err) {
        toast(err.message, 'error');
      }
    };
    return h('tr', { 'data-job': job.id },
      h('td', {}, `#${job.id}`), h('td', { title: job.created_at }, new Date(job.created_at).toLocaleString()),
      h('td', {}, job.created_by), h('td', {}, job.template), h('td', {}, `${job.region.toUpperCase()} (${job.currency})`),
      h('td', {}, job.line_date || '—'), h('td', {}, job.item_count), h('td', {}, job.label_count),
      h('td', {}, job.state), h('td', { class: 'lbl-actions' }, reprint, ' ', csv, ' ', del));
  }

  await realtime.join('labels.history').catch(() => {});
  realtime.on('labels.job', () => load());
  await load();
}
