// adjustments.js — scanner-first stock adjustments: focus stays in the code field, the reason
// sets the sign, a sound says how it went; with today's summary, recent movements and item history.

import {
  API, beep, debounce, ensureStyles, fmt, loadConfig, movementTable, newClientId, newestItems, pref, setPref, signed, skuPath,
} from './common.js';

const ROOM = 'inventory.adjustments';

export async function mount(element, ctx) {
  const { api, realtime, toast, ui } = ctx;
  await ensureStyles(ctx);
  const { h, icon } = ui;
  const config = await loadConfig(api);
  const locationLabel = Object.fromEntries(config.locations.map((l) => [l.id, l.label]));

  /* ------------------------------------------------------------ the form */
  const code = h('input', {
    class: 'inv-code', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', enterkeyhint: 'go',
    placeholder: 'Scan or type a SKU or barcode', 'aria-label': 'Code', 'data-testid': 'adj-code',
  });
  const quantity = h('input', { type: 'number', min: 1, step: 1, value: '1', inputmode: 'numeric', 'data-testid': 'adj-quantity' });
  const reason = h(
    'select', { 'data-testid': 'adj-reason' },
    config.reasons.map((r) => h('option', { value: r.name, selected: r.name === pref('reason', config.reasons[0].name) }, `${r.sign === 'out' ? '−' : r.sign === 'in' ? '+' : '±'} ${r.name}`)),
  );
  const location = h(
    'select', { 'data-testid': 'adj-location' },
    h('option', { value: 'auto' }, 'Automatic (in order)'),
    config.locations.map((l) => h('option', { value: l.id, selected: l.id === pref('location', 'auto') }, l.label)),
  );
  const submitOnScan = h('input', { type: 'checkbox', checked: pref('submitOnScan', true), 'data-testid': 'adj-submit-on-scan' });
  const sound = h('input', { type: 'checkbox', checked: pref('sound', true) });
  const sign = h('div', { class: 'inv-sign', 'data-testid': 'adj-sign', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'adj-submit' }, 'Adjust');
  const result = h('div', { class: 'inv-result', 'data-testid': 'adj-result', role: 'status', hidden: true });
  const form = h(
    'form', { class: 'inv-scan-form', 'data-testid': 'adj-form', autocomplete: 'off' },
    h('label', {}, 'Code', code),
    h('div', { class: 'inv-row' }, h('label', {}, 'Quantity', quantity), h('label', {}, 'Reason', reason)),
    h('label', {}, 'Location', location),
    sign,
    h('div', { class: 'inv-checks' },
      h('label', {}, submitOnScan, 'Submit on scan'),
      h('label', {}, sound, 'Sound')),
    submit,
    result,
  );

  const preview = h('div', { class: 'panel inv-card', 'data-testid': 'adj-item', hidden: true });
  const summary = h('div', { class: 'inv-summary', 'data-testid': 'adj-summary' });
  const recent = h('div', { 'data-testid': 'adj-recent' });
  const presenceHost = h('div');
  ctx.actions?.append(presenceHost);

  element.append(
    h('div', { class: 'inv-page', 'data-testid': 'inventory-adjustments' },
      h('div', { class: 'inv-scan-layout' },
        h('div', { class: 'panel inv-card' }, h('h2', {}, 'Adjust stock'), form),
        h('div', { class: 'inv-page' },
          preview,
          h('div', { class: 'panel inv-card' }, h('h2', {}, 'Today'), summary)),
        // Full width: the log has eight columns, too many for the side column.
        h('div', { class: 'panel inv-card inv-wide' }, h('h2', {}, 'Recent movements'), recent))),
  );
  const presence = ctx.presence(ROOM, presenceHost, { viewing: ROOM });

  /* ------------------------------------------------------------ behaviour */
  let previewed = null; // the item shown, {sku, ...}
  let pending = null; // {body} of a request whose answer never came: retried with its client_id
  let busy = false;
  const newest = newestItems();

  const currentReason = () => config.reasons.find((r) => r.name === reason.value) || config.reasons[0];

  function drawSign() {
    const r = currentReason();
    const n = Number(quantity.value) || 0;
    quantity.min = r.sign === 'either' ? '' : '1';
    sign.className = `inv-sign ${r.sign === 'out' || (r.sign === 'either' && n < 0) ? 'out' : 'in'}`;
    const where = location.value === 'auto' ? (r.sign === 'in' || (r.sign === 'either' && n > 0) ? locationLabel[config.locations[0].id] : 'the locations in order') : locationLabel[location.value];
    sign.textContent =
      r.sign === 'out' ? `Removes ${fmt(Math.abs(n))} from ${where}`
        : r.sign === 'in' ? `Adds ${fmt(Math.abs(n))} to ${where}`
          : `${n < 0 ? 'Removes' : 'Adds'} ${fmt(Math.abs(n))} (${r.name}: use a negative number to remove)`;
  }

  const refocus = () => setTimeout(() => code.focus(), 0);

  function showResult(kind, ...content) {
    result.hidden = false;
    result.className = `inv-result ${kind}`;
    result.replaceChildren(...content);
  }

  function stockTable(stock, { short } = {}) {
    return h('table', { class: 'inv-stock-table' },
      h('tbody', {},
        config.locations.map((l) => h('tr', { class: short && short === l.id ? 'short' : '' }, h('td', {}, l.label), h('td', { class: 'num' }, fmt(stock?.[l.id] ?? 0)))),
        h('tr', {}, h('td', {}, h('b', {}, 'Total')), h('td', { class: 'num' }, h('b', {}, fmt(Object.values(stock || {}).reduce((a, b) => a + b, 0)))))));
  }

  async function showItem(item, { history = true } = {}) {
    item = newest.fresher(item);
    previewed = item;
    preview.hidden = false;
    const historyBox = h('div', {}, h('div', { class: 'loading' }, h('span', { class: 'spinner' }), 'Loading history…'));
    preview.replaceChildren(
      h('div', { class: 'inv-item-title', 'data-testid': 'adj-item-sku' }, item.sku),
      h('div', {}, item.name),
      h('div', { class: 'inv-muted' }, `${item.status} · barcode ${item.item_id}`),
      stockTable(item.stock),
      h('h2', { style: { marginTop: '12px' } }, 'History'),
      historyBox,
    );
    if (!history) return;
    try {
      const data = await api.get(`${skuPath(item.sku)}/history?size=15`);
      if (previewed?.sku !== item.sku) return;
      historyBox.replaceChildren(movementTable(ctx, data.items, { showSku: false, labels: locationLabel }));
    } catch (err) {
      historyBox.replaceChildren(h('p', { class: 'inv-error' }, err.message));
    }
  }

  async function lookup(value) {
    try {
      const item = await api.get(`${API}/items/lookup?code=${encodeURIComponent(value)}`);
      showItem(item);
      return item;
    } catch (err) {
      if (sound.checked) beep('error');
      showResult('error', err.status === 404 ? `Unknown code “${value}”` : err.message);
      return null;
    }
  }

  async function send() {
    const value = code.value.replace(/\s+/g, '');
    if (!value) {
      refocus();
      return;
    }
    const r = currentReason();
    let n = Number(quantity.value);
    if (!Number.isInteger(n) || n === 0 || (r.sign !== 'either' && n < 0)) {
      if (sound.checked) beep('error');
      showResult('error', r.sign === 'either' ? 'Enter a whole number other than 0.' : 'Enter a whole number, 1 or more.');
      quantity.select();
      return;
    }
    if (r.sign === 'out') n = -Math.abs(n);
    // The same request (same code, quantity, reason, place) retried after a lost answer keeps
    // its client_id, so the server applies it once however often it arrives.
    const body = { code: value, quantity: n, reason: r.name, location: location.value, source: 'ui' };
    const same = pending && JSON.stringify({ ...pending, client_id: undefined }) === JSON.stringify({ ...body, client_id: undefined });
    body.client_id = same ? pending.client_id : newClientId();
    pending = body;
    busy = true;
    submit.disabled = true;
    try {
      const done = await api.post(`${API}/adjustments`, body);
      pending = null;
      if (sound.checked) beep('ok');
      const moved = done.movements.map((m) => `${locationLabel[m.location] || m.location} ${signed(m.delta)} → ${fmt(m.quantity_after)}`).join(', ');
      showResult('ok', h('b', {}, `${done.sku}: ${signed(done.movements.reduce((a, m) => a + m.delta, 0))} (${done.reason})`), h('div', {}, moved), done.duplicate ? h('div', { class: 'inv-muted' }, 'Already applied earlier; not applied again.') : null);
      code.value = '';
      quantity.value = '1';
      drawSign();
      const item = await api.get(skuPath(done.sku)).catch(() => null);
      if (item) showItem(item);
    } catch (err) {
      if (err.status && err.status !== 0) pending = null; // the server answered: a retry is a new request
      if (sound.checked) beep('error');
      if (err.status === 409 && err.body?.stock) {
        const d = err.body;
        showResult('error', h('b', {}, d.detail), stockTable(d.stock, { short: d.location !== 'auto' ? d.location : null }));
      } else if (err.status === 404) {
        showResult('error', h('b', {}, `Unknown code “${value}”`), h('div', {}, 'Check the label, or create the item in Management.'));
      } else if (err.status === 0) {
        showResult('error', h('b', {}, 'No connection: nothing confirmed.'), h('div', {}, 'Press Adjust again to retry; it will not be applied twice.'));
      } else {
        showResult('error', err.message);
      }
      code.select();
    } finally {
      busy = false;
      submit.disabled = false;
      refocus();
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!busy) send();
  });
  code.addEventListener('keydown', async (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    if (busy) return;
    const value = code.value.replace(/\s+/g, '');
    if (!value) return;
    if (submitOnScan.checked || previewed?.sku === value || previewed?.item_id === value) {
      send();
    } else {
      const item = await lookup(value);
      if (item) {
        showResult('ok', `${item.sku}: press Enter again (or Adjust) to apply.`);
        code.value = item.sku;
        code.select();
      }
    }
  });
  for (const control of [quantity, reason, location]) {
    control.addEventListener('change', () => {
      drawSign();
      setPref('reason', reason.value);
      setPref('location', location.value);
      if (control !== quantity) refocus();
    });
  }
  quantity.addEventListener('input', drawSign);
  submitOnScan.addEventListener('change', () => { setPref('submitOnScan', submitOnScan.checked); refocus(); });
  sound.addEventListener('change', () => { setPref('sound', sound.checked); refocus(); });
  // A scan while focus wandered elsewhere on the page still lands in the code field.
  const grabKeys = (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
    if (target instanceof HTMLElement && target.closest('input, select, textarea, [contenteditable], dialog')) return;
    code.focus();
  };
  document.addEventListener('keydown', grabKeys);

  /* ------------------------------------------------------------ lists */
  async function loadRecent() {
    try {
      const data = await api.get(`${API}/adjustments?size=25`);
      recent.replaceChildren(movementTable(ctx, data.items, {
        labels: locationLabel,
        onSku: async (sku) => showItem(await api.get(skuPath(sku))),
      }));
    } catch (err) {
      recent.replaceChildren(h('p', { class: 'inv-error' }, err.message));
    }
  }

  async function loadSummary() {
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    try {
      const data = await api.get(`${API}/adjustments/summary?from=${encodeURIComponent(midnight.toISOString())}`);
      const reasons = Object.entries(data.reasons);
      summary.replaceChildren(
        ...(reasons.length
          ? reasons.map(([name, r]) => h('span', { class: 'chip' }, `${name}: ${fmt(r.adjustments)} × (${r.added ? `+${fmt(r.added)}` : ''}${r.added && r.removed ? ' / ' : ''}${r.removed ? `−${fmt(r.removed)}` : ''})`))
          : [h('span', { class: 'inv-muted' }, 'No adjustments yet today.')]),
      );
    } catch (err) {
      summary.replaceChildren(h('span', { class: 'inv-error' }, err.message));
    }
  }

  const refreshLists = debounce(() => {
    loadRecent();
    loadSummary();
  }, 300);
  const offs = [
    realtime.on('inventory.changed', (event) => {
      newest.note(event.sku, event.version, { stock: event.stock, total: event.total });
      refreshLists();
      if (previewed?.sku === event.sku && event.version >= (previewed.version ?? 0)) {
        showItem({ ...previewed, stock: event.stock, total: event.total, version: event.version });
      }
    }),
    realtime.onStatus((status) => {
      if (status === 'online') refreshLists();
    }),
  ];

  drawSign();
  await Promise.all([loadRecent(), loadSummary()]);
  code.focus();

  return () => {
    refreshLists.cancel();
    document.removeEventListener('keydown', grabKeys);
    for (const off of offs) off();
    presence.stop();
  };
}
