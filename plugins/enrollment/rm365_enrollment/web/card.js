// card.js — give a person a card: pick them, then scan it at a station or type the UID.

import { API, ensureStyles, personPicker, stationSelect } from './common.js';

export async function mount(element, ctx) {
  ensureStyles();
  const { h } = ctx.ui;
  let person = null;
  const title = h('h2', { 'data-testid': 'card-person' }, 'Pick a person');
  const current = h('p', { 'data-testid': 'card-current', class: 'muted' });
  const uid = h('input', { placeholder: 'Card UID, e.g. 04:A1:B2:C3', 'data-testid': 'card-uid', 'aria-label': 'Card UID', maxlength: 100 });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'card-save' }, 'Save card');
  const remove = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'card-remove' }, 'Remove card');
  const station = await stationSelect(ctx, 'card-station');
  const scan = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'card-scan' }, 'Scan at station');
  const status = h('div', { class: 'enr-status', role: 'status', 'data-testid': 'card-status' });
  const form = h('form', { class: 'enr-filters' }, uid, save, remove);
  const detail = h('div', { class: 'panel' }, h('div', { class: 'panel-body enr-page' }, title, current, form,
    h('div', { class: 'enr-filters' }, station, scan), status));

  function show(p) {
    person = p;
    title.textContent = `${p.employee_code} · ${p.name}`;
    current.textContent = p.card_uid ? `Card ${p.card_uid}` : 'No card yet';
  }
  const picker = personPicker(ctx, show);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!person) return ctx.toast('Pick a person first', 'error');
    try {
      show(await ctx.api.put(`${API}/employees/${person.id}/card`, { uid: uid.value }));
      uid.value = '';
      status.textContent = `Card ${person.card_uid} saved`;
      ctx.toast('Card saved', 'success');
    } catch (err) { status.textContent = err.message; ctx.toast(err.message, 'error'); }
  });
  remove.addEventListener('click', async () => {
    if (!person) return;
    show(await ctx.api.delete(`${API}/employees/${person.id}/card`));
    status.textContent = 'Card removed';
  });
  scan.addEventListener('click', async () => {
    if (!person) return ctx.toast('Pick a person first', 'error');
    if (!station.value) return ctx.toast('No station to scan at', 'error');
    scan.disabled = true;
    status.textContent = 'Hold the card to the reader…';
    try {
      show(await ctx.api.post(`${API}/employees/${person.id}/card/scan`, { device_id: Number(station.value) }));
      status.textContent = `Card ${person.card_uid} saved`;
    } catch (err) { status.textContent = err.message; } finally { scan.disabled = false; }
  });
  await ctx.realtime.join('enrollment.card');
  ctx.realtime.on('enrollment.scan', (data) => {
    if (!person || data.employee_id !== person.id) return;
    if (data.state === 'waiting') status.textContent = 'Waiting for a card at the station…';
    if (data.state === 'failed') status.textContent = data.message;
  });
  element.append(h('div', { class: 'enr-two', 'data-testid': 'enrollment-card' }, h('div', { class: 'panel' }, h('div', { class: 'panel-body' }, picker.element)), detail));
}
