// common.js — shared by the inventory pages: the API base, config, styles, sounds, formatting.

export const API = '/api/v1/inventory';

/** Loads the plugin stylesheet once, through the shell's loader. */
export function ensureStyles(ctx) {
  return ctx.ui.loadCss(new URL('./inventory.css', import.meta.url).href).catch(() => {});
}

/** The plugin configuration: locations, statuses, reasons, whether demand is available. */
export function loadConfig(api) {
  return api.get(`${API}/config`);
}

/** Path segment for a SKU. */
export function skuPath(sku) {
  return `${API}/items/${encodeURIComponent(sku)}`;
}

const numberFormat = new Intl.NumberFormat();
export const fmt = (n) => (n == null ? '' : numberFormat.format(n));

/** "12:04" today, "3 Jan 12:04" otherwise. */
export function shortTime(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export function signed(n) {
  return n > 0 ? `+${fmt(n)}` : fmt(n);
}

export const STOCK_STATUS_LABELS = { out: 'Out of stock', in_stock: 'In stock', low: 'Low', normal: 'Normal', over: 'Over' };
/** The shell's badge colour for each stock status. */
export const STOCK_STATUS_BADGES = { out: 'badge-danger', low: 'badge-danger', over: 'badge-warning', normal: 'badge-success', in_stock: 'badge-success' };

/* ---------------------------------------------------------------- sounds */

let audio = null;

/** A short beep: 'ok' is a high blip, 'error' a low double buzz (scanners are used by ear). */
export function beep(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
    const tones = kind === 'ok' ? [[1046, 0, 0.09]] : [[196, 0, 0.16], [196, 0.22, 0.16]];
    for (const [freq, start, length] of tones) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = kind === 'ok' ? 'sine' : 'square';
      osc.frequency.value = freq;
      const t = audio.currentTime + start;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + length + 0.02);
    }
  } catch {
    /* no audio: the screen still says what happened */
  }
}

/** A preference kept in localStorage (per browser), e.g. chosen columns. */
export function pref(key, fallback) {
  try {
    const raw = localStorage.getItem(`rm365.inventory.${key}`);
    return raw == null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function setPref(key, value) {
  try {
    localStorage.setItem(`rm365.inventory.${key}`, JSON.stringify(value));
  } catch {
    /* storage disabled */
  }
}

/** Calls fn at most once per `ms`, with the last arguments. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/**
 * The newest state of each item seen in live events. An HTTP answer read before a change
 * can arrive after that change's event (they travel on different connections): passed
 * through `fresher`, it cannot put older stock back on screen.
 */
export function newestItems(limit = 2000) {
  const seen = new Map(); // sku -> {version, stock, total} or {version, item}
  return {
    /** Records `inventory.changed` ({stock, total}) or a full item from `inventory.item`. */
    note(sku, version, state) {
      if (!sku || typeof version !== 'number' || (seen.get(sku)?.version ?? -1) > version) return;
      if (seen.size >= limit) seen.clear();
      seen.set(sku, { ...state, version });
    },
    /** `item`, or a newer version of it put together from what the events said. */
    fresher(item) {
      const newer = item && seen.get(item.sku);
      if (!newer || newer.version <= (item.version ?? 0)) return item;
      if (newer.item) return newer.item;
      return { ...item, stock: { ...item.stock, ...newer.stock }, total: newer.total, version: newer.version };
    },
  };
}

/** A unique id for an adjustment, so a retried request is applied once. */
export function newClientId() {
  if (crypto.randomUUID) return `ui-${crypto.randomUUID()}`;
  return `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** A modal showing an item's movement history. */
export async function showHistory(ctx, sku) {
  const { h, icon } = ctx.ui;
  const body = h('div', { class: 'inv-history-body' }, h('div', { class: 'loading' }, h('span', { class: 'spinner' }), 'Loading…'));
  const close = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'history-close' }, 'Close');
  const dialog = h(
    'dialog',
    { class: 'dialog dialog-wide inv-dialog', 'data-testid': 'history-dialog', 'aria-label': `History of ${sku}` },
    h('div', { class: 'dialog-head' }, icon('clock'), h('h2', {}, `History of ${sku}`)),
    body,
    h('div', { class: 'dialog-actions' }, close),
  );
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove(), { once: true });
  document.body.append(dialog);
  dialog.showModal();
  try {
    const [data, config] = await Promise.all([ctx.api.get(`${skuPath(sku)}/history?size=100`), loadConfig(ctx.api)]);
    const labels = Object.fromEntries(config.locations.map((l) => [l.id, l.label]));
    body.replaceChildren(movementTable(ctx, data.items, { showSku: false, labels }));
    if (data.total > data.items.length) {
      body.append(h('p', { class: 'inv-muted' }, `Showing the latest ${data.items.length} of ${fmt(data.total)} movements.`));
    }
  } catch (err) {
    body.replaceChildren(h('p', { class: 'inv-error' }, err.message));
  }
}

/** A table of movements (newest first). */
export function movementTable(ctx, movements, { showSku = true, onSku, labels = {} } = {}) {
  const { h } = ctx.ui;
  if (!movements.length) return h('p', { class: 'inv-muted', 'data-testid': 'no-movements' }, 'No movements yet.');
  return h('div', { class: 'inv-scroll' }, h(
    'table',
    { class: 'inv-table inv-moves', 'data-testid': 'movements' },
    h('thead', {}, h('tr', {}, h('th', {}, 'When'), showSku ? h('th', {}, 'SKU') : null, h('th', {}, 'Location'), h('th', { class: 'num' }, 'Change'), h('th', { class: 'num' }, 'After'), h('th', {}, 'Reason'), h('th', {}, 'Who'), h('th', {}, 'Source'))),
    h(
      'tbody',
      {},
      movements.map((m) =>
        h(
          'tr',
          { 'data-movement': m.id },
          h('td', { title: new Date(m.created_at).toLocaleString() }, shortTime(m.created_at)),
          showSku
            ? h('td', {}, onSku ? h('button', { type: 'button', class: 'inv-link', onclick: () => onSku(m.sku) }, m.sku) : m.sku)
            : null,
          h('td', { title: m.location }, labels[m.location] || m.location),
          h('td', { class: `num ${m.delta < 0 ? 'inv-neg' : 'inv-pos'}` }, signed(m.delta)),
          h('td', { class: 'num' }, fmt(m.quantity_after)),
          h('td', {}, m.reason, m.note ? h('span', { class: 'inv-muted' }, ` · ${m.note}`) : null),
          h('td', {}, m.by),
          h('td', {}, m.source),
        ),
      ),
    ),
  ));
}
