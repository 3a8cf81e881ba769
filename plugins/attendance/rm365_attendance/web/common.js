// common.js — shared bits of the attendance pages.

export const API = '/api/v1/attendance';

export function qs(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, v);
  const text = search.toString();
  return text ? `?${text}` : '';
}

let zone = 'Europe/London';
export async function loadConfig(api) {
  const config = await api.get(`${API}/config`);
  zone = config.timezone;
  return config;
}

/** A time in the site's zone ("14:05", or "Mon 3 Mar 14:05" with withDate). */
export function localTime(iso, withDate = false) {
  if (!iso) return '—';
  const options = { timeZone: zone, hour: '2-digit', minute: '2-digit' };
  if (withDate) Object.assign(options, { weekday: 'short', day: 'numeric', month: 'short' });
  return new Intl.DateTimeFormat('en-GB', options).format(new Date(iso));
}

/** Today's date in the site's zone, as YYYY-MM-DD. */
export function localDate(date = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

export function addDays(isoDate, days) {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Download a file from the API with the bearer token. */
export async function download(api, path, filename) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${api.accessToken}` } });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch { /* not JSON */ }
    throw new Error(detail);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function beep(direction) {
  try {
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    osc.frequency.value = direction === 'in' ? 880 : 523;
    osc.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  } catch { /* no audio */ }
}

export function ensureStyles() {
  if (document.getElementById('att-style')) return;
  const style = document.createElement('style');
  style.id = 'att-style';
  style.textContent = `
.att-page { display: grid; gap: 1rem; }
.att-cards { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); }
.att-card { padding: 1rem; text-align: center; }
.att-card strong { display: block; font-size: 2rem; }
.att-filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.att-filters > input, .att-filters > select { width: auto; flex: 0 1 14rem; }
.att-chart { display: flex; align-items: flex-end; gap: .75rem; height: 180px; padding: 1rem; }
.att-bar { flex: 1; display: flex; flex-direction: column; justify-content: flex-end; align-items: center; height: 100%; }
.att-bar div { width: 100%; background: var(--primary); border-radius: 4px 4px 0 0; min-height: 2px; }
.att-in { color: var(--success, #16a34a); font-weight: 600; }
.att-out { color: var(--danger, #dc2626); font-weight: 600; }
.att-kiosk { display: grid; gap: 1.5rem; text-align: center; }
.att-clock { font-size: clamp(3rem, 12vw, 8rem); font-variant-numeric: tabular-nums; font-weight: 700; }
.att-flash { font-size: clamp(1.5rem, 5vw, 3rem); min-height: 4rem; padding: 1rem; border-radius: 12px; }
.att-flash.in { background: color-mix(in srgb, var(--success, #16a34a) 20%, transparent); }
.att-flash.out { background: color-mix(in srgb, var(--danger, #dc2626) 20%, transparent); }
.att-recent { list-style: none; padding: 0; margin: 0 auto; max-width: 40rem; display: grid; gap: .25rem; text-align: left; }
@media print { .sidebar, .att-filters, .page-actions, nav { display: none !important; } }
`;
  document.head.append(style);
}
