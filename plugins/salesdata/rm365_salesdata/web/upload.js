// upload.js — import a Magento order export into a region: dry run or real, a progress bar
// (a large file runs as a job whose progress comes over the realtime hub), then the counts
// and every bad row by line and column, with the whole list as CSV.

import { API, ensureStyles, fmt, table } from './common.js';

export async function mount(element, ctx) {
  const { api, realtime, toast, ui } = ctx;
  const { h } = ui;
  await ensureStyles(ctx);
  const regions = await api.get(`${API}/regions`);
  const region = h('select', { 'data-testid': 'sd-upload-region' }, regions.map((r) => h('option', { value: r.id }, `${r.title} (${r.currency})`)));
  const file = h('input', { type: 'file', accept: '.csv,text/csv', required: true, 'data-testid': 'sd-upload-file' });
  const dryRun = h('input', { type: 'checkbox', 'data-testid': 'sd-upload-dry' });
  const progress = h('progress', { class: 'sd-progress', hidden: true, 'data-testid': 'sd-upload-progress' });
  const status = h('div', { class: 'muted', role: 'status' });
  const result = h('div', { 'data-testid': 'sd-upload-result' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'sd-upload-submit' }, 'Import');
  const offs = [];

  function showResult(r) {
    const errorsLink = r.rows_failed
      ? h('button', { class: 'btn btn-sm btn-secondary', type: 'button', onclick: () => downloadErrors(r.import_id) }, 'Download every error as CSV')
      : null;
    const nothingNew = r.rows_total && !r.rows_imported && !r.rows_updated && !r.rows_failed;
    result.replaceChildren(
      h('div', { class: 'panel' },
        h('div', { class: 'panel-head' }, h('h3', {}, r.dry_run ? 'Dry run: nothing was kept' : 'Imported')),
        h('div', { class: 'panel-body' },
          h('div', { class: 'sd-counts' },
            ...[['Rows', r.rows_total], [r.dry_run ? 'Would be new' : 'New', r.rows_imported], ['Already there', r.rows_duplicate], ['New status', r.rows_updated], ['With errors', r.rows_failed]]
              .map(([label, n]) => h('div', {}, h('strong', {}, fmt(n)), label))),
          nothingNew ? h('p', { class: 'notice' }, 'Nothing new: every line of this file was imported before.') : null,
          r.errors?.length ? h('div', {},
            h('h4', {}, 'Rows not imported'),
            table(h, [
              { label: 'Line', value: (e) => fmt(e.row), cls: 'num' },
              { label: 'Column', value: (e) => e.column },
              { label: 'Value', value: (e) => e.value },
              { label: 'Problem', value: (e) => e.message },
            ], r.errors.slice(0, 200), { testid: 'sd-upload-errors' }),
            r.errors_truncated || r.errors.length > 200 ? h('p', { class: 'muted' }, 'More errors than shown: download the CSV.') : null) : null,
          errorsLink)));
  }

  async function downloadErrors(id) {
    const text = await api.get(`${API}/history/${id}/errors.csv`, { headers: { Accept: 'text/csv' } });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const a = h('a', { href: url, download: `import-${id}-errors.csv` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function followJob(queued) {
    const room = queued.job.room;
    await realtime.join(room).catch(() => {});
    return new Promise((resolve) => {
      const poll = setInterval(async () => {
        const run = await api.get(`${API}/history/${queued.import_id}`).catch(() => null);
        if (run && run.status !== 'running') finish(run);
      }, 2000);
      const off = realtime.on('job.progress', (event) => {
        if (event?.id !== queued.job.id) return;
        if (event.total) { progress.max = event.total; progress.value = event.done; }
        status.textContent = event.message || '';
      });
      offs.push(off, () => clearInterval(poll));
      function finish(run) {
        clearInterval(poll); off(); realtime.leave?.(room);
        resolve(run);
      }
    });
  }

  const form = h('form', { class: 'panel', 'data-testid': 'sd-upload-form', onsubmit: async (e) => {
    e.preventDefault();
    if (!file.files.length) return;
    const data = new FormData();
    data.append('file', file.files[0]);
    submit.disabled = true; progress.hidden = false; progress.removeAttribute('value');
    status.textContent = `Uploading ${file.files[0].name}…`; result.replaceChildren();
    try {
      const answer = await api.post(`${API}/${region.value}/upload?${new URLSearchParams({ dry_run: dryRun.checked })}`, data);
      if (answer.job) {
        status.textContent = 'Importing in the background…';
        const run = await followJob(answer);
        showResult({ ...run, import_id: run.id, errors: [], errors_truncated: run.rows_failed > 0 });
        if (run.status === 'failed') toast(run.message || 'The import failed', 'error');
      } else {
        showResult(answer);
      }
      status.textContent = '';
    } catch (err) {
      status.textContent = '';
      result.replaceChildren(h('div', { class: 'panel-error', 'data-testid': 'sd-upload-error' }, err.message));
    } finally {
      submit.disabled = false; progress.hidden = true;
    }
  } },
  h('div', { class: 'panel-head' }, h('h2', {}, 'Import a Magento order export')),
  h('div', { class: 'panel-body sd-page' },
    h('p', { class: 'muted' }, 'Columns are matched by their header name. Lines already imported are skipped, so uploading an overlapping export is safe.'),
    h('div', { class: 'sd-toolbar' }, h('label', {}, 'Region', region), h('label', {}, 'File', file),
      h('label', { class: 'check' }, dryRun, 'Dry run (check only)'), submit),
    progress, status));

  element.append(h('div', { class: 'sd-page', 'data-testid': 'salesdata-upload' }, form, result));
  return () => { for (const o of offs) o(); };
}
