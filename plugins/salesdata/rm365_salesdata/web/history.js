// history.js — every import: who, file, region, counts, status and duration, with its errors.

import { API, ensureStyles, fmt, pager, shortDate, table } from './common.js';

export async function mount(element, ctx) {
  const { api, realtime, ui } = ctx;
  const { h } = ui;
  await ensureStyles(ctx);
  const host = h('div', { class: 'sd-page', 'data-testid': 'salesdata-history' });
  element.append(host);
  let page = 1;

  async function download(id) {
    const text = await api.get(`${API}/history/${id}/errors.csv`, { headers: { Accept: 'text/csv' } });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `import-${id}-errors.csv` });
    document.body.append(a); a.click(); a.remove();
  }

  async function render() {
    const data = await api.get(`${API}/history?page=${page}&size=50`);
    host.replaceChildren(h('div', { class: 'panel' },
      h('div', { class: 'panel-head' }, h('h2', {}, 'Import history')),
      table(h, [
        { label: 'When', value: (r) => shortDate(r.started_at) },
        { label: 'Who', value: (r) => r.username },
        { label: 'Region', value: (r) => r.region.toUpperCase() },
        { label: 'File', value: (r) => r.filename },
        { label: 'Status', value: (r) => h('span', { class: `badge ${r.status === 'done' ? 'badge-success' : r.status === 'failed' ? 'badge-danger' : 'badge-info'}` }, r.dry_run ? `${r.status} (dry run)` : r.status) },
        { label: 'Rows', value: (r) => fmt(r.rows_total), cls: 'num' },
        { label: 'New', value: (r) => fmt(r.rows_imported), cls: 'num' },
        { label: 'Already there', value: (r) => fmt(r.rows_duplicate), cls: 'num' },
        { label: 'New status', value: (r) => fmt(r.rows_updated), cls: 'num' },
        { label: 'Errors', value: (r) => (r.rows_failed ? h('button', { class: 'btn btn-sm btn-ghost', onclick: () => download(r.id) }, `${fmt(r.rows_failed)} ↓`) : '0'), cls: 'num' },
        { label: 'Took', value: (r) => (r.duration_ms == null ? '' : `${(r.duration_ms / 1000).toFixed(1)} s`), cls: 'num' },
      ], data.items, { testid: 'sd-history', empty: 'No imports yet' }),
      pager(h, data, { go: (n) => { page = n; render(); } })));
  }
  await render();
  realtime.join('salesdata.history').catch(() => {});
  const off = realtime.on('salesdata.imported', () => render());
  return () => { off(); realtime.leave?.('salesdata.history'); };
}
