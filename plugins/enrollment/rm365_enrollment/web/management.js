// management.js — the people table: search, filters, create / edit / deactivate, purge (admin).

import { API, ensureStyles, qs } from './common.js';

export async function mount(element, ctx) {
  ensureStyles();
  const { h } = ctx.ui;
  const config = await ctx.api.get(`${API}/config`);
  const search = h('input', { type: 'search', placeholder: 'Search name or code', 'data-testid': 'emp-search', 'aria-label': 'Search' });
  const location = h('select', { 'data-testid': 'emp-location', 'aria-label': 'Location' });
  const status = h('select', { 'data-testid': 'emp-status', 'aria-label': 'Status' },
    h('option', { value: '' }, 'Any status'), config.statuses.map((s) => h('option', { value: s, selected: s === 'active' }, s)));
  const tbody = h('tbody');
  const summary = h('span', { class: 'muted', 'data-testid': 'emp-total' });
  const add = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'emp-new' }, 'New person');
  ctx.actions?.append(add);
  let page = 1;
  const pager = h('div', { class: 'toolbar' });

  async function loadLocations() {
    const locations = await ctx.api.get(`${API}/locations`);
    const current = location.value;
    location.replaceChildren(h('option', { value: '' }, 'Any location'), ...locations.map((l) => h('option', { value: l, selected: l === current }, l)));
  }

  async function reload() {
    const data = await ctx.api.get(`${API}/employees${qs({ q: search.value.trim(), location: location.value, status: status.value, page, size: 50 })}`);
    summary.textContent = `${data.total} ${data.total === 1 ? 'person' : 'people'}`;
    tbody.replaceChildren(...data.items.map(row));
    if (!data.items.length) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No one matches')));
    const pages = Math.max(1, Math.ceil(data.total / data.size));
    pager.replaceChildren(
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', disabled: page <= 1, onclick: () => { page -= 1; reload(); } }, 'Previous'),
      h('span', { class: 'muted' }, `Page ${page} of ${pages}`),
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', disabled: page >= pages, onclick: () => { page += 1; reload(); } }, 'Next'),
    );
  }

  function row(p) {
    const actions = h('td', {},
      h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `edit-${p.employee_code}`, onclick: () => edit(p) }, 'Edit'),
      p.status === 'active'
        ? h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `deactivate-${p.employee_code}`, onclick: () => deactivate(p) }, 'Deactivate')
        : null,
      ctx.user?.role === 'admin'
        ? h('button', { type: 'button', class: 'btn btn-danger btn-sm', 'data-testid': `purge-${p.employee_code}`, onclick: () => purge(p) }, 'Purge')
        : null);
    return h('tr', { 'data-testid': `emp-row-${p.employee_code}` },
      h('td', {}, p.employee_code), h('td', {}, p.name), h('td', {}, p.kind), h('td', {}, p.location || '—'),
      h('td', {}, h('span', { class: `badge ${p.status === 'active' ? 'badge-success' : ''}` }, p.status)),
      h('td', {}, p.card_uid || '—'),
      h('td', { title: p.fingerprints.map((f) => f.finger).join(', ') }, p.fingerprints.length ? `${p.fingerprints.length} finger(s)` : '—'),
      actions);
  }

  function personForm(p = {}) {
    const name = h('input', { name: 'name', required: true, maxlength: 120, value: p.name || '', 'data-testid': 'form-name' });
    const kind = h('select', { name: 'kind', 'data-testid': 'form-kind' }, config.kinds.map((k) => h('option', { value: k, selected: k === (p.kind || 'employee') }, k)));
    const loc = h('input', { name: 'location', maxlength: 80, value: p.location || '', 'data-testid': 'form-location', list: 'enr-locations' });
    const fields = [ctx.ui.field('Name', name), ctx.ui.field('Kind', kind), ctx.ui.field('Location', loc)];
    let card = null;
    let st = null;
    if (!p.id) {
      card = h('input', { name: 'card_uid', maxlength: 100, placeholder: 'optional', 'data-testid': 'form-card' });
      fields.push(ctx.ui.field('Card UID', card));
    } else {
      st = h('select', { name: 'status', 'data-testid': 'form-status' }, config.statuses.map((s) => h('option', { value: s, selected: s === p.status }, s)));
      fields.push(ctx.ui.field('Status', st));
    }
    const body = { name: () => name.value.trim(), kind: () => kind.value, location: () => loc.value.trim() };
    return { fields, read: () => {
      const out = Object.fromEntries(Object.entries(body).map(([k, f]) => [k, f()]));
      if (card && card.value.trim()) out.card_uid = card.value.trim();
      if (st) out.status = st.value;
      return out;
    } };
  }

  async function create() {
    const form = personForm();
    const created = await ctx.ui.formDialog({ title: 'New person', body: form.fields, submitText: 'Create', testid: 'emp-dialog',
      onSubmit: () => ctx.api.post(`${API}/employees`, form.read()) });
    if (created) { ctx.toast(`${created.name} is ${created.employee_code}`, 'success'); await loadLocations(); reload(); }
  }

  async function edit(p) {
    const form = personForm(p);
    const saved = await ctx.ui.formDialog({ title: `Edit ${p.employee_code}`, body: form.fields, testid: 'emp-dialog',
      onSubmit: () => ctx.api.patch(`${API}/employees/${p.id}`, form.read()) });
    if (saved) { ctx.toast('Saved', 'success'); reload(); }
  }

  async function deactivate(p) {
    if (!await ctx.confirm({ title: `Deactivate ${p.name}?`, message: 'Their card is released; their attendance history is kept.', confirmText: 'Deactivate' })) return;
    try { await ctx.api.delete(`${API}/employees/${p.id}`); ctx.toast(`${p.name} deactivated`, 'success'); reload(); } catch (err) { ctx.toast(err.message, 'error'); }
  }

  async function purge(p) {
    if (!await ctx.confirm({ title: `Erase ${p.name} for good?`, message: 'The person, their card, fingerprints and all attendance history are erased. This cannot be undone; it is logged.', confirmText: 'Erase everything', danger: true })) return;
    try { await ctx.api.delete(`${API}/employees/${p.id}?purge=true`); ctx.toast(`${p.employee_code} erased`, 'success'); reload(); } catch (err) { ctx.toast(err.message, 'error'); }
  }

  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { page = 1; reload(); }, 200); });
  location.addEventListener('change', () => { page = 1; reload(); });
  status.addEventListener('change', () => { page = 1; reload(); });
  add.addEventListener('click', create);
  element.append(h('div', { class: 'enr-page', 'data-testid': 'enrollment-management' },
    h('div', { class: 'panel' }, h('div', { class: 'panel-body enr-filters' }, search, location, status, summary)),
    h('div', { class: 'panel table-wrap' }, h('table', { class: 'table', 'data-testid': 'emp-table' },
      h('thead', {}, h('tr', {}, ['Code', 'Name', 'Kind', 'Location', 'Status', 'Card', 'Fingers', ''].map((t) => h('th', {}, t)))), tbody)),
    pager));
  await loadLocations();
  await reload();
  await ctx.realtime.join('enrollment.management');
  ctx.realtime.on('enrollment.changed', () => reload());
}
