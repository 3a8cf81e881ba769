// management.js — the item grid: inline edits guarded by versions, live updates from other
// people, their presence on the cells they edit, server-side search, filters and paging.

import {
  API, STOCK_STATUS_BADGES, STOCK_STATUS_LABELS, debounce, ensureStyles, fmt, loadConfig, newestItems, pref, setPref, shortTime, showHistory, skuPath,
} from './common.js';

const ROOM = 'inventory.management';

export async function mount(element, ctx) {
  const { api, realtime, toast, ui } = ctx;
  await ensureStyles(ctx);
  const { h, icon } = ui;
  const config = await loadConfig(api);
  const canEdit = config.can_manage;
  const me = ctx.user?.username;
  const locationLabel = Object.fromEntries(config.locations.map((l) => [l.id, l.label]));

  /* ------------------------------------------------------------ columns */
  const columns = [
    { id: 'sku', label: 'SKU', sort: 'sku', always: true },
    { id: 'item_id', label: 'Barcode', sort: 'item_id', edit: 'text', hidden: true },
    { id: 'name', label: 'Name', sort: 'name', edit: 'text', cls: 'name' },
    { id: 'status', label: 'Status', sort: 'status', edit: 'status' },
    ...config.locations.flatMap((loc) => [
      { id: `stock.${loc.id}`, label: loc.label, sort: loc.id, edit: 'quantity', location: loc.id, cls: 'num' },
      ...(loc.expiry ? [{ id: `expiry.${loc.id}`, label: `${loc.label} expiry`, edit: 'date', location: loc.id }] : []),
    ]),
    { id: 'total', label: 'Total', sort: 'total', cls: 'num inv-total' },
    ...(config.demand
      ? [
          { id: 'demand_total', label: 'Demand (6 mo)', cls: 'num' },
          { id: 'stock_status', label: 'Stock status' },
        ]
      : []),
    { id: 'notes', label: 'Notes', edit: 'text', hidden: true },
    { id: 'updated_at', label: 'Updated', sort: 'updated_at', hidden: true },
    { id: 'actions', label: '', always: true },
  ];
  const savedHidden = pref('hiddenColumns', null);
  const hidden = new Set(savedHidden ?? columns.filter((c) => c.hidden).map((c) => c.id));
  const visible = () => columns.filter((c) => c.always || !hidden.has(c.id));

  /* ------------------------------------------------------------ state */
  const state = {
    search: ctx.route?.query?.get('search') || '',
    status: '',
    stockStatus: '',
    page: 1,
    size: pref('pageSize', 50),
    sort: pref('sort', 'sku'),
    total: 0,
    pages: 0,
  };
  const rows = new Map(); // sku -> {item, tr}
  let editing = null; // {sku, col, td, input}
  let remoteEditors = new Map(); // "sku|col" -> {username, color}
  let loadSeq = 0;
  const newest = newestItems(); // so that a list read before a live change cannot undo it

  /* ------------------------------------------------------------ layout */
  const search = h('input', {
    type: 'search', placeholder: 'Search SKU, name or barcode…', value: state.search,
    'aria-label': 'Search items', 'data-testid': 'inv-search',
  });
  const statusFilter = h(
    'select', { 'aria-label': 'Status', 'data-testid': 'inv-status-filter' },
    h('option', { value: '' }, 'All statuses'),
    config.statuses.map((s) => h('option', { value: s }, s)),
  );
  const stockFilter = h(
    'select', { 'aria-label': 'Stock status', 'data-testid': 'inv-stock-filter' },
    h('option', { value: '' }, 'Any stock'),
    config.stock_statuses.map((s) => h('option', { value: s }, STOCK_STATUS_LABELS[s] || s)),
  );
  const columnMenu = h('div', { class: 'inv-menu' });
  const columnChooser = h(
    'details', { class: 'inv-columns', 'data-testid': 'inv-columns' },
    h('summary', { class: 'btn btn-secondary' }, icon('grid'), ' Columns'),
    columnMenu,
  );
  const liveNote = h('span', { class: 'inv-live', 'data-testid': 'inv-live', role: 'status' });
  const thead = h('thead');
  const tbody = h('tbody');
  const table = h('table', { class: 'inv-table', 'data-testid': 'inv-grid' }, thead, tbody);
  const pagerText = h('span', { class: 'inv-muted', 'data-testid': 'inv-pager-text' });
  const prev = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'inv-prev' }, 'Previous');
  const next = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'inv-next' }, 'Next');
  const sizeSelect = h(
    'select', { 'aria-label': 'Rows per page' },
    [25, 50, 100, 200].filter((n) => n <= config.max_page_size).map((n) => h('option', { value: n, selected: n === state.size }, `${n} / page`)),
  );

  if (canEdit) {
    ctx.actions?.append(
      h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'inv-import', onclick: openImport }, icon('folder'), ' Import CSV'),
      h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'inv-new', onclick: openCreate }, icon('plus'), ' New item'),
    );
  }
  const presenceHost = h('div', { class: 'inv-presence' });
  const page = h(
    'div', { class: 'inv-page', 'data-testid': 'inventory-management' },
    h('div', { class: 'inv-toolbar' }, search, statusFilter, stockFilter, columnChooser, h('span', { class: 'inv-spacer' }), liveNote, presenceHost),
    h('div', { class: 'inv-grid-wrap' }, table),
    h('div', { class: 'inv-pager' }, pagerText, sizeSelect, prev, next),
  );
  element.append(page);

  const presence = ctx.presence(ROOM, presenceHost, { viewing: ROOM });

  /* ------------------------------------------------------------ rendering */
  function renderColumnMenu() {
    columnMenu.replaceChildren(
      ...columns.filter((c) => !c.always).map((c) =>
        h('label', {},
          h('input', {
            type: 'checkbox', checked: !hidden.has(c.id),
            onchange: (e) => {
              if (e.target.checked) hidden.delete(c.id); else hidden.add(c.id);
              setPref('hiddenColumns', [...hidden]);
              renderHead();
              renderBody();
            },
          }),
          c.label),
      ),
    );
  }

  function renderHead() {
    const key = state.sort.replace(/^-/, '');
    const desc = state.sort.startsWith('-');
    thead.replaceChildren(
      h('tr', {},
        visible().map((c) =>
          h('th', {
            class: `${c.sort ? 'sortable ' : ''}${c.cls || ''}`,
            scope: 'col',
            'aria-sort': c.sort && c.sort === key ? (desc ? 'descending' : 'ascending') : null,
            'data-col': c.id,
            onclick: c.sort ? () => setSort(c.sort) : null,
          }, c.label),
        ),
      ),
    );
  }

  function cellValue(item, col) {
    if (col.id.startsWith('stock.')) return item.stock[col.location] ?? 0;
    if (col.id.startsWith('expiry.')) return item.expiry?.[col.location] || '';
    return item[col.id];
  }

  function renderCell(td, item, col) {
    td.replaceChildren();
    td.className = `${col.cls || ''}${col.edit && canEdit ? ' editable' : ''}`;
    td.dataset.col = col.id;
    if (col.edit && canEdit) td.tabIndex = 0;
    const value = cellValue(item, col);
    if (col.id === 'actions') {
      td.append(
        h('button', { type: 'button', class: 'btn btn-icon btn-ghost', title: `History of ${item.sku}`, 'aria-label': `History of ${item.sku}`, onclick: () => showHistory(ctx, item.sku) }, icon('clock', { size: 16 })),
        canEdit
          ? h('button', { type: 'button', class: 'btn btn-icon btn-ghost', title: `Delete ${item.sku}`, 'aria-label': `Delete ${item.sku}`, 'data-testid': 'inv-delete', onclick: () => removeItem(item.sku) }, icon('trash', { size: 16 }))
          : null,
      );
    } else if (col.id === 'stock_status') {
      if (value) td.append(h('span', { class: `badge ${STOCK_STATUS_BADGES[value] || ''}`, 'data-status': value }, STOCK_STATUS_LABELS[value] || value));
    } else if (col.id === 'demand_total') {
      td.textContent = fmt(value);
      td.title = Object.entries(item.demand || {}).map(([r, q]) => `${r.toUpperCase()}: ${fmt(q)}`).join(', ') || 'No sales';
    } else if (col.id === 'updated_at') {
      td.textContent = shortTime(value);
      td.title = new Date(value).toLocaleString();
    } else if (typeof value === 'number') {
      td.textContent = fmt(value);
    } else {
      td.textContent = value ?? '';
      if (col.id === 'name') td.title = value || '';
    }
    const editor = remoteEditors.get(`${item.sku}|${col.id}`);
    if (editor) {
      td.classList.add('remote-edit');
      td.style.setProperty('--editor-color', editor.color);
      td.title = `${editor.username} is editing this`;
      td.append(h('span', { class: 'editor-tag', 'aria-hidden': 'true' }, editor.username));
    } else {
      td.style.removeProperty('--editor-color');
    }
  }

  /** Draws a row; cells are updated in place so that an open editor keeps its focus. */
  function renderRow(item, tr = h('tr')) {
    tr.dataset.sku = item.sku;
    const cols = visible();
    const cells = [...tr.children];
    if (cells.length === cols.length && cells.every((td, i) => td.dataset.col === cols[i].id)) {
      cells.forEach((td, i) => {
        if (editing?.td !== td) renderCell(td, item, cols[i]);
      });
      return tr;
    }
    tr.replaceChildren(
      ...cols.map((col) => {
        if (editing && editing.sku === item.sku && editing.col.id === col.id) return editing.td;
        const td = h('td');
        renderCell(td, item, col);
        return td;
      }),
    );
    return tr;
  }

  function renderBody() {
    if (!rows.size) {
      tbody.replaceChildren(h('tr', {}, h('td', { colspan: visible().length, class: 'inv-empty', 'data-testid': 'inv-empty' },
        state.search || state.status || state.stockStatus ? 'No items match these filters.' : 'No items yet.')));
    } else {
      tbody.replaceChildren(...[...rows.values()].map((row) => renderRow(row.item, row.tr)));
    }
    const first = state.total ? (state.page - 1) * state.size + 1 : 0;
    const last = Math.min(state.page * state.size, state.total);
    pagerText.textContent = `${fmt(first)}–${fmt(last)} of ${fmt(state.total)}`;
    prev.disabled = state.page <= 1;
    next.disabled = state.page >= state.pages;
  }

  function flash(sku, colId, kind = 'inv-flash') {
    const td = rows.get(sku)?.tr.querySelector(`td[data-col="${CSS.escape(colId)}"]`);
    if (!td) return;
    td.classList.remove(kind);
    void td.offsetWidth; // restart the animation
    td.classList.add(kind);
  }

  /* ------------------------------------------------------------ loading */
  async function load() {
    const seq = ++loadSeq;
    const params = new URLSearchParams({ page: state.page, size: state.size, sort: state.sort });
    if (state.search) params.set('search', state.search);
    if (state.status) params.set('status', state.status);
    if (state.stockStatus) params.set('stock_status', state.stockStatus);
    table.setAttribute('aria-busy', 'true');
    try {
      const data = await api.get(`${API}/items?${params}`);
      if (seq !== loadSeq) return;
      state.total = data.total;
      state.pages = data.pages;
      if (state.page > 1 && state.page > data.pages) {
        state.page = Math.max(1, data.pages);
        load();
        return;
      }
      rows.clear();
      for (const item of data.items) rows.set(item.sku, { item: newest.fresher(item), tr: h('tr') });
      if (editing && !rows.has(editing.sku)) editing = null;
      renderBody();
    } catch (err) {
      if (seq === loadSeq) toast(err, 'error');
    } finally {
      if (seq === loadSeq) table.removeAttribute('aria-busy');
    }
  }
  const reload = debounce(load, 250);

  function setSort(key) {
    state.sort = state.sort === key ? `-${key}` : key;
    setPref('sort', state.sort);
    state.page = 1;
    renderHead();
    load();
  }

  /* ------------------------------------------------------------ editing */
  function startEdit(td) {
    if (!canEdit || editing?.td === td) return;
    const tr = td.closest('tr');
    const row = rows.get(tr?.dataset.sku);
    const col = columns.find((c) => c.id === td.dataset.col);
    if (!row || !col?.edit) return;
    if (editing) finishEdit(true);
    const value = cellValue(row.item, col);
    let input;
    if (col.edit === 'status') {
      input = h('select', {}, config.statuses.map((s) => h('option', { value: s, selected: s === value }, s)));
    } else if (col.edit === 'quantity') {
      input = h('input', { type: 'number', min: 0, step: 1, value: String(value), inputmode: 'numeric' });
    } else if (col.edit === 'date') {
      input = h('input', { type: 'date', value: value || '' });
    } else {
      input = h('input', { type: 'text', value: value ?? '' });
    }
    input.setAttribute('aria-label', `${col.label} of ${row.item.sku}`);
    input.dataset.testid = 'inv-cell-input';
    editing = { sku: row.item.sku, col, td, input, version: row.item.version, original: value };
    td.classList.add('editing');
    td.replaceChildren(input);
    input.focus();
    input.select?.();
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        finishEdit(true, 'down');
      } else if (event.key === 'Escape') {
        event.preventDefault();
        finishEdit(false);
      } else if (event.key === 'Tab') {
        event.preventDefault();
        finishEdit(true, event.shiftKey ? 'left' : 'right');
      }
    });
    input.addEventListener('blur', () => setTimeout(() => editing?.input === input && finishEdit(true), 0));
    if (col.edit === 'status') input.addEventListener('change', () => finishEdit(true));
    presence.update({ viewing: ROOM, editing: `${row.item.sku}:${col.id}` });
  }

  function moveFrom(td, direction) {
    if (!direction || !td.isConnected) return;
    let target = null;
    if (direction === 'down') {
      const nextRow = td.closest('tr')?.nextElementSibling;
      target = nextRow?.querySelector(`td[data-col="${CSS.escape(td.dataset.col)}"]`);
    } else {
      const cells = [...tbody.querySelectorAll('td.editable')];
      target = cells[cells.indexOf(td) + (direction === 'left' ? -1 : 1)];
    }
    target?.focus();
  }

  async function finishEdit(save, direction) {
    const current = editing;
    if (!current) return;
    editing = null;
    presence.update({ viewing: ROOM });
    const { sku, col, td, input } = current;
    td.classList.remove('editing');
    const row = rows.get(sku);
    const raw = input.value;
    const changed = save && String(raw) !== String(current.original ?? '');
    if (!row) return;
    if (!changed) {
      renderCell(td, row.item, col);
      moveFrom(td, direction);
      return;
    }
    let body;
    if (col.edit === 'quantity') {
      const quantity = Number(raw);
      if (!Number.isInteger(quantity) || quantity < 0) {
        toast('A quantity is a whole number, 0 or more.', 'error');
        renderCell(td, row.item, col);
        return;
      }
      body = { stock: { [col.location]: quantity } };
    } else if (col.edit === 'date') {
      body = { expiry: { [col.location]: raw || null } };
    } else {
      body = { [col.id]: raw };
    }
    td.classList.add('busy');
    td.textContent = raw;
    moveFrom(td, direction);
    try {
      const item = await api.patch(skuPath(sku), body, { headers: { 'If-Match': `"${current.version}"` } });
      updateItem(item);
      flash(item.sku, col.id);
    } catch (err) {
      if (err.status === 412 && err.body?.item) {
        updateItem(err.body.item);
        flash(sku, col.id, 'inv-conflict');
        // Name what was typed: it is no longer on screen, and the user may want to enter it again.
        toast(`${sku} was changed by someone else meanwhile; your edit (${col.label}: ${raw === '' ? 'empty' : raw}) was not saved. The current value is shown.`, 'error');
      } else {
        toast(err, 'error');
        const fresh = rows.get(sku);
        if (fresh) renderCell(td, fresh.item, col);
      }
    } finally {
      td.classList.remove('busy');
    }
  }

  /** Replaces a row's item, keeping the cell being edited untouched. */
  function updateItem(item) {
    const row = rows.get(item.sku);
    if (!row) return false;
    if (item.version < row.item.version) return false; // an older event arriving late
    row.item = item;
    renderRow(item, row.tr);
    if (editing?.sku === item.sku) {
      // Someone else changed this item while it is being edited here. Another field: the
      // edit goes on against the new version. This very cell: keep the old version, so the
      // save is refused (412) and the fresh value shown rather than silently overwritten.
      const fresh = cellValue(item, editing.col);
      if (String(fresh ?? '') === String(editing.original ?? '')) {
        editing.version = item.version;
      } else {
        editing.td.classList.add('inv-stale');
        editing.td.title = `Changed meanwhile to ${fresh}: saving will show you the current value`;
      }
    }
    return true;
  }

  tbody.addEventListener('click', (event) => {
    const td = event.target.closest('td.editable');
    if (td && !td.classList.contains('editing')) startEdit(td);
  });
  tbody.addEventListener('keydown', (event) => {
    const td = event.target.closest?.('td.editable');
    if (!td || td.classList.contains('editing')) return;
    if (event.key === 'Enter' || event.key === 'F2') {
      event.preventDefault();
      startEdit(td);
    }
  });

  /* ------------------------------------------------------------ live updates */
  const offs = [];
  offs.push(realtime.on('inventory.changed', (event) => {
    newest.note(event.sku, event.version, { stock: event.stock, total: event.total });
    const row = rows.get(event.sku);
    if (!row) return;
    if (event.version < row.item.version) return;
    const item = { ...row.item, stock: { ...row.item.stock, ...event.stock }, total: event.total, version: event.version };
    if (row.item.stock_status !== undefined) item.stock_status = undefined; // refreshed below
    if (updateItem(item)) {
      flash(event.sku, `stock.${event.location}`);
      flash(event.sku, 'total');
      if (event.by !== me) liveNote.textContent = `${event.by}: ${event.sku} ${locationLabel[event.location] || event.location} → ${fmt(event.quantity)} (${event.reason})`;
      if (config.demand) refreshItem(event.sku);
    }
  }));
  offs.push(realtime.on('inventory.item', (event) => {
    if (event.action === 'updated' && event.item) {
      newest.note(event.sku, event.item.version, { item: event.item });
      // A stock edit also sends this event; the note names only what it adds (stock was noted).
      const before = rows.get(event.sku)?.item;
      const fields = ['name', 'status', 'item_id', 'notes', 'expiry']
        .filter((f) => before && JSON.stringify(before[f] ?? null) !== JSON.stringify(event.item[f] ?? null))
        .map((f) => columns.find((c) => c.id === f)?.label.toLowerCase() || f);
      if (updateItem(event.item) && event.by !== me && fields.length) liveNote.textContent = `${event.by} edited ${event.sku}: ${fields.join(', ')}`;
    } else if (event.action === 'deleted') {
      const row = rows.get(event.sku);
      if (row) {
        row.tr.classList.add('gone');
        row.tr.title = `Deleted by ${event.by}`;
      }
    } else if (event.action === 'created' && event.by !== me) {
      liveNote.textContent = `${event.by} added ${event.sku}`;
      reload();
    }
  }));
  offs.push(realtime.on('inventory.imported', (event) => {
    liveNote.textContent = `${event.by} imported the catalogue (${event.created} new, ${event.updated} changed)`;
    reload();
  }));
  offs.push(realtime.on('presence', (payload) => {
    if (payload?.room !== ROOM) return;
    const next = new Map();
    for (const user of payload.users || []) {
      const target = user.state?.editing;
      if (!target || user.username === me) continue;
      const at = target.indexOf(':');
      next.set(`${target.slice(0, at)}|${target.slice(at + 1)}`, { username: user.username, color: user.color });
    }
    const touched = new Set([...remoteEditors.keys(), ...next.keys()].map((k) => k.split('|')[0]));
    remoteEditors = next;
    for (const sku of touched) {
      const row = rows.get(sku);
      if (row) renderRow(row.item, row.tr);
    }
  }));
  // Events missed while offline: reload when the connection comes back.
  let wasOnline = realtime.status === 'online';
  offs.push(realtime.onStatus((status) => {
    if (status === 'online' && !wasOnline) reload();
    wasOnline = status === 'online';
  }));

  async function refreshItem(sku) {
    try {
      updateItem(await api.get(skuPath(sku)));
    } catch {
      /* deleted meanwhile: the item event says so */
    }
  }

  /* ------------------------------------------------------------ dialogs */
  async function openCreate() {
    const sku = h('input', { name: 'sku', required: true, maxlength: 64, autocomplete: 'off', 'data-testid': 'inv-new-sku' });
    const name = h('input', { name: 'name', required: true, maxlength: 255, 'data-testid': 'inv-new-name' });
    const status = h('select', { name: 'status' }, config.statuses.map((s) => h('option', { value: s, selected: s === config.default_status }, s)));
    const itemId = h('input', { name: 'item_id', maxlength: 32, placeholder: 'Derived from the SKU', inputmode: 'numeric' });
    const created = await ui.formDialog({
      title: 'New item',
      submitText: 'Create',
      testid: 'inv-new-dialog',
      body: [ui.field('SKU', sku), ui.field('Name', name), ui.field('Status', status), ui.field('Barcode', itemId, { hint: 'Leave empty to use the 18-digit barcode derived from the SKU.' })],
      onSubmit: () =>
        api.post(`${API}/items`, {
          sku: sku.value.trim(), name: name.value.trim(), status: status.value, item_id: itemId.value.trim() || null,
        }),
    });
    if (created) {
      toast(`${created.sku} created (barcode ${created.item_id})`, 'success');
      state.search = created.sku;
      search.value = created.sku;
      state.page = 1;
      load();
    }
  }

  function openImport() {
    const file = h('input', { type: 'file', accept: '.csv,text/csv', required: true, 'data-testid': 'inv-import-file' });
    const result = h('div', { class: 'inv-import-result', 'data-testid': 'inv-import-result' });
    const check = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'inv-import-check' }, 'Check (dry run)');
    const apply = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'inv-import-apply' }, 'Import');
    const close = h('button', { type: 'button', class: 'btn btn-ghost' }, 'Close');
    const dialog = h(
      'dialog', { class: 'dialog dialog-wide inv-dialog', 'data-testid': 'inv-import-dialog', 'aria-label': 'Import catalogue' },
      h('div', { class: 'dialog-head' }, h('h2', {}, 'Import catalogue CSV')),
      h('div', { class: 'dialog-body' },
        h('p', { class: 'inv-muted' }, 'A Magento product export (sku, name, categories, additional_attributes) or any CSV with sku and name. Items are matched by SKU; variants (-MD, -SD, -DP, -NP, -MV) fold into their base; excluded categories are skipped.'),
        ui.field('File', file), result),
      h('div', { class: 'dialog-actions' }, close, check, apply),
    );
    async function run(dryRun) {
      if (!file.files?.length) {
        toast('Choose a CSV file first.', 'error');
        return;
      }
      const form = new FormData();
      form.append('file', file.files[0]);
      check.disabled = apply.disabled = true;
      try {
        const r = await api.post(`${API}/items/import?dry_run=${dryRun}`, form);
        const verb = dryRun ? 'would be' : 'were';
        result.replaceChildren(
          h('p', {}, `${fmt(r.rows)} rows: ${fmt(r.created)} ${verb} created, ${fmt(r.updated)} updated, ${fmt(r.unchanged)} unchanged; ${fmt(r.folded)} variants folded, ${fmt(r.excluded)} excluded.`),
          r.errors.length
            ? h('table', { class: 'inv-table' },
                h('thead', {}, h('tr', {}, h('th', {}, 'Row'), h('th', {}, 'Column'), h('th', {}, 'SKU'), h('th', {}, 'Problem'))),
                h('tbody', {}, r.errors.map((e) => h('tr', {}, h('td', { class: 'num' }, e.row), h('td', {}, e.column), h('td', {}, e.sku || ''), h('td', {}, e.message)))))
            : h('p', { class: 'inv-pos' }, 'No errors.'),
        );
        if (!dryRun) {
          toast(`Catalogue imported: ${r.created} new, ${r.updated} changed`, 'success');
          load();
        }
      } catch (err) {
        result.replaceChildren(h('p', { class: 'inv-error' }, err.message));
      } finally {
        check.disabled = apply.disabled = false;
      }
    }
    check.addEventListener('click', () => run(true));
    apply.addEventListener('click', () => run(false));
    close.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove(), { once: true });
    document.body.append(dialog);
    dialog.showModal();
  }

  async function removeItem(sku) {
    const row = rows.get(sku);
    if (!row) return;
    const holds = row.item.total > 0;
    const ok = await ctx.confirm({
      title: `Delete ${sku}?`,
      message: holds
        ? `${sku} still holds ${fmt(row.item.total)} units. Deleting it drops that stock (its movement history stays).`
        : `${sku} will be removed from the item list. Its movement history stays.`,
      confirmText: 'Delete',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`${skuPath(sku)}${holds ? '?force=true' : ''}`, undefined, { headers: { 'If-Match': `"${row.item.version}"` } });
      toast(`${sku} deleted`, 'success');
      load();
    } catch (err) {
      if (err.status === 412 && err.body?.item) updateItem(err.body.item);
      toast(err, 'error');
    }
  }

  /* ------------------------------------------------------------ wiring */
  const onSearch = debounce(() => {
    state.search = search.value.trim();
    state.page = 1;
    load();
  }, 250);
  search.addEventListener('input', onSearch);
  statusFilter.addEventListener('change', () => { state.status = statusFilter.value; state.page = 1; load(); });
  stockFilter.addEventListener('change', () => { state.stockStatus = stockFilter.value; state.page = 1; load(); });
  sizeSelect.addEventListener('change', () => { state.size = Number(sizeSelect.value); setPref('pageSize', state.size); state.page = 1; load(); });
  prev.addEventListener('click', () => { if (state.page > 1) { state.page -= 1; load(); } });
  next.addEventListener('click', () => { if (state.page < state.pages) { state.page += 1; load(); } });
  const closeMenu = (event) => { if (!columnChooser.contains(event.target)) columnChooser.open = false; };
  document.addEventListener('click', closeMenu);

  renderColumnMenu();
  renderHead();
  await load();

  return () => {
    onSearch.cancel();
    reload.cancel();
    document.removeEventListener('click', closeMenu);
    for (const off of offs) off();
    presence.stop();
  };
}
