// overview.js — today's counts, who is in now, hours per day this week.

import { API, addDays, ensureStyles, loadConfig, localDate, localTime, qs } from './common.js';

export async function mount(element, ctx) {
  ensureStyles();
  const { h } = ctx.ui;
  await loadConfig(ctx.api);
  const cards = h('div', { class: 'att-cards', 'data-testid': 'att-stats' });
  const tbody = h('tbody');
  const chart = h('div', { class: 'att-chart', 'data-testid': 'att-week' });

  async function reload() {
    const [stats, status] = await Promise.all([
      ctx.api.get(`${API}/daily-stats`), ctx.api.get(`${API}/status?size=500`),
    ]);
    cards.replaceChildren(...[['Total', stats.total], ['In now', stats.checked_in], ['Gone home', stats.checked_out], ['Absent', stats.absent]]
      .map(([label, value]) => h('div', { class: 'panel att-card', 'data-testid': `stat-${label.toLowerCase().replace(' ', '-')}` }, h('strong', {}, String(value)), label)));
    const present = status.items.filter((s) => s.state !== 'absent');
    tbody.replaceChildren(...present.map((s) => h('tr', { 'data-testid': `status-${s.employee_code}` },
      h('td', {}, s.employee_code), h('td', {}, s.name), h('td', {}, s.location || '—'),
      h('td', { class: s.state === 'in' ? 'att-in' : 'att-out' }, s.state), h('td', {}, localTime(s.since, true)),
      h('td', {}, s.hours_today.toFixed(2)))));
    if (!present.length) tbody.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No one has clocked today')));
    if (ctx.hasTab('attendance.logs') || ctx.hasTab('attendance.overview')) await week();
  }

  async function week() {
    const today = localDate();
    const weekday = (new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7;
    const monday = addDays(today, -weekday);
    const totals = {};
    for (let i = 0; i < 7; i += 1) totals[addDays(monday, i)] = 0;
    let page = 1;
    for (;;) {
      const data = await ctx.api.get(`${API}/work-hours${qs({ from: monday, to: addDays(monday, 6), size: 500, page })}`);
      for (const row of data.items) totals[row.date] = (totals[row.date] || 0) + row.worked_hours;
      if (page * data.size >= data.total) break;
      page += 1;
    }
    const max = Math.max(1, ...Object.values(totals));
    chart.replaceChildren(...Object.entries(totals).map(([day, hours]) => h('div', { class: 'att-bar', title: `${hours.toFixed(1)} h` },
      h('span', {}, hours.toFixed(0)), h('div', { style: { height: `${(hours / max) * 80}%` } }),
      h('span', { class: 'muted' }, new Date(`${day}T12:00:00Z`).toLocaleDateString('en-GB', { weekday: 'short' })))));
  }

  element.append(h('div', { class: 'att-page', 'data-testid': 'attendance-overview' }, cards,
    h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Who is in')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'att-status' },
        h('thead', {}, h('tr', {}, ['Code', 'Name', 'Location', 'Now', 'Since', 'Hours today'].map((t) => h('th', {}, t)))), tbody))),
    h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, 'Hours worked this week')), chart)));
  await reload();
  await ctx.realtime.join('attendance.overview');
  let timer = null;
  const soon = () => { clearTimeout(timer); timer = setTimeout(reload, 300); };
  ctx.realtime.on('attendance.clock', soon);
  ctx.realtime.on('attendance.corrected', soon);
  const tick = setInterval(reload, 60_000);
  return () => { clearInterval(tick); clearTimeout(timer); };
}
