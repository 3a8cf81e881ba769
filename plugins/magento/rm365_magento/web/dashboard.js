// dashboard.js — every open session with owner, progress and age, kept live over the realtime
// hub (no polling); a session's detail with its audit log; supervisor actions behind a
// confirmation for holders of magento.dashboard.admin.

import { API, age, ensureStyles, progressBar } from './common.js';

export async function mount(element, ctx) {
  const { api, realtime, toast, ui, hasTab } = ctx;
  await ensureStyles(ctx);
  const { h } = ui;
  const supervisor = hasTab('magento.dashboard.admin');
  const sessions = new Map(); // id -> session (open ones)
  let selected = null;

  const filter = h('select', { 'data-testid': 'mg-dash-filter' },
    h('option', { value: 'open' }, 'Open'), h('option', { value: 'completed' }, 'Completed'),
    h('option', { value: 'cancelled' }, 'Cancelled'), h('option', { value: '' }, 'All'));
  const table = h('div', { 'data-testid': 'mg-dash-table' });
  const detail = h('div', { class: 'panel mg-card', hidden: true, 'data-testid': 'mg-dash-detail' });
  element.append(h('div', { class: 'mg-page', 'data-testid': 'magento-dashboard' },
    h('div', { class: 'panel mg-card' }, h('div', { class: 'mg-start' }, h('h2', { style: 'flex:1' }, 'Sessions'), h('label', {}, 'Show', filter)), table),
    detail));

  const wanted = (s) => !filter.value || (filter.value === 'open' ? ['draft', 'active'].includes(s.status) : s.status === filter.value);

  function drawTable() {
    const rows = [...sessions.values()].filter(wanted).sort((a, b) => b.id - a.id);
    table.replaceChildren(rows.length ? h('table', { class: 'mg-lines' },
      h('thead', {}, h('tr', {}, ['#', 'Type', 'Order', 'Owner', 'Status', 'Progress', 'Age'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows.map((s) => h('tr', { 'data-testid': 'mg-dash-row', 'data-id': String(s.id), style: 'cursor:pointer', onclick: () => select(s.id) },
        h('td', {}, String(s.id)), h('td', {}, s.type), h('td', {}, s.order_number), h('td', { 'data-testid': 'mg-dash-owner' }, s.owner || '—'),
        h('td', {}, s.status), h('td', { 'data-testid': 'mg-dash-progress' }, progressBar(h, s.progress)), h('td', {}, age(s.created_at)))))) :
      h('p', { class: 'mg-muted' }, 'No sessions.'));
  }

  async function load() {
    sessions.clear();
    const page = await api.get(`${API}/sessions?size=200${filter.value ? `&status=${filter.value}` : ''}`);
    for (const s of page.items) sessions.set(s.id, s);
    drawTable();
  }

  async function select(id) {
    selected = await api.get(`${API}/sessions/${id}`);
    drawDetail();
  }

  function drawDetail() {
    const s = selected;
    detail.hidden = !s;
    if (!s) return;
    const open = ['draft', 'active'].includes(s.status);
    const actions = supervisor && open ? h('div', { class: 'mg-actions', 'data-testid': 'mg-dash-actions' },
      button('Take over', 'take-over', `Take over session #${s.id} from ${s.owner || 'nobody'}?`),
      button('Assign…', 'assign', null),
      button(s.allow_overscan ? 'Refuse over-scans' : 'Allow over-scans', 'overscan', `${s.allow_overscan ? 'Refuse' : 'Allow'} over-scans in session #${s.id}?`),
      button('Force complete…', 'force-complete', null),
      button('Force cancel', 'force-cancel', `Cancel session #${s.id} and put back every unit it moved?`, true)) : '';
    detail.replaceChildren(
      h('h2', {}, `#${s.id} · ${s.type} · order ${s.order_number}`),
      h('p', {}, `Invoice ${s.invoice_number} · owner ${s.owner || '—'} · ${s.status} · `, progressBar(h, s.progress)),
      h('table', { class: 'mg-lines' }, h('tbody', {}, s.lines.map((l) => h('tr', { class: l.done ? 'done' : '' },
        h('td', {}, l.sku), h('td', {}, l.name), h('td', { class: 'num' }, `${l.qty_scanned} / ${l.qty_expected}`))))),
      actions,
      h('h3', {}, 'Audit log'),
      h('ul', { class: 'mg-audit', 'data-testid': 'mg-dash-audit' }, s.audit.map((a) => h('li', {},
        `${new Date(a.created_at).toLocaleString()} · ${a.username} · ${a.action}`,
        Object.keys(a.detail).length ? ` · ${Object.entries(a.detail).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ')}` : ''))),
    );
  }

  function button(label, path, question, danger = false) {
    return h('button', { class: `btn ${danger ? 'btn-danger' : 'btn-secondary'}`, 'data-testid': `mg-dash-${path}`, onclick: () => supervise(path, question, danger) }, label);
  }

  async function supervise(path, question, danger) {
    let body;
    if (path === 'assign' || path === 'force-complete') {
      const name = path === 'assign' ? 'username' : 'reason';
      const input = ui.h('input', { required: true, maxlength: path === 'assign' ? 150 : 500, 'data-testid': `mg-dash-${name}` });
      const done = await ui.formDialog({
        title: path === 'assign' ? `Assign session #${selected.id} to` : `Force the completion of #${selected.id}`,
        body: ui.field(path === 'assign' ? 'User name' : 'Reason', input),
        submitText: path === 'assign' ? 'Assign' : 'Complete',
        danger: path === 'force-complete',
        onSubmit: () => true,
      });
      if (!done || !input.value.trim()) return;
      body = { [name]: input.value.trim() };
    } else {
      if (!(await ctx.confirm({ title: question, danger }))) return;
      if (path === 'overscan') body = { allow: !selected.allow_overscan };
    }
    try {
      selected = await api.post(`${API}/sessions/${selected.id}/${path}`, body);
      drawDetail();
      toast('Done', 'success');
    } catch (err) {
      toast(err.message, 'error');
    }
  }

  filter.addEventListener('change', () => load().catch((err) => toast(err.message, 'error')));
  realtime.on('magento.session', (event) => {
    const s = event.session;
    const known = sessions.get(s.id);
    if (known && known.version > s.version) return;
    sessions.set(s.id, s);
    drawTable();
    if (selected?.id === s.id) select(s.id).catch(() => {});
  });
  await realtime.join('magento.dashboard');
  await load();
  const timer = setInterval(drawTable, 30000); // ages tick on; the data itself arrives live
  return () => clearInterval(timer);
}
