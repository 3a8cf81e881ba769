// common.js — shared bits of the enrollment pages: the API base, a person picker, stations.

export const API = '/api/v1/enrollment';

export function qs(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, v);
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function fingerLabel(finger) {
  return finger.replace('_', ' ');
}

/** A search box with a result list; calls onPick(person). Returns {element, reload()}. */
export function personPicker(ctx, onPick) {
  const { h } = ctx.ui;
  const input = h('input', { type: 'search', placeholder: 'Search name or code', 'data-testid': 'person-search', 'aria-label': 'Search people' });
  const list = h('ul', { class: 'enr-list', 'data-testid': 'person-results' });
  let timer = null;
  let selected = null;
  async function reload() {
    const page = await ctx.api.get(`${API}/employees${qs({ q: input.value.trim(), status: 'active', size: 20 })}`);
    list.replaceChildren(...page.items.map((p) => h('li', {},
      h('button', {
        type: 'button', class: `btn btn-secondary btn-sm enr-pick${selected === p.id ? ' active' : ''}`,
        'data-testid': `pick-${p.employee_code}`,
        onclick: () => { selected = p.id; onPick(p); reload(); },
      }, `${p.employee_code} · ${p.name}`))));
    if (!page.items.length) list.append(h('li', { class: 'muted' }, 'No one found'));
  }
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(reload, 200); });
  reload();
  return { element: h('div', { class: 'enr-picker' }, input, list), reload };
}

/** A select of paired stations (online first); empty when the site has none. */
export async function stationSelect(ctx, testid) {
  const { h } = ctx.ui;
  const stations = await ctx.api.get(`${API}/stations`);
  const select = h('select', { 'data-testid': testid, 'aria-label': 'Station' },
    stations.length ? stations.map((s) => h('option', { value: s.id }, `${s.name}${s.online ? '' : ' (offline)'}`))
      : h('option', { value: '' }, 'No paired station'));
  return select;
}

export const STYLE = `
.enr-page { display: grid; gap: 1rem; }
.enr-two { display: grid; gap: 1rem; grid-template-columns: minmax(240px, 1fr) 2fr; }
@media (max-width: 800px) { .enr-two { grid-template-columns: 1fr; } }
.enr-list { list-style: none; padding: 0; margin: .5rem 0 0; display: grid; gap: .25rem; max-height: 50vh; overflow: auto; }
.enr-pick { width: 100%; text-align: left; }
.enr-pick.active { outline: 2px solid var(--primary); }
.enr-filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.enr-filters > input, .enr-filters > select { width: auto; flex: 0 1 16rem; }
.enr-hand { display: grid; grid-template-columns: repeat(5, 1fr); gap: .5rem; }
.enr-finger { min-height: 4rem; }
.enr-finger.enrolled { background: var(--success, #16a34a); color: #fff; }
.enr-status { min-height: 1.5rem; }
.muted { color: var(--muted, #6b7280); }
`;

export function ensureStyles() {
  if (document.getElementById('enr-style')) return;
  const style = document.createElement('style');
  style.id = 'enr-style';
  style.textContent = STYLE;
  document.head.append(style);
}
