// region.js — one storefront: its order lines (search, dates, status), the condensed 6-month
// demand with the filters applied, and charts of quantity and revenue by week and top SKUs.

import { API, barChart, ensureStyles, fmt, money, pager, qs, shortDate, table } from './common.js';

export async function mount(element, ctx) {
  const { api, realtime, toast, ui } = ctx;
  const { h } = ui;
  await ensureStyles(ctx);
  const region = ctx.tab.id.split('.')[1];
  const regions = await api.get(`${API}/regions`);
  const info = regions.find((r) => r.id === region) || { currency: '', title: region.toUpperCase() };
  const base = `${API}/${region}`;

  let view = 'demand';
  const body = h('div', { class: 'sd-page', 'data-testid': 'sd-region-body' });
  const buttons = ['demand', 'lines', 'charts'].map((id) => h('button', {
    class: 'btn btn-sm btn-secondary', 'data-view': id, 'data-testid': `sd-view-${id}`,
    onclick: () => { view = id; render(); },
  }, { demand: 'Demand (condensed)', lines: 'Order lines', charts: 'Charts' }[id]));
  element.append(h('div', { class: 'sd-page', 'data-testid': 'salesdata-region' },
    h('div', { class: 'panel' }, h('div', { class: 'panel-head' },
      h('h2', {}, `${info.title} sales`), h('span', { class: 'muted' }, ` ${info.currency} · ${info.timezone || ''}`),
      h('div', { class: 'sd-views' }, buttons))),
    body));

  const state = { lines: { page: 1, search: '', from: '', to: '', status: '' }, demand: { page: 1, months: 6, days: '', since: '', search: '' } };

  async function renderLines() {
    const s = state.lines;
    const search = h('input', { type: 'search', value: s.search, placeholder: 'SKU, name, order or email', 'data-testid': 'sd-search' });
    const from = h('input', { type: 'date', value: s.from });
    const to = h('input', { type: 'date', value: s.to });
    const status = h('input', { type: 'text', value: s.status, placeholder: 'any', size: 10 });
    const apply = () => { Object.assign(s, { search: search.value, from: from.value, to: to.value, status: status.value, page: 1 }); render(); };
    const form = h('form', { class: 'sd-toolbar', onsubmit: (e) => { e.preventDefault(); apply(); } },
      h('label', {}, 'Search', search), h('label', {}, 'From', from), h('label', {}, 'To', to),
      h('label', {}, 'Status', status), h('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, 'Show'));
    const page = await api.get(`${base}?${qs({ page: s.page, size: 50, search: s.search, from: s.from, to: s.to, status: s.status })}`);
    return [form, table(h, [
      { label: 'Date', value: (r) => shortDate(r.created_at) },
      { label: 'Order', value: (r) => r.order_number },
      { label: 'SKU', value: (r) => r.sku },
      { label: 'Name', value: (r) => r.name },
      { label: 'Qty', value: (r) => fmt(r.qty), cls: 'num' },
      { label: 'Price', value: (r) => money(r.price, r.currency), cls: 'num' },
      { label: 'Order total', value: (r) => money(r.grand_total, r.currency), cls: 'num' },
      { label: 'Status', value: (r) => r.status },
      { label: 'Customer', value: (r) => `${r.customer_name} ${r.customer_email ? `<${r.customer_email}>` : ''}` },
      { label: 'Group', value: (r) => r.customer_group },
    ], page.items, { testid: 'sd-lines', empty: 'No order lines match' }),
    pager(h, page, { go: (n) => { s.page = n; render(); } })];
  }

  async function renderDemand() {
    const s = state.demand;
    const months = h('select', {}, [1, 3, 6, 12].map((m) => h('option', { value: m, selected: Number(s.months) === m }, `${m} months`)));
    const days = h('input', { type: 'number', min: 1, value: s.days, placeholder: 'or days', style: 'width:7em' });
    const since = h('input', { type: 'date', value: s.since });
    const search = h('input', { type: 'search', value: s.search, placeholder: 'SKU or name' });
    const form = h('form', { class: 'sd-toolbar', onsubmit: (e) => {
      e.preventDefault();
      Object.assign(s, { months: months.value, days: days.value, since: since.value, search: search.value, page: 1 });
      render();
    } }, h('label', {}, 'Window', months), h('label', {}, 'Days', days), h('label', {}, 'Since', since),
    h('label', {}, 'Search', search), h('button', { class: 'btn btn-primary btn-sm', type: 'submit' }, 'Show'));
    const page = await api.get(`${base}/condensed?${qs({ page: s.page, size: 100, months: s.days || s.since ? '' : s.months, days: s.days, since: s.since, search: s.search })}`);
    return [form,
      h('p', { class: 'muted' }, `Since ${page.since}: ${fmt(page.total_qty)} units over ${fmt(page.total)} SKUs. Variants folded, aliases, excluded customers and groups, thresholds and non-counting statuses applied.`),
      table(h, [
        { label: 'SKU', value: (r) => r.sku },
        { label: 'Name', value: (r) => r.name },
        { label: 'Units', value: (r) => fmt(r.total_qty), cls: 'num' },
      ], page.items, { testid: 'sd-condensed', empty: 'No sales in this window' }),
      pager(h, page, { go: (n) => { s.page = n; render(); } })];
  }

  let charts = [];
  function dropCharts() { for (const chart of charts) chart.destroy(); charts = []; }

  async function renderCharts(drawn) {
    const data = await api.get(`${base}/charts?${qs({ months: state.demand.months, top: 15 })}`);
    const weeks = data.weeks.map((w) => ({ label: w.week.slice(5), value: w.qty }));
    const revenue = data.weeks.map((w) => ({ label: w.week.slice(5), value: w.revenue }));
    const [units, takings] = await Promise.all([
      barChart(weeks, { title: 'Units per week', charts: drawn }),
      barChart(revenue, { title: `Revenue per week in ${data.currency}`, format: (v) => money(v, data.currency), charts: drawn }),
    ]);
    return [h('div', { class: 'sd-grid', 'data-testid': 'sd-charts' },
      h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h3', {}, 'Units per week')), units),
      h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h3', {}, `Revenue per week (${data.currency})`)), takings),
      h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h3', {}, 'Top SKUs')),
        table(h, [
          { label: 'SKU', value: (r) => r.sku },
          { label: 'Units', value: (r) => fmt(r.qty), cls: 'num' },
          { label: `Revenue (${data.currency})`, value: (r) => money(r.revenue, data.currency), cls: 'num' },
        ], data.top_skus)))];
  }

  let seq = 0;
  async function render() {
    const mine = ++seq;
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.view === view));
    const drawn = [];
    try {
      const parts = await ({ lines: renderLines, demand: renderDemand, charts: renderCharts }[view])(drawn);
      if (mine === seq) {
        dropCharts();
        charts = drawn;
        body.replaceChildren(...parts);
      } else {
        for (const chart of drawn) chart.destroy();
      }
    } catch (err) {
      if (mine === seq) body.replaceChildren(h('div', { class: 'panel-error' }, err.message));
    }
  }
  await render();

  const room = ctx.tab.id;
  realtime.join(room).catch(() => {});
  const off = [
    realtime.on('salesdata.imported', (event) => {
      if (event?.region === region && !event.dry_run) { toast(`${fmt(event.imported)} new ${info.title} lines imported`); render(); }
    }),
    realtime.on('salesdata.filters', (event) => { if (view === 'demand' && (!event?.region || event.region === region)) render(); }),
  ];
  return () => { for (const o of off) o(); realtime.leave?.(room); dropCharts(); };
}
