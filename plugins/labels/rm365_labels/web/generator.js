// generator.js — choose items (status and region filters, search), copies per row, a template
// and a line date; a live preview of the first page; print as a job (big jobs render in the
// background with a progress bar).

import { API, fetchBlob, openPdf } from './common.js';

export async function mount(element, ctx) {
  const { api, toast, ui, realtime } = ctx;
  const { h } = ui;
  const config = await api.get(`${API}/config`);
  const chosen = new Map(); // sku -> copies
  let page = 1;
  const size = 50;
  let rows = [];
  let previewTimer = null;

  const statusBoxes = config.statuses.map((s) => h('label', { class: 'chip' },
    h('input', { type: 'checkbox', value: s, checked: s === 'Active', 'data-testid': `lbl-status-${s}` }), ` ${s}`));
  const region = h('select', { 'data-testid': 'lbl-region' },
    config.regions.map((r) => h('option', { value: r.id }, `${r.id.toUpperCase()} (${r.currency})`)));
  const search = h('input', { type: 'search', placeholder: 'Search SKU, name or barcode', 'data-testid': 'lbl-search' });
  const template = h('select', { 'data-testid': 'lbl-template' },
    config.templates.map((t) => h('option', { value: t.id }, t.title)));
  const lineDate = h('input', { type: 'date', 'data-testid': 'lbl-line-date' });
  const selectAll = h('input', { type: 'checkbox', 'data-testid': 'lbl-select-all', title: 'Select every row of this page' });
  const selectEvery = h('button', { class: 'btn btn-secondary btn-sm', type: 'button', 'data-testid': 'lbl-select-every' }, 'Select all matching');
  const clear = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', 'data-testid': 'lbl-clear' }, 'Clear selection');
  const body = h('tbody', { 'data-testid': 'lbl-rows' });
  const pager = h('div', { class: 'lbl-pager', 'data-testid': 'lbl-pager' });
  const summary = h('div', { 'data-testid': 'lbl-summary', class: 'lbl-summary' });
  const print = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'lbl-print' }, 'Print labels');
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'data-testid': 'lbl-progress' });
  const preview = h('img', { class: 'lbl-preview', alt: 'Preview of the first page', hidden: true, 'data-testid': 'lbl-preview' });
  const previewNote = h('div', { class: 'empty', 'data-testid': 'lbl-preview-note' }, 'Select items to see the first page.');

  element.append(h('div', { class: 'lbl-page', 'data-testid': 'labels-generator' },
    h('style', {}, STYLE),
    h('div', { class: 'panel lbl-filters' },
      h('div', { class: 'lbl-statuses' }, statusBoxes),
      h('div', { class: 'lbl-row' }, ui.field('Region', region), ui.field('Search', search))),
    h('div', { class: 'lbl-layout' },
      h('div', { class: 'panel' },
        h('div', { class: 'lbl-row' }, selectEvery, clear, summary),
        h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, h('th', {}, selectAll), h('th', {}, 'SKU'), h('th', {}, 'Name'),
            h('th', {}, 'Price'), h('th', {}, 'UK 6m'), h('th', {}, 'FR 6m'), h('th', {}, 'Copies'))),
          body),
        pager),
      h('div', { class: 'panel' },
        ui.field('Template', template), ui.field('Line date (blank to write on)', lineDate),
        print, progress, previewNote, preview))));

  const statuses = () => statusBoxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
  const params = (p, s) => new URLSearchParams({ statuses: statuses().join(','), region: region.value, search: search.value.trim(), page: p, size: s });
  const selection = () => [...chosen].map(([sku, copies]) => ({ sku, copies }));
  const labelCount = () => [...chosen.values()].reduce((a, b) => a + b, 0);

  function drawSummary() {
    summary.textContent = `${chosen.size} items, ${labelCount()} labels selected`;
    print.disabled = chosen.size === 0;
  }

  function drawRows() {
    body.replaceChildren(...rows.map((r) => {
      const box = h('input', { type: 'checkbox', checked: chosen.has(r.sku), 'data-testid': `lbl-pick-${r.sku}` });
      const copies = h('input', { type: 'number', min: 1, max: config.max_copies, value: chosen.get(r.sku) || 1, class: 'lbl-copies', 'data-testid': `lbl-copies-${r.sku}` });
      box.addEventListener('change', () => {
        if (box.checked) chosen.set(r.sku, Math.max(1, Number(copies.value) || 1)); else chosen.delete(r.sku);
        changed();
      });
      copies.addEventListener('change', () => {
        const n = Math.min(config.max_copies, Math.max(1, Number(copies.value) || 1));
        copies.value = n;
        if (!box.checked) box.checked = true;
        chosen.set(r.sku, n);
        changed();
      });
      const price = r.price_text ? `${r.price_text}${r.price_converted ? ' *' : ''}` : '—';
      return h('tr', { 'data-sku': r.sku },
        h('td', {}, box), h('td', {}, r.sku), h('td', {}, r.name),
        h('td', { title: r.price_converted ? 'Converted from another region with the stored rate' : '' }, price),
        h('td', {}, r.uk_6m ?? '—'), h('td', {}, r.fr_6m ?? '—'), h('td', {}, copies));
    }));
    selectAll.checked = rows.length > 0 && rows.every((r) => chosen.has(r.sku));
  }

  async function load() {
    try {
      const data = await api.get(`${API}/candidates?${params(page, size)}`);
      rows = data.items;
      const pages = Math.max(1, Math.ceil(data.total / size));
      const prev = h('button', { class: 'btn btn-ghost btn-sm', disabled: page <= 1, 'data-testid': 'lbl-prev' }, '‹');
      const next = h('button', { class: 'btn btn-ghost btn-sm', disabled: page >= pages, 'data-testid': 'lbl-next' }, '›');
      prev.onclick = () => { page -= 1; load(); };
      next.onclick = () => { page += 1; load(); };
      pager.replaceChildren(prev, ` Page ${page} of ${pages} · ${data.total} items `, next);
      drawRows();
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  function changed() {
    drawSummary();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(drawPreview, 300);
  }

  async function drawPreview() {
    if (!chosen.size) {
      preview.hidden = true;
      previewNote.hidden = false;
      return;
    }
    try {
      const blob = await fetchBlob(api, `${API}/preview?format=png`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request()),
      });
      // The shell's policy allows data: images (not blob:), so the PNG goes in as a data URL.
      preview.src = await new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(blob);
      });
      preview.hidden = false;
      previewNote.hidden = true;
    } catch (err) {
      previewNote.textContent = err.message;
      previewNote.hidden = false;
    }
  }

  function request() {
    return {
      items: selection(),
      template: template.value,
      region: region.value,
      line_date: lineDate.value || null,
      filters: { statuses: statuses().join(','), search: search.value.trim(), region: region.value },
    };
  }

  let searchTimer = null;
  search.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => { page = 1; load(); }, 250); });
  region.addEventListener('change', () => { page = 1; load(); changed(); });
  statusBoxes.forEach((l) => l.querySelector('input').addEventListener('change', () => { page = 1; load(); }));
  template.addEventListener('change', changed);
  lineDate.addEventListener('change', changed);
  selectAll.addEventListener('change', () => {
    rows.forEach((r) => { if (selectAll.checked) { if (!chosen.has(r.sku)) chosen.set(r.sku, 1); } else chosen.delete(r.sku); });
    drawRows();
    changed();
  });
  selectEvery.addEventListener('click', async () => {
    try {
      for (let p = 1; ; p += 1) {
        const data = await api.get(`${API}/candidates?${params(p, 1000)}`);
        data.items.forEach((r) => { if (!chosen.has(r.sku)) chosen.set(r.sku, 1); });
        if (p * 1000 >= data.total) break;
      }
      drawRows();
      changed();
    } catch (err) {
      toast(err.message, 'error');
    }
  });
  clear.addEventListener('click', () => { chosen.clear(); drawRows(); changed(); });

  print.addEventListener('click', async () => {
    print.disabled = true;
    try {
      const job = await api.post(`${API}/jobs`, request());
      if (job.state === 'rendering' && job.room) {
        progress.hidden = false;
        progress.value = 0;
        toast(`Job ${job.id}: ${job.label_count} labels are rendering…`, 'info');
        await realtime.join(job.room);
        const off = realtime.on('job.progress', async (run) => {
          if (run.id !== job.run_id) return;
          if (run.total) progress.value = Math.round((100 * run.done) / run.total);
          if (run.state === 'done' || run.state === 'failed') {
            off();
            progress.hidden = true;
            if (run.state === 'done') await openPdf(api, job.id); else toast(`Job ${job.id} failed: ${run.error}`, 'error');
          }
        });
      } else {
        toast(`Job ${job.id}: ${job.label_count} labels`, 'success');
        await openPdf(api, job.id);
      }
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      print.disabled = chosen.size === 0;
    }
  });

  drawSummary();
  await load();
  return () => clearTimeout(previewTimer);
}

const STYLE = `
.lbl-page { display: grid; gap: 1rem; }
.lbl-row { display: flex; gap: .75rem; align-items: end; flex-wrap: wrap; }
.lbl-statuses { display: flex; gap: .5rem; flex-wrap: wrap; margin-bottom: .5rem; }
.lbl-layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 1rem; align-items: start; }
.lbl-copies { width: 5em; }
.lbl-preview { display: block; max-width: 100%; max-height: 75vh; margin: .75rem auto 0; border: 1px solid var(--border, #ccc); background: #fff; }
.lbl-summary { margin-left: auto; }
.lbl-pager { display: flex; gap: .5rem; align-items: center; justify-content: flex-end; margin-top: .5rem; }
@media (max-width: 900px) { .lbl-layout { grid-template-columns: 1fr; } }
`;
