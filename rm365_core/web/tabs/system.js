// tabs/system.js — the kernel's "system" tab: health, plugins with their state, paired devices.

import { errorMessage } from '../api.js';
import { fullTime, h, icon, relativeTime, replace } from '../dom.js';
import { field, formDialog } from '../ui.js';

const REFRESH_MS = 30_000;

/** Plugin lifecycle state -> badge colour. */
const STATE_BADGE = {
  enabled: 'badge-success',
  disabled: '',
  failed: 'badge-danger',
  'missing-dependency': 'badge-warning',
  incompatible: 'badge-warning',
};

export async function mount(element, ctx) {
  const { api, toast, confirm } = ctx;
  let alive = true;

  ctx.presence('system', ctx.actions);
  const refreshButton = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'system-refresh', onclick: () => refresh(true) }, icon('refresh'), 'Refresh');
  ctx.actions.append(refreshButton);

  const healthBody = h('div', { class: 'panel-body', 'data-testid': 'health' }, spinner());
  const pluginsBody = h('div', {}, spinner());
  const devicesBody = h('div', {}, spinner());
  const pluginsCount = h('span', { class: 'sub' });
  const devicesCount = h('span', { class: 'sub' });
  const devicesPanel = h(
    'section',
    { class: 'panel', 'data-testid': 'devices', 'aria-labelledby': 'sys-devices' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { id: 'sys-devices' }, 'Devices', devicesCount),
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'pair-device', onclick: () => pairDevice() }, icon('plus', { size: 16 }), 'Pair a bridge'),
    ),
    devicesBody,
  );

  element.append(
    h('section', { class: 'panel', 'aria-labelledby': 'sys-health' }, h('div', { class: 'panel-head' }, h('h2', { id: 'sys-health' }, 'Health')), healthBody),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'sys-plugins' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'sys-plugins' }, 'Plugins', pluginsCount)),
      pluginsBody,
    ),
    devicesPanel,
  );

  /* ---------------------------------------------------------- health */

  async function loadHealth() {
    let health;
    try {
      health = await api.get('/api/health');
    } catch (err) {
      // A degraded server may answer 503 with the same body; show it rather than an error.
      if (err.body && typeof err.body === 'object' && 'status' in err.body) health = err.body;
      else return replace(healthBody, errorText(err));
    }
    const ok = health.status === 'ok';
    const dbs = Object.entries(health.databases || {});
    const plugins = Object.entries(health.plugins || {});
    const failing = plugins.filter(([, s]) => s === 'failed').length;
    replace(
      healthBody,
      h(
        'div',
        { class: 'health-summary' },
        h('span', { class: `badge ${ok ? 'badge-success' : 'badge-danger'}`, 'data-testid': 'health-status' }, String(health.status || 'unknown')),
        h('span', { class: 'big' }, ok ? 'Everything is running' : 'Something needs attention'),
        h(
          'span',
          { class: 'muted' },
          `${plugins.filter(([, s]) => s === 'enabled').length} of ${plugins.length} plugins enabled${failing ? `, ${failing} failed` : ''}`,
        ),
      ),
      dbs.length
        ? [
            h('h3', {}, 'Databases'),
            h(
              'div',
              { class: 'kv' },
              dbs.map(([name, status]) =>
                h(
                  'div',
                  { class: 'kv-item', 'data-testid': `db-${name}` },
                  h('span', { class: 'name' }, name),
                  h('span', { class: `badge ${status === 'ok' ? 'badge-success' : 'badge-danger'}` }, String(status)),
                ),
              ),
            ),
          ]
        : null,
    );
  }

  /* ---------------------------------------------------------- plugins */

  async function loadPlugins() {
    let plugins;
    try {
      plugins = await api.get('/api/v1/plugins');
    } catch (err) {
      return replace(pluginsBody, h('div', { class: 'panel-body' }, errorText(err)));
    }
    pluginsCount.textContent = `(${plugins.length})`;
    if (!plugins.length) {
      return replace(pluginsBody, h('div', { class: 'empty' }, h('p', {}, 'No plugins installed.')));
    }
    const list = (items) => (items?.length ? h('div', { class: 'chips' }, items.map((x) => h('span', { class: 'chip' }, x))) : h('span', { class: 'cell-empty' }, '—'));
    const rows = [];
    for (const plugin of plugins) {
      rows.push(
        h(
          'tr',
          { 'data-testid': `plugin-row-${plugin.name}`, 'data-state': plugin.state },
          h('td', {}, h('div', { class: 'cell-strong' }, plugin.title || plugin.name), h('div', { class: 'muted', style: { fontSize: '0.82rem' } }, plugin.name)),
          h('td', {}, plugin.version || '—'),
          h('td', {}, h('span', { class: `badge ${STATE_BADGE[plugin.state] ?? 'badge-warning'}`, 'data-testid': `plugin-state-${plugin.name}` }, plugin.state)),
          h('td', {}, list(plugin.requires)),
          h('td', {}, list(plugin.after)),
          h('td', {}, list(plugin.databases)),
        ),
      );
      if (plugin.error) {
        rows.push(h('tr', { class: 'error-row' }, h('td', { colspan: 6 }, h('pre', { class: 'error-text', 'data-testid': `plugin-error-${plugin.name}` }, plugin.error))));
      }
    }
    replace(
      pluginsBody,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table', 'data-testid': 'plugins-table' },
          h('thead', {}, h('tr', {}, ['Plugin', 'Version', 'State', 'Requires', 'After', 'Databases'].map((t) => h('th', {}, t)))),
          h('tbody', {}, rows),
        ),
      ),
    );
  }

  /* ---------------------------------------------------------- devices */

  async function loadDevices() {
    let devices;
    try {
      devices = await api.get('/api/v1/devices');
    } catch (err) {
      // No device registry on this server (404): leave the section out altogether.
      if (err.status === 404) {
        devicesPanel.hidden = true;
        return;
      }
      return replace(devicesBody, h('div', { class: 'panel-body' }, errorText(err)));
    }
    devicesPanel.hidden = false;
    devicesCount.textContent = `(${devices.length})`;
    if (!devices.length) {
      return replace(devicesBody, h('div', { class: 'empty', 'data-testid': 'no-devices' }, icon('device', { size: 28 }), h('p', {}, 'No devices paired')));
    }
    replace(
      devicesBody,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table', 'data-testid': 'devices-table' },
          h('thead', {}, h('tr', {}, ['Name', 'Site', 'Drivers', 'Last seen', 'Last event', 'Status', ''].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            devices.map((d) =>
              h(
                'tr',
                { 'data-testid': `device-row-${d.id}`, 'data-online': String(Boolean(d.online)) },
                h('td', {}, h('div', { class: 'cell-strong' }, d.name || '—'), h('div', { class: 'muted', style: { fontSize: '0.82rem' } }, String(d.id))),
                h('td', {}, d.site || '—'),
                h('td', {}, d.drivers?.length ? h('div', { class: 'chips' }, d.drivers.map((x) => h('span', { class: 'chip' }, x))) : '—'),
                h('td', { title: fullTime(d.last_seen) }, relativeTime(d.last_seen)),
                h('td', { title: fullTime(d.last_event_at) }, d.last_event_at ? relativeTime(d.last_event_at) : '—', deadLetters(d)),
                h('td', { 'data-testid': `device-status-${d.id}` }, deviceBadge(d)),
                h(
                  'td',
                  { class: 'actions' },
                  h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-testid': `rename-device-${d.id}`, onclick: () => renameDevice(d) }, icon('edit', { size: 16 }), 'Rename'),
                  d.revoked_at
                    ? null
                    : h('button', { type: 'button', class: 'btn btn-ghost btn-sm danger', 'data-testid': `revoke-device-${d.id}`, onclick: () => revokeDevice(d) }, 'Revoke'),
                  h('button', { type: 'button', class: 'btn btn-ghost btn-sm danger', 'data-testid': `delete-device-${d.id}`, onclick: () => deleteDevice(d) }, icon('trash', { size: 16 }), 'Delete'),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  /** A "N refused" chip (filled in once counted) that lists the device's dead letters. */
  function deadLetters(d) {
    const chip = h('button', { type: 'button', class: 'badge badge-warning', style: { marginLeft: '0.4rem', cursor: 'pointer' }, hidden: true, 'data-testid': `dead-letters-${d.id}`, onclick: () => showDeadLetters(d) });
    api
      .get(`/api/v1/devices/${d.id}/dead-letters?size=1`)
      .then((page) => {
        if (page.total) {
          chip.textContent = `${page.total} refused`;
          chip.hidden = false;
        }
      })
      .catch(() => {});
    return chip;
  }

  async function showDeadLetters(d) {
    let page;
    try {
      page = await api.get(`/api/v1/devices/${d.id}/dead-letters?size=100`);
    } catch (err) {
      return toast(errorMessage(err), 'error');
    }
    await formDialog({
      title: `Events of ${d.name} the server refused`,
      submitText: 'Close',
      testid: 'dead-letters',
      wide: true,
      body: h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table' },
          h('thead', {}, h('tr', {}, ['When', 'Event', 'Data', 'Reason'].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            page.items.map((e) =>
              h('tr', {}, h('td', { title: fullTime(e.occurred_at) }, relativeTime(e.occurred_at)), h('td', {}, e.type), h('td', {}, h('code', {}, JSON.stringify(e.data))), h('td', {}, e.error || '—')),
            ),
          ),
        ),
      ),
    });
  }

  function deviceBadge(d) {
    if (d.revoked_at) return h('span', { class: 'badge badge-danger' }, 'Revoked');
    return d.online ? h('span', { class: 'badge badge-success' }, 'Online') : h('span', { class: 'badge' }, 'Offline');
  }

  async function pairDevice() {
    const name = h('input', { name: 'name', required: true, maxlength: 150, autocomplete: 'off', 'data-testid': 'device-name', placeholder: 'Front desk PC' });
    const site = h('input', { name: 'site', maxlength: 150, autocomplete: 'off', 'data-testid': 'device-site', placeholder: 'Leeds' });
    const created = await formDialog({
      title: 'Pair a bridge',
      submitText: 'Create pairing code',
      testid: 'pair-form',
      body: [field('Name', name, { hint: 'The PC with the readers, as staff know it.' }), field('Site', site, { hint: 'Optional.' })],
      onSubmit: () => api.post('/api/v1/devices/pairing-codes', { name: name.value.trim(), site: site.value.trim() }),
    });
    if (!created) return;
    const server = window.location.origin;
    await formDialog({
      title: `Pairing code for ${created.name}`,
      submitText: 'Done',
      testid: 'pair-code',
      body: [
        h('p', {}, 'On the PC with the readers, run:'),
        h(
          'pre',
          { class: 'code-block', 'data-testid': 'pair-command', style: { whiteSpace: 'pre-wrap', wordBreak: 'break-all', userSelect: 'all' } },
          `rm365-bridge pair --server ${server} --code ${created.code}`,
        ),
        h('p', { 'data-testid': 'pair-code-value', style: { fontFamily: 'var(--mono)', fontSize: '1.8rem', fontWeight: '700', letterSpacing: '0.12em', textAlign: 'center', margin: '0.6rem 0' } }, created.code),
        h('p', { class: 'muted' }, `Single use, valid until ${fullTime(created.expires_at)}.`),
      ],
    });
    await loadDevices();
  }

  async function renameDevice(d) {
    const name = h('input', { name: 'name', required: true, maxlength: 150, value: d.name, 'data-testid': 'device-name' });
    const site = h('input', { name: 'site', maxlength: 150, value: d.site || '', 'data-testid': 'device-site' });
    const saved = await formDialog({
      title: `Rename ${d.name}`,
      testid: 'device-form',
      body: [field('Name', name), field('Site', site)],
      onSubmit: () => api.patch(`/api/v1/devices/${d.id}`, { name: name.value.trim(), site: site.value.trim() }),
    });
    if (saved) {
      toast(`Device ${saved.name} saved`, 'success');
      await loadDevices();
    }
  }

  async function revokeDevice(d) {
    const ok = await confirm({
      title: `Revoke ${d.name}?`,
      message: 'The bridge is disconnected now and its token is refused from then on. Pair it again with a new code to bring it back.',
      confirmText: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.post(`/api/v1/devices/${d.id}/revoke`);
      toast(`Device ${d.name} revoked`, 'success');
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
    await loadDevices();
  }

  async function deleteDevice(d) {
    const ok = await confirm({ title: `Delete ${d.name}?`, message: 'Its token stops working and its record is removed.', confirmText: 'Delete device', danger: true });
    if (!ok) return;
    try {
      await api.delete(`/api/v1/devices/${d.id}`);
      toast(`Device ${d.name} deleted`, 'success');
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
    await loadDevices();
  }

  /* ---------------------------------------------------------- refresh */

  async function refresh(manual = false) {
    refreshButton.disabled = true;
    await Promise.all([loadHealth(), loadPlugins(), loadDevices()]);
    if (!alive) return;
    refreshButton.disabled = false;
    if (manual) ctx.toast('System status refreshed', 'info');
  }

  // Devices come and go; keep the page current while it is open (and visible).
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') refresh();
  }, REFRESH_MS);
  ctx.realtime.on('devices.changed', () => loadDevices());

  await refresh();
  return () => {
    alive = false;
    clearInterval(timer);
  };
}

function spinner() {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…');
}

function errorText(err) {
  return h('p', { class: 'error-text', role: 'alert' }, `Could not load: ${errorMessage(err)}`);
}
