// filters.js — what the demand leaves out: aliases, excluded customers and groups and the
// outlier thresholds per region, currency rates, and the log of who changed what.

import { API, ensureStyles, shortDate, table } from './common.js';

export async function mount(element, ctx) {
  const { api, toast, confirm, ui } = ctx;
  const { h } = ui;
  await ensureStyles(ctx);
  const regions = await api.get(`${API}/regions`);
  const host = h('div', { class: 'sd-page', 'data-testid': 'salesdata-filters' });
  element.append(host);
  let region = regions[0]?.id;

  const act = (fn) => async (e) => {
    e?.preventDefault?.();
    try { await fn(); await render(); } catch (err) { toast(err.message, 'error'); }
  };

  async function render() {
    const [aliases, exclusions, thresholds, rates, log] = await Promise.all([
      api.get(`${API}/aliases`), api.get(`${API}/${region}/exclusions`), api.get(`${API}/${region}/thresholds`),
      api.get(`${API}/rates`), api.get(`${API}/filters/log?size=20`),
    ]);
    const aliasIn = h('input', { placeholder: 'Alias SKU', required: true });
    const skuIn = h('input', { placeholder: 'counts as SKU', required: true });
    const kind = h('select', {}, h('option', { value: 'email' }, 'Customer email'), h('option', { value: 'group' }, 'Customer group'));
    const value = h('input', { placeholder: 'email or group code', required: true });
    const maxQty = h('input', { type: 'number', min: 1, value: thresholds.max_line_qty ?? '', placeholder: 'none' });
    const maxTotal = h('input', { type: 'number', min: 0.01, step: 0.01, value: thresholds.max_order_total ?? '', placeholder: 'none' });
    const base = h('input', { placeholder: 'USD', size: 4, required: true });
    const quote = h('input', { placeholder: 'GBP', size: 4, required: true });
    const rate = h('input', { type: 'number', step: 'any', min: 0, required: true, placeholder: 'rate' });
    const asOf = h('input', { type: 'date' });
    const regionSelect = h('select', { onchange: () => { region = regionSelect.value; render(); } },
      regions.map((r) => h('option', { value: r.id, selected: r.id === region }, r.title)));

    host.replaceChildren(
      h('div', { class: 'sd-grid' },
        h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h3', {}, 'Aliases (all regions)')),
          h('form', { class: 'sd-toolbar', onsubmit: act(() => api.post(`${API}/aliases`, { alias: aliasIn.value, sku: skuIn.value })) },
            aliasIn, skuIn, h('button', { class: 'btn btn-sm btn-primary' }, 'Add')),
          table(h, [
            { label: 'Alias', value: (a) => a.alias }, { label: 'Counts as', value: (a) => a.sku },
            { label: 'By', value: (a) => `${a.created_by}, ${shortDate(a.created_at)}` },
            { label: '', value: (a) => h('button', { class: 'btn btn-sm btn-ghost', onclick: act(async () => {
              if (await confirm({ title: `Remove alias ${a.alias}?` })) await api.delete(`${API}/aliases/${a.id}`);
            }) }, 'Remove') },
          ], aliases, { testid: 'sd-aliases' })),
        h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h3', {}, 'Region '), regionSelect),
          h('h4', {}, 'Excluded customers and groups'),
          h('form', { class: 'sd-toolbar', onsubmit: act(() => api.post(`${API}/${region}/exclusions`, { kind: kind.value, value: value.value })) },
            kind, value, h('button', { class: 'btn btn-sm btn-primary' }, 'Exclude')),
          table(h, [
            { label: 'Kind', value: (x) => x.kind }, { label: 'Value', value: (x) => x.value },
            { label: 'By', value: (x) => `${x.created_by}, ${shortDate(x.created_at)}` },
            { label: '', value: (x) => h('button', { class: 'btn btn-sm btn-ghost', onclick: act(() => api.delete(`${API}/${region}/exclusions/${x.id}`)) }, 'Remove') },
          ], exclusions, { testid: 'sd-exclusions' }),
          h('h4', {}, `Thresholds (${thresholds.currency})`),
          h('form', { class: 'sd-toolbar', onsubmit: act(() => api.put(`${API}/${region}/thresholds`, {
            max_line_qty: maxQty.value ? Number(maxQty.value) : null, max_order_total: maxTotal.value ? Number(maxTotal.value) : null,
          })) }, h('label', {}, 'Max units per line', maxQty), h('label', {}, `Max order total (${thresholds.currency})`, maxTotal),
          h('button', { class: 'btn btn-sm btn-primary' }, 'Save')),
          thresholds.updated_by ? h('p', { class: 'muted' }, `Last set by ${thresholds.updated_by}, ${shortDate(thresholds.updated_at)}`) : null),
        h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h3', {}, 'Currency rates')),
          h('form', { class: 'sd-toolbar', onsubmit: act(() => api.put(`${API}/rates`, [{ base: base.value, quote: quote.value, rate: Number(rate.value), as_of: asOf.value || null }])) },
            h('label', {}, '1', base), h('label', {}, '=', rate), h('label', {}, '', quote), h('label', {}, 'as of', asOf),
            h('button', { class: 'btn btn-sm btn-primary' }, 'Save')),
          table(h, [
            { label: 'Pair', value: (r) => `1 ${r.base} = ${r.rate} ${r.quote}` }, { label: 'As of', value: (r) => r.as_of },
            { label: 'By', value: (r) => r.updated_by },
          ], rates, { testid: 'sd-rates', empty: 'No rates: other currencies are refused' }))),
      h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h3', {}, 'Recent changes')),
        table(h, [
          { label: 'When', value: (c) => shortDate(c.at) }, { label: 'Who', value: (c) => c.username },
          { label: 'What', value: (c) => `${c.action} ${c.kind}${c.region ? ` (${c.region.toUpperCase()})` : ''}` },
          { label: 'Detail', value: (c) => c.detail },
        ], log.items, { testid: 'sd-filter-log' })));
  }
  await render();
}
