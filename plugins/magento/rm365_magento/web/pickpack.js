// pickpack.js — scan an order's invoice to completion (or take a return back into stock).
// Works with a barcode scanner alone: the scan field keeps focus, Enter submits, a scanned
// order number with no session open starts one; a colour and a sound per outcome.

import { API, ensureStyles, newClientId, sound } from './common.js';

export async function mount(element, ctx) {
  const { api, realtime, toast, ui, user } = ctx;
  await ensureStyles(ctx);
  const { h } = ui;
  let current = null; // the session on screen
  let busy = false;
  let lastScan = null; // {code, client_id} of a scan whose answer never came: retried as is

  const orderInput = h('input', { placeholder: 'Order number', autocomplete: 'off', 'data-testid': 'mg-order' });
  const typeSelect = h('select', { 'data-testid': 'mg-type' }, h('option', { value: 'pick' }, 'Pick'), h('option', { value: 'return' }, 'Return'));
  const startForm = h('form', { class: 'mg-start', 'data-testid': 'mg-start' },
    h('label', {}, 'Order', orderInput), h('label', {}, 'Type', typeSelect),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Start'));
  const mine = h('div', { 'data-testid': 'mg-mine' });

  const scanInput = h('input', {
    class: 'mg-scan', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', enterkeyhint: 'go',
    placeholder: 'Scan a barcode or type a SKU', 'aria-label': 'Scan', 'data-testid': 'mg-scan',
  });
  const quantity = h('input', { type: 'number', min: 1, max: 1000, value: '1', style: 'width:5rem', 'data-testid': 'mg-qty' });
  const result = h('div', { class: 'mg-result', role: 'status', hidden: true, 'data-testid': 'mg-result' });
  const scanForm = h('form', { autocomplete: 'off', 'data-testid': 'mg-scan-form' },
    h('div', { class: 'mg-start' }, h('label', { style: 'flex:1' }, 'Scan', scanInput), h('label', {}, 'Qty', quantity),
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'mg-scan-submit' }, 'Scan')), result);
  const header = h('div', { 'data-testid': 'mg-header' });
  const lines = h('div', { 'data-testid': 'mg-lines' });
  const completeBtn = h('button', { class: 'btn btn-primary', 'data-testid': 'mg-complete' }, 'Complete');
  const releaseBtn = h('button', { class: 'btn btn-secondary', 'data-testid': 'mg-release' }, 'Release');
  const cancelBtn = h('button', { class: 'btn btn-danger', 'data-testid': 'mg-cancel' }, 'Cancel session');
  const closeBtn = h('button', { class: 'btn btn-secondary', 'data-testid': 'mg-close' }, 'New order');
  const sessionCard = h('div', { class: 'panel mg-card', hidden: true, 'data-testid': 'mg-session' },
    header, scanForm, lines, h('div', { class: 'mg-actions' }, completeBtn, releaseBtn, cancelBtn, closeBtn));

  element.append(h('div', { class: 'mg-page', 'data-testid': 'magento-pickpack' },
    h('div', { class: 'panel mg-card' }, h('h2', {}, 'Start or resume'), startForm, mine), sessionCard));

  function show(kind, text) {
    result.hidden = false;
    result.className = `mg-result ${kind}`;
    result.dataset.outcome = kind;
    result.textContent = text;
  }

  function focusScan() {
    const target = current && current.status === 'active' ? scanInput : orderInput;
    if (document.activeElement !== quantity && document.activeElement !== typeSelect) target.focus();
  }

  function draw(session, flashSku = null) {
    current = session;
    sessionCard.hidden = !session;
    if (!session) return focusScan();
    const mineNow = session.owner === user.username;
    header.replaceChildren(
      h('h2', {}, `${session.type === 'pick' ? 'Pick' : 'Return'} · order ${session.order_number}`),
      h('p', { class: 'mg-muted' }, `Invoice ${session.invoice_number} · ${session.customer || ''} · #${session.id} · `,
        h('span', { 'data-testid': 'mg-status' }, session.status), session.owner ? ` · ${session.owner}` : '',
        ` · ${session.progress.scanned} / ${session.progress.expected} units`),
    );
    lines.replaceChildren(h('table', { class: 'mg-lines' },
      h('thead', {}, h('tr', {}, h('th', {}, 'SKU'), h('th', {}, 'Name'), h('th', {}, 'Expected'), h('th', {}, 'Scanned'))),
      h('tbody', {}, session.lines.map((line) => h('tr', {
        class: `${line.done ? 'done' : ''} ${line.sku === flashSku ? 'flash' : ''}`, 'data-sku': line.sku, 'data-testid': 'mg-line',
      }, h('td', {}, line.sku), h('td', {}, line.name), h('td', { class: 'num' }, String(line.qty_expected)),
      h('td', { class: 'num', 'data-testid': 'mg-line-scanned' }, String(line.qty_scanned)))))));
    const open = ['draft', 'active'].includes(session.status);
    scanForm.hidden = !(open && mineNow);
    completeBtn.hidden = releaseBtn.hidden = cancelBtn.hidden = !(open && mineNow);
    completeBtn.disabled = !session.progress.complete;
    focusScan();
  }

  async function loadMine() {
    try {
      const page = await api.get(`${API}/sessions?status=open&user=${encodeURIComponent(user.username)}&size=20`);
      mine.replaceChildren(page.items.length ? h('p', {}, 'Your open sessions: ',
        page.items.map((s) => h('button', { class: 'btn btn-link', 'data-testid': 'mg-resume', onclick: () => open(s.id) },
          `${s.type} ${s.order_number} (${s.progress.scanned}/${s.progress.expected})`))) : '');
    } catch (err) {
      mine.replaceChildren(h('p', { class: 'mg-muted' }, err.message));
    }
  }

  async function open(id) {
    draw(await api.get(`${API}/sessions/${id}`));
  }

  async function start(number) {
    try {
      draw(await api.post(`${API}/sessions`, { order_number: number, type: typeSelect.value }));
      orderInput.value = '';
      result.hidden = true;
      sound('ok');
    } catch (err) {
      sound('error');
      toast(err.message, 'error');
      if (err.status === 409 && err.body?.session_id && err.body?.owner === user.username) open(err.body.session_id);
    }
  }

  async function scan(code) {
    if (busy || !current) return;
    busy = true;
    const body = lastScan && lastScan.code === code ? lastScan : { code, quantity: Number(quantity.value) || 1, client_id: newClientId() };
    lastScan = body;
    try {
      const done = await api.post(`${API}/sessions/${current.id}/scan`, body);
      lastScan = null;
      quantity.value = '1';
      const words = { ok: 'OK', line_complete: 'Line complete', session_complete: 'All lines scanned: complete the session' };
      show(done.outcome, `${words[done.outcome]} · ${done.line.sku} ${done.line.qty_scanned}/${done.line.qty_expected}`);
      sound(done.outcome);
      draw(done.session, done.line.sku);
    } catch (err) {
      if (err.status) lastScan = null; // answered: a new scan gets a new client_id
      const outcome = err.body?.outcome || 'error';
      show(outcome, err.message);
      sound(outcome);
    } finally {
      busy = false;
      scanInput.value = '';
      focusScan();
    }
  }

  startForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (orderInput.value.trim()) start(orderInput.value.trim());
  });
  scanForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const code = scanInput.value.trim();
    if (code) scan(code);
  });
  // A scanner types into whatever has focus: keep it on the scan field (or the order field).
  element.addEventListener('click', (e) => {
    if (!['INPUT', 'SELECT', 'BUTTON', 'A'].includes(e.target.tagName)) focusScan();
  });

  async function act(path, confirmText, body) {
    if (confirmText && !(await ctx.confirm({ title: confirmText, danger: path === 'cancel' }))) return;
    try {
      const session = await api.post(`${API}/sessions/${current.id}/${path}`, body);
      draw(session);
      if (session.status === 'completed') { sound('session_complete'); toast(`Order ${session.order_number} completed`, 'success'); }
      if (!['draft', 'active'].includes(session.status) || session.owner !== user.username) loadMine();
    } catch (err) {
      sound('error');
      toast(err.message, 'error');
    }
  }
  completeBtn.addEventListener('click', () => act('complete', null, {}));
  releaseBtn.addEventListener('click', () => act('release', 'Release this session? Scans are kept; anyone may claim it.'));
  cancelBtn.addEventListener('click', () => act('cancel', 'Cancel this session and put back every unit it moved?'));
  closeBtn.addEventListener('click', () => { draw(null); loadMine(); });

  // Live: another device of mine, a supervisor or a takeover changes what is shown.
  realtime.on('magento.session', (event) => {
    if (current && event.session.id === current.id && event.session.version > current.version) open(current.id).catch(() => {});
  });
  realtime.on('magento.notice', async (notice) => {
    if (notice.action === 'takeover-requested') {
      const yes = await ctx.confirm({
        title: `${notice.by} asks to take over order ${notice.order_number}`, confirmText: 'Hand it over', cancelText: 'Keep it',
      });
      const answer = yes ? 'accept' : 'decline';
      api.post(`${API}/sessions/${notice.session_id}/takeover-requests/${notice.request_id}/${answer}`).then(
        (s) => { if (current?.id === s.id) draw(s); loadMine(); }, (err) => toast(err.message, 'error'));
    } else {
      toast(`Order ${notice.order_number}: ${notice.action.replace(/-/g, ' ')} by ${notice.by}`, 'info');
      if (current?.id === notice.session_id) open(notice.session_id);
      loadMine();
    }
  });
  realtime.join('magento.pickpack').catch(() => {});
  realtime.join(`magento.pickpack:user:${user.username}`).catch(() => {});

  await loadMine();
  const wanted = ctx.route?.query?.get?.('session');
  if (wanted) await open(wanted).catch(() => {});
  focusScan();
}
