// kiosk.js — the screen beside a reader: a big clock, each scan live (name, in/out, time,
// a sound) and the last scans. A keyboard-style card reader types into the hidden field.

import { API, beep, ensureStyles, loadConfig, localTime } from './common.js';

export async function mount(element, ctx) {
  ensureStyles();
  const { h } = ctx.ui;
  await loadConfig(ctx.api);
  const clock = h('div', { class: 'att-clock', 'data-testid': 'kiosk-clock' });
  const flash = h('div', { class: 'att-flash', role: 'status', 'aria-live': 'assertive', 'data-testid': 'kiosk-flash' }, 'Scan your card');
  const recent = h('ul', { class: 'att-recent', 'data-testid': 'kiosk-recent' });
  const card = h('input', { autocomplete: 'off', placeholder: 'Card', 'aria-label': 'Card', 'data-testid': 'kiosk-card', style: { opacity: '0.6' } });
  const form = h('form', {}, card);

  const tick = () => { clock.textContent = localTime(new Date().toISOString()); };
  tick();
  const timer = setInterval(tick, 1000);
  let reset = null;

  function show(event) {
    flash.className = `att-flash ${event.direction}`;
    flash.textContent = `${event.name} — ${event.direction === 'in' ? 'IN' : 'OUT'} at ${localTime(event.at)}${event.device ? ` · ${event.device}` : ''}`;
    beep(event.direction);
    clearTimeout(reset);
    reset = setTimeout(() => { flash.className = 'att-flash'; flash.textContent = 'Scan your card'; }, 6000);
    recent.prepend(line(event));
    while (recent.children.length > 10) recent.lastChild.remove();
  }
  const line = (e) => h('li', { class: 'panel', style: { padding: '.5rem 1rem' } },
    h('span', { class: e.direction === 'in' ? 'att-in' : 'att-out' }, e.direction.toUpperCase()), ' ', localTime(e.at), ' · ', e.name);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const uid = card.value.trim();
    card.value = '';
    if (!uid) return;
    try {
      const answer = await ctx.api.post(`${API}/clock`, { card_uid: uid, event_id: crypto.randomUUID?.() });
      if (answer.duplicate) { flash.textContent = `${answer.name}: already recorded`; }
    } catch (err) { flash.className = 'att-flash out'; flash.textContent = err.message; beep('error'); }
  });
  const refocus = () => card.focus();
  document.addEventListener('click', refocus);

  const last = await ctx.api.get(`${API}/kiosk/recent?limit=10`);
  recent.replaceChildren(...last.map(line));
  element.append(h('div', { class: 'att-kiosk', 'data-testid': 'attendance-kiosk' }, clock, flash, form, recent));
  await ctx.realtime.join('attendance.kiosk');
  ctx.realtime.on('attendance.clock', show);
  card.focus();
  return () => { clearInterval(timer); clearTimeout(reset); document.removeEventListener('click', refocus); };
}
