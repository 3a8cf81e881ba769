// manual.js — clock someone in or out by hand; correct events (add, edit, delete) with a reason.

import { API, ensureStyles, loadConfig, localDate, localTime, qs } from './common.js';

export async function mount(element, ctx) {
  ensureStyles();
  const { h } = ctx.ui;
  await loadConfig(ctx.api);
  let person = null;
  const search = h('input', { type: 'search', placeholder: 'Search name or code', 'data-testid': 'manual-search', 'aria-label': 'Search people' });
  const results = h('div', { class: 'att-filters', 'data-testid': 'manual-results' });
  const chosen = h('h2', { 'data-testid': 'manual-person' }, 'Pick a person');
  const clockBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'manual-clock', disabled: true }, 'Clock in / out now');
  const answer = h('p', { role: 'status', 'data-testid': 'manual-answer' });
  const events = h('tbody');
  const audit = h('tbody');

  async function find() {
    let page;
    try { page = await ctx.api.get(`${API}/people${qs({ q: search.value.trim(), limit: 12 })}`); } catch (err) { results.replaceChildren(err.message); return; }
    results.replaceChildren(...page.map((p) => h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `manual-pick-${p.employee_code}`, onclick: () => pick(p) }, `${p.employee_code} · ${p.name}`)));
  }
  async function pick(p) {
    person = p;
    chosen.textContent = `${p.employee_code} · ${p.name}`;
    clockBtn.disabled = false;
    await loadEvents();
  }
  async function loadEvents() {
    if (!person) return;
    const data = await ctx.api.get(`${API}/logs${qs({ employee_id: person.id, size: 20 })}`);
    events.replaceChildren(...data.items.map((r) => h('tr', { 'data-testid': `event-${r.id}` },
      h('td', {}, localTime(r.at, true)), h('td', { class: r.direction === 'in' ? 'att-in' : 'att-out' }, r.direction), h('td', {}, r.source),
      h('td', {}, h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `edit-event-${r.id}`, onclick: () => edit(r) }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': `delete-event-${r.id}`, onclick: () => remove(r) }, 'Delete')))));
    const corrections = await ctx.api.get(`${API}/corrections${qs({ employee_id: person.id, size: 20 })}`);
    audit.replaceChildren(...corrections.items.map((c) => h('tr', {},
      h('td', {}, localTime(c.at, true)), h('td', {}, c.action), h('td', {}, c.reason), h('td', {}, c.by),
      h('td', {}, c.before ? `${c.before.direction} ${localTime(c.before.at, true)}` : '—'),
      h('td', {}, c.after ? `${c.after.direction} ${localTime(c.after.at, true)}` : '—'))));
  }
  const toIso = (local) => new Date(local).toISOString();  // the browser's zone is the site's at the desk
  function eventForm(r = {}) {
    const at = h('input', { type: 'datetime-local', required: true, 'data-testid': 'corr-at', value: r.at ? new Date(new Date(r.at) - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : `${localDate()}T09:00` });
    const direction = h('select', { 'data-testid': 'corr-direction' }, ['in', 'out'].map((d) => h('option', { value: d, selected: d === r.direction }, d)));
    const reason = h('input', { required: true, maxlength: 500, placeholder: 'Why (required)', 'data-testid': 'corr-reason' });
    return { fields: [ctx.ui.field('When', at), ctx.ui.field('Direction', direction), ctx.ui.field('Reason', reason)],
      read: () => ({ at: toIso(at.value), direction: direction.value, reason: reason.value.trim() }) };
  }
  async function add() {
    if (!person) return ctx.toast('Pick a person first', 'error');
    const form = eventForm();
    const done = await ctx.ui.formDialog({ title: `Add an event for ${person.name}`, body: form.fields, testid: 'corr-dialog',
      onSubmit: () => ctx.api.post(`${API}/events`, { employee_id: person.id, ...form.read() }) });
    if (done) { ctx.toast('Event added', 'success'); loadEvents(); }
  }
  async function edit(r) {
    const form = eventForm(r);
    const done = await ctx.ui.formDialog({ title: 'Correct an event', body: form.fields, testid: 'corr-dialog',
      onSubmit: () => ctx.api.patch(`${API}/events/${r.id}`, form.read()) });
    if (done) { ctx.toast('Corrected', 'success'); loadEvents(); }
  }
  async function remove(r) {
    const reason = h('input', { required: true, maxlength: 500, placeholder: 'Why (required)', 'data-testid': 'corr-reason' });
    const done = await ctx.ui.formDialog({ title: `Delete the ${r.direction} at ${localTime(r.at, true)}?`, body: [ctx.ui.field('Reason', reason)], danger: true, submitText: 'Delete', testid: 'corr-dialog',
      onSubmit: () => ctx.api.delete(`${API}/events/${r.id}${qs({ reason: reason.value.trim() })}`) });
    if (done) { ctx.toast('Deleted', 'success'); loadEvents(); }
  }
  clockBtn.addEventListener('click', async () => {
    try {
      const a = await ctx.api.post(`${API}/clock`, { employee_id: person.id, event_id: crypto.randomUUID?.() });
      answer.textContent = a.duplicate ? `${a.name}: already recorded (${a.direction})` : `${a.name} clocked ${a.direction.toUpperCase()} at ${localTime(a.at)}`;
      answer.className = a.direction === 'in' ? 'att-in' : 'att-out';
      loadEvents();
    } catch (err) { answer.textContent = err.message; }
  });
  let timer = null;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(find, 200); });
  const addBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'corr-add', onclick: add }, 'Add a missing event');
  element.append(h('div', { class: 'att-page', 'data-testid': 'attendance-manual' },
    h('div', { class: 'panel' }, h('div', { class: 'panel-body att-page' }, search, results)),
    h('div', { class: 'panel' }, h('div', { class: 'panel-body att-page' }, chosen, h('div', { class: 'att-filters' }, clockBtn, addBtn), answer)),
    h('div', { class: 'panel table-wrap' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Recent events')),
      h('table', { class: 'table', 'data-testid': 'manual-events' }, h('thead', {}, h('tr', {}, ['When', 'Direction', 'Source', ''].map((t) => h('th', {}, t)))), events)),
    h('div', { class: 'panel table-wrap' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Corrections')),
      h('table', { class: 'table', 'data-testid': 'manual-audit' }, h('thead', {}, h('tr', {}, ['When', 'Action', 'Reason', 'By', 'Before', 'After'].map((t) => h('th', {}, t)))), audit))));
  await find();
  await ctx.realtime.join('attendance.manual');
  ctx.realtime.on('attendance.corrected', () => loadEvents());
}
