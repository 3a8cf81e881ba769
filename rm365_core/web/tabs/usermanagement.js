// tabs/usermanagement.js — the kernel's "usermanagement" tab: users and roles and the tabs they grant.

import { errorMessage } from '../api.js';
import { fullTime, h, icon, relativeTime, replace } from '../dom.js';
import { field, formDialog } from '../ui.js';
import { tabPicker, tabTitles } from './tabpicker.js';

const enc = encodeURIComponent;
const ADMIN_ROLE = 'admin';

export async function mount(element, ctx) {
  const { api, toast, confirm } = ctx;
  const me = ctx.user.username;
  const state = { users: [], roles: [], tree: [], titles: new Map() };
  let alive = true;

  // Who else is managing users right now, in the page header.
  const presence = ctx.presence('usermanagement', ctx.actions);

  const usersBody = h('div', { class: 'panel-body-flush' }, loadingRow());
  const rolesBody = h('div', { class: 'panel-body-flush' }, loadingRow());
  const usersCount = h('span', { class: 'sub' });
  const rolesCount = h('span', { class: 'sub' });
  const filter = h('input', { type: 'search', placeholder: 'Filter users', 'aria-label': 'Filter users', class: 'filter', 'data-testid': 'users-filter' });
  filter.addEventListener('input', () => drawUsers());
  // The forms need the roles and the tab tree: the buttons wait for them (a form opened
  // earlier would offer no role and refuse to submit).
  const newUser = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'new-user', disabled: true, title: 'Loading roles…', onclick: () => editUser(null) }, icon('plus'), 'New user');
  const newRole = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'new-role', disabled: true, title: 'Loading tabs…', onclick: () => editRole(null) }, icon('plus'), 'New role');

  element.append(
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'um-users' },
      h(
        'div',
        { class: 'panel-head' },
        h('h2', { id: 'um-users' }, 'Users', usersCount),
        h(
          'div',
          { class: 'toolbar' },
          filter,
          newUser,
        ),
      ),
      usersBody,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'um-roles' },
      h(
        'div',
        { class: 'panel-head' },
        h('h2', { id: 'um-roles' }, 'Roles', rolesCount),
        newRole,
      ),
      rolesBody,
    ),
  );

  /* ---------------------------------------------------------- data */

  async function load() {
    const [users, roles, tree] = await Promise.allSettled([
      api.get('/api/v1/users'),
      api.get('/api/v1/roles'),
      api.get('/api/v1/tabs?all=true'),
    ]);
    if (!alive) return;
    if (tree.status === 'fulfilled') {
      state.tree = tree.value || [];
      state.titles = tabTitles(state.tree);
    }
    const ready = tree.status === 'fulfilled' && roles.status === 'fulfilled';
    for (const button of [newUser, newRole]) {
      button.disabled = !ready;
      button.title = ready ? '' : 'Roles or tabs could not be loaded';
    }
    if (users.status === 'fulfilled') {
      state.users = users.value || [];
      drawUsers();
    } else {
      replace(usersBody, loadError(users.reason));
    }
    if (roles.status === 'fulfilled') {
      state.roles = roles.value || [];
      drawRoles();
      if (users.status === 'fulfilled') drawUsers(); // role names feed the users table
    } else {
      replace(rolesBody, loadError(roles.reason));
    }
  }

  // Other admins' changes, when the server announces them.
  let reloadTimer = null;
  const reloadSoon = () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => load().catch(() => {}), 150);
  };
  ctx.realtime.on('users.changed', reloadSoon);
  ctx.realtime.on('roles.changed', reloadSoon);

  /* ---------------------------------------------------------- drawing */

  function tabChips(tabs) {
    if (!tabs?.length) return h('span', { class: 'cell-empty' }, '—');
    return h(
      'div',
      { class: 'chips' },
      tabs.map((id) =>
        id === '*'
          ? h('span', { class: 'chip chip-all', title: 'Every tab' }, 'all tabs')
          : h('span', { class: 'chip', title: state.titles.get(id) || 'Not on this site' }, id),
      ),
    );
  }

  function drawUsers() {
    const q = filter.value.trim().toLowerCase();
    const rows = state.users.filter((u) => !q || u.username.toLowerCase().includes(q) || String(u.role).toLowerCase().includes(q));
    usersCount.textContent = `(${state.users.length})`;
    if (!state.users.length) {
      replace(usersBody, h('div', { class: 'empty' }, h('p', {}, 'No users yet.')));
      return;
    }
    replace(
      usersBody,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table', 'data-testid': 'users-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Username'), h('th', {}, 'Role'), h('th', {}, 'Extra tabs'), h('th', {}, 'Status'), h('th', { class: 'actions' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          h(
            'tbody',
            {},
            rows.map((user) => {
              const self = user.username === me;
              const active = user.active !== false;
              return h(
                'tr',
                { 'data-testid': `user-row-${user.username}`, class: active ? '' : 'inactive' },
                h(
                  'td',
                  {},
                  h('div', { class: 'cell-strong' }, user.username, self ? h('span', { class: 'badge badge-info tag' }, 'you') : null),
                  h('div', { class: 'cell-sub', title: fullTime(user.last_login_at) }, user.last_login_at ? `Last sign-in ${relativeTime(user.last_login_at)}` : 'Never signed in'),
                ),
                h('td', {}, user.role || '—'),
                h('td', {}, tabChips(user.allowed_tabs)),
                h('td', {}, active ? h('span', { class: 'badge badge-success' }, 'Active') : h('span', { class: 'badge' }, 'Disabled')),
                h(
                  'td',
                  { class: 'actions' },
                  h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-testid': `edit-user-${user.username}`, onclick: () => editUser(user) }, icon('edit', { size: 16 }), 'Edit'),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn btn-ghost btn-sm',
                      'data-testid': `toggle-user-${user.username}`,
                      disabled: self,
                      title: self ? 'You cannot disable your own account' : null,
                      onclick: () => setActive(user, !active),
                    },
                    icon('power', { size: 16 }),
                    active ? 'Disable' : 'Enable',
                  ),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn btn-ghost btn-sm danger',
                      'data-testid': `delete-user-${user.username}`,
                      disabled: self,
                      title: self ? 'You cannot delete your own account' : null,
                      onclick: () => deleteUser(user),
                    },
                    icon('trash', { size: 16 }),
                    'Delete',
                  ),
                ),
              );
            }),
          ),
        ),
      ),
    );
  }

  function drawRoles() {
    rolesCount.textContent = `(${state.roles.length})`;
    if (!state.roles.length) {
      replace(rolesBody, h('div', { class: 'empty' }, h('p', {}, 'No roles yet.')));
      return;
    }
    const members = new Map();
    for (const user of state.users) members.set(user.role, (members.get(user.role) || 0) + 1);
    replace(
      rolesBody,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table', 'data-testid': 'roles-table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Role'), h('th', {}, 'Tabs'), h('th', {}, 'Users'), h('th', { class: 'actions' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          h(
            'tbody',
            {},
            state.roles.map((role) =>
              h(
                'tr',
                { 'data-testid': `role-row-${role.name}` },
                h('td', {}, h('span', { class: 'cell-strong' }, role.name), role.builtin ? h('span', { class: 'badge tag' }, 'built-in') : null),
                h('td', {}, tabChips(role.allowed_tabs)),
                h('td', {}, String(members.get(role.name) || 0)),
                h(
                  'td',
                  { class: 'actions' },
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn btn-ghost btn-sm',
                      'data-testid': `edit-role-${role.name}`,
                      // The server keeps the admin role on every tab ("*") and refuses edits.
                      disabled: role.name === ADMIN_ROLE,
                      title: role.name === ADMIN_ROLE ? 'The admin role always holds every tab' : null,
                      onclick: () => editRole(role),
                    },
                    icon('edit', { size: 16 }),
                    'Edit',
                  ),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn btn-ghost btn-sm danger',
                      'data-testid': `delete-role-${role.name}`,
                      disabled: Boolean(role.builtin),
                      title: role.builtin ? 'Built-in roles cannot be deleted' : null,
                      onclick: () => deleteRole(role),
                    },
                    icon('trash', { size: 16 }),
                    'Delete',
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  /* ---------------------------------------------------------- users */

  function roleSelect(current) {
    const names = state.roles.map((r) => r.name);
    if (current && !names.includes(current)) names.push(current);
    const fallback = names.includes('user') ? 'user' : names[0];
    return h(
      'select',
      { name: 'role', required: true, 'data-testid': 'user-role' },
      names.map((name) => h('option', { value: name, selected: name === (current || fallback) }, name)),
    );
  }

  async function editUser(user) {
    const creating = !user;
    const username = h('input', {
      name: 'username',
      required: true,
      maxlength: 150,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      'data-testid': 'user-username',
      value: user?.username ?? '',
      disabled: !creating,
    });
    const password = h('input', {
      name: 'password',
      type: 'password',
      autocomplete: 'new-password',
      minlength: 8,
      required: creating,
      'data-testid': 'user-password',
      placeholder: creating ? '' : 'Leave empty to keep the current one',
    });
    const role = roleSelect(user?.role);
    const active = h('input', { type: 'checkbox', name: 'active', checked: user ? user.active !== false : true, 'data-testid': 'user-active' });
    const picker = tabPicker(state.tree, user?.allowed_tabs || [], { label: 'Extra tabs' });

    if (!creating) presence.update({ viewing: 'usermanagement', editing: `user ${user.username}` });
    await formDialog({
      title: creating ? 'New user' : `Edit ${user.username}`,
      submitText: creating ? 'Create user' : 'Save changes',
      testid: 'user-form',
      wide: true,
      body: [
        h('div', { class: 'form-row' }, field('Username', username, { hint: creating ? 'Letters, digits and _ . @ -' : null }),
          field('Password', password, { hint: creating ? 'At least 8 characters.' : 'Changing it signs the user out everywhere.' }),
        ),
        h('div', { class: 'form-row' }, field('Role', role), h('div', { class: 'field' }, h('label', {}, 'Status'), h('label', { class: 'check' }, active, 'Active (may sign in)'))),
        h('div', { class: 'field' }, h('label', {}, 'Extra tabs, on top of the role\u2019s'), picker.element),
      ],
      onClose: () => {
        if (!creating) presence.update({ viewing: 'usermanagement' });
      },
      onSubmit: async () => {
        if (creating) {
          const body = { username: username.value.trim(), password: password.value, role: role.value, allowed_tabs: picker.value(), active: active.checked };
          await api.post('/api/v1/users', body);
          toast(`User ${body.username} created`, 'success');
        } else {
          const changes = {};
          if (role.value !== user.role) changes.role = role.value;
          if (active.checked !== (user.active !== false)) changes.active = active.checked;
          const tabs = picker.value();
          if (!sameSet(tabs, user.allowed_tabs || [])) changes.allowed_tabs = tabs;
          if (password.value) changes.password = password.value;
          if (!Object.keys(changes).length) return true;
          await api.patch(`/api/v1/users/${enc(user.username)}`, changes);
          toast(`User ${user.username} saved`, 'success');
        }
        await load();
        return true;
      },
    });
  }

  async function setActive(user, active) {
    try {
      await api.patch(`/api/v1/users/${enc(user.username)}`, { active });
      toast(`User ${user.username} ${active ? 'enabled' : 'disabled'}`, 'success');
      await load();
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  }

  async function deleteUser(user) {
    const ok = await confirm({
      title: `Delete ${user.username}?`,
      message: `The account "${user.username}" will be removed and signed out everywhere. This cannot be undone; disabling keeps it instead.`,
      confirmText: 'Delete user',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/api/v1/users/${enc(user.username)}`);
      toast(`User ${user.username} deleted`, 'success');
      await load();
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  }

  /* ---------------------------------------------------------- roles */

  async function editRole(role) {
    const creating = !role;
    const name = h('input', {
      name: 'name',
      required: true,
      maxlength: 64,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      'data-testid': 'role-name',
      value: role?.name ?? '',
      disabled: !creating,
    });
    const picker = tabPicker(state.tree, role?.allowed_tabs || [], { label: 'Tabs of this role' });
    if (!creating) presence.update({ viewing: 'usermanagement', editing: `role ${role.name}` });
    await formDialog({
      title: creating ? 'New role' : `Edit role ${role.name}`,
      submitText: creating ? 'Create role' : 'Save changes',
      testid: 'role-form',
      wide: true,
      body: [field('Name', name, { hint: creating ? 'Lower-case letters, digits and _ . -' : null }), h('div', { class: 'field' }, h('label', {}, 'Tabs'), picker.element)],
      onClose: () => {
        if (!creating) presence.update({ viewing: 'usermanagement' });
      },
      onSubmit: async () => {
        const tabs = picker.value();
        if (creating) {
          await api.post('/api/v1/roles', { name: name.value.trim(), allowed_tabs: tabs });
          toast(`Role ${name.value.trim()} created`, 'success');
        } else {
          if (sameSet(tabs, role.allowed_tabs || [])) return true;
          await api.patch(`/api/v1/roles/${enc(role.name)}`, { allowed_tabs: tabs });
          toast(`Role ${role.name} saved`, 'success');
        }
        await load();
        return true;
      },
    });
  }

  async function deleteRole(role) {
    const inUse = state.users.filter((u) => u.role === role.name).length;
    const ok = await confirm({
      title: `Delete role ${role.name}?`,
      message: inUse
        ? `${inUse} user${inUse === 1 ? ' has' : 's have'} this role; the server may refuse until they have another one.`
        : `The role "${role.name}" will be removed. This cannot be undone.`,
      confirmText: 'Delete role',
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/api/v1/roles/${enc(role.name)}`);
      toast(`Role ${role.name} deleted`, 'success');
      await load();
    } catch (err) {
      toast(errorMessage(err), 'error');
    }
  }

  /* ---------------------------------------------------------- start */

  await load();
  return () => {
    alive = false;
    clearTimeout(reloadTimer);
  };
}

function sameSet(a, b) {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

function loadingRow() {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…');
}

function loadError(err) {
  return h('div', { class: 'panel-body' }, h('p', { class: 'error-text', role: 'alert' }, `Could not load: ${errorMessage(err)}`));
}
