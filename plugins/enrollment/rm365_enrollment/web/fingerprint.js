// fingerprint.js — a hand of ten fingers: enrolled ones marked; click one to enrol it at a station.

import { API, ensureStyles, fingerLabel, personPicker, stationSelect } from './common.js';

export async function mount(element, ctx) {
  ensureStyles();
  const { h } = ctx.ui;
  const config = await ctx.api.get(`${API}/config`);
  let person = null;
  const title = h('h2', { 'data-testid': 'fp-person' }, 'Pick a person');
  const station = await stationSelect(ctx, 'fp-station');
  const status = h('div', { class: 'enr-status', role: 'status', 'data-testid': 'fp-status' });
  const hand = h('div', { class: 'enr-hand', 'data-testid': 'fp-hand' });

  function draw() {
    const enrolled = new Set((person?.fingerprints || []).map((f) => f.finger));
    hand.replaceChildren(...config.fingers.map((finger) => h('button', {
      type: 'button', class: `btn btn-secondary enr-finger${enrolled.has(finger) ? ' enrolled' : ''}`,
      'data-testid': `finger-${finger}`, 'aria-pressed': enrolled.has(finger) ? 'true' : 'false', disabled: !person,
      onclick: () => (enrolled.has(finger) ? remove(finger) : enrol(finger)),
    }, fingerLabel(finger), enrolled.has(finger) ? ' ✓' : '')));
  }
  function show(p) { person = p; title.textContent = `${p.employee_code} · ${p.name}`; draw(); }

  async function enrol(finger) {
    if (!station.value) return ctx.toast('No station to enrol at', 'error');
    status.textContent = `Press the ${fingerLabel(finger)} on the sensor, several times…`;
    try {
      show(await ctx.api.post(`${API}/employees/${person.id}/fingerprints/${finger}/scan`, { device_id: Number(station.value) }));
      status.textContent = `${fingerLabel(finger)} enrolled`;
    } catch (err) { status.textContent = err.message; }
  }
  async function remove(finger) {
    if (!await ctx.confirm({ title: `Remove the ${fingerLabel(finger)}?`, confirmText: 'Remove', danger: true })) return;
    show(await ctx.api.delete(`${API}/employees/${person.id}/fingerprints/${finger}`));
    status.textContent = `${fingerLabel(finger)} removed`;
  }
  const picker = personPicker(ctx, show);
  draw();
  await ctx.realtime.join('enrollment.fingerprint');
  ctx.realtime.on('enrollment.scan', (data) => {
    if (person && data.employee_id === person.id && data.state === 'failed') status.textContent = data.message;
  });
  element.append(h('div', { class: 'enr-two', 'data-testid': 'enrollment-fingerprint' },
    h('div', { class: 'panel' }, h('div', { class: 'panel-body' }, picker.element)),
    h('div', { class: 'panel' }, h('div', { class: 'panel-body enr-page' }, title, h('div', { class: 'enr-filters' }, 'Station', station), hand, status))));
}
