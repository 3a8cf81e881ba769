// shell.js — the web shell: login, the sidebar of the user's tabs, hash routing, tab mounting.

import { api, errorMessage } from './api.js';
import { colorFor, h, icon, initials, loadCss, replace, tabIcon } from './dom.js';
import { Realtime } from './realtime.js';
import { currentTheme, onThemeChange, toggleTheme } from './theme.js';
import { confirmDialog, field, formDialog, presenceBar, toast } from './ui.js';

const APP_NAME = 'RM365 Toolbox';
const app = document.getElementById('app');
const narrowScreen = matchMedia('(max-width: 900px)');

export const realtime = new Realtime({ getToken: () => api.accessToken, refresh: () => api.refresh() });

/** The signed-in user and their tabs; `user` is null while signed out. */
const session = {
  user: null,
  tabs: [],
  /** tab id -> {tab, parents: [ancestor tabs, root first]} */
  index: new Map(),
  granted: [],
};

let layout = null; // the app frame's elements while signed in
let mounted = null; // {id, unmount, scope} of the tab on screen
let navSeq = 0; // bumps on every navigation so a slow import cannot mount a stale tab
let loggingOut = false;
const cleanups = []; // listeners to drop at sign-out

/* ------------------------------------------------------------ permissions */

/** True when `granted` holds `id` itself, one of its ancestors, or every tab ("*"). */
export function holds(granted, id) {
  if (granted.includes('*')) return true;
  const parts = String(id).split('.');
  for (let i = 1; i <= parts.length; i += 1) {
    if (granted.includes(parts.slice(0, i).join('.'))) return true;
  }
  return false;
}

/** True when the signed-in user holds the registered tab `id`: the server resolves parents
 * (and explicit tabs, which a parent does not give) into the list it sends. */
function hasTab(id) {
  return session.granted.includes('*') || session.granted.includes(id);
}

function indexTabs(nodes, parents = []) {
  for (const tab of nodes) {
    session.index.set(tab.id, { tab, parents });
    indexTabs(tab.children || [], [...parents, tab]);
  }
}

/* ------------------------------------------------------------ boot */

async function boot() {
  api.onAuthLost((reason) => {
    if (!session.user || loggingOut) return;
    signOutLocally();
    showLogin({
      notice: reason === 'logout' ? 'You were signed out in another window.' : 'Your session has expired. Please sign in again.',
    });
  });
  window.addEventListener('hashchange', () => route());

  if (api.hasSession()) {
    try {
      await api.refresh();
      await enterApp();
      return;
    } catch (err) {
      // A refused refresh token was already cleared; a network error keeps it for a retry.
      showLogin({ error: err.status === 401 || err.status === 403 ? null : errorMessage(err) });
      return;
    }
  }
  showLogin();
}

/** Loads the user and their tabs, draws the app frame and shows the current route. */
async function enterApp() {
  const [me, tabs] = await Promise.all([api.get('/api/v1/auth/me'), api.get('/api/v1/tabs')]);
  session.user = me;
  session.tabs = Array.isArray(tabs) ? tabs : [];
  session.index = new Map();
  indexTabs(session.tabs);
  session.granted = [...new Set([...(me.allowed_tabs || []), ...session.index.keys()])];
  renderLayout();
  realtime.connect();
  route();
}

function signOutLocally() {
  unmountCurrent();
  realtime.disconnect();
  for (const off of cleanups.splice(0)) off();
  session.user = null;
  session.tabs = [];
  session.index = new Map();
  session.granted = [];
  layout = null;
  document.title = APP_NAME;
}

async function logout() {
  if (layout?.logout) layout.logout.disabled = true;
  loggingOut = true;
  try {
    await api.logout();
  } finally {
    loggingOut = false;
  }
  signOutLocally();
  // Drop the tab from the URL so the next person does not land on it.
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  showLogin({ notice: 'You have signed out.' });
}

/* ------------------------------------------------------------ login page */

function themeButton(extraClass = '') {
  const button = h('button', { type: 'button', class: `btn btn-icon btn-ghost theme-toggle ${extraClass}`, 'data-testid': 'theme-toggle' });
  let off = null;
  const draw = (theme) => {
    // Buttons are thrown away with their page; the first change after that unsubscribes.
    if (off && !button.isConnected) {
      off();
      return;
    }
    const next = theme === 'dark' ? 'light' : 'dark';
    button.setAttribute('aria-label', `Switch to ${next} theme`);
    button.title = `Switch to ${next} theme`;
    replace(button, icon(theme === 'dark' ? 'sun' : 'moon'));
  };
  draw(currentTheme());
  button.addEventListener('click', () => toggleTheme());
  off = onThemeChange(draw);
  return button;
}

function retryAfterSeconds(err) {
  const value = err.headers?.get?.('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(1, Math.ceil((date - Date.now()) / 1000));
}

function showLogin({ notice = null, error = null } = {}) {
  document.title = `Sign in · ${APP_NAME}`;
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'login-username' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const errorBox = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'login-error', hidden: !error }, error || '');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-testid': 'login-submit' }, 'Sign in');
  let lockedUntil = 0;

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
  };

  const lockFor = (seconds) => {
    lockedUntil = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((lockedUntil - Date.now()) / 1000);
      if (left <= 0 || !submit.isConnected) {
        submit.disabled = false;
        submit.textContent = 'Sign in';
        return;
      }
      submit.disabled = true;
      submit.textContent = `Try again in ${left}s`;
      setTimeout(tick, 1000);
    };
    tick();
  };

  const form = h(
    'form',
    {
      class: 'login-card',
      'data-testid': 'login-form',
      'aria-labelledby': 'login-title',
      onsubmit: async (event) => {
        event.preventDefault();
        if (submit.disabled) return;
        errorBox.hidden = true;
        submit.disabled = true;
        submit.classList.add('busy');
        try {
          await api.login(username.value.trim(), password.value);
          await enterApp();
        } catch (err) {
          session.user = null;
          submit.disabled = false;
          submit.classList.remove('busy');
          if (err.status === 401) {
            showError('Invalid username or password');
            password.select();
          } else if (err.status === 429) {
            const wait = retryAfterSeconds(err);
            showError(
              wait
                ? `Too many sign-in attempts. Try again in ${wait} second${wait === 1 ? '' : 's'}.`
                : 'Too many sign-in attempts. Wait a moment and try again.',
            );
            if (wait) lockFor(wait);
          } else {
            showError(errorMessage(err));
          }
        }
      },
    },
    h('div', { class: 'brand brand-login' }, h('img', { src: '/static/favicon.svg', alt: '', width: 36, height: 36 }), h('span', {}, 'RM365 ', h('b', {}, 'Toolbox'))),
    h('h1', { id: 'login-title' }, 'Sign in'),
    notice ? h('div', { class: 'notice', role: 'status', 'data-testid': 'login-notice' }, notice) : null,
    field('Username', username),
    field('Password', password),
    errorBox,
    submit,
  );

  replace(
    app,
    h(
      'div',
      { class: 'login-page', 'data-testid': 'login-page' },
      h('div', { class: 'login-corner' }, themeButton()),
      h('main', { class: 'login-main' }, form),
      h('p', { class: 'login-foot' }, 'Access is granted by your administrator.'),
    ),
  );
  username.focus();
}

/* ------------------------------------------------------------ app frame */

function navList(nodes, depth) {
  return h(
    'ul',
    { class: depth === 0 ? 'nav-list' : 'nav-sub', role: depth === 0 ? null : 'group' },
    nodes.map((tab) =>
      h(
        'li',
        { class: 'nav-item' },
        h(
          'a',
          { href: `#/${tab.id}`, class: 'nav-link', 'data-testid': `nav-${tab.id}`, 'data-tab': tab.id, style: { '--depth': depth } },
          tabIcon(tab),
          h('span', { class: 'nav-label' }, tab.title),
        ),
        tab.children?.length ? navList(tab.children, depth + 1) : null,
      ),
    ),
  );
}

function setSidebarOpen(open) {
  if (!layout) return;
  layout.root.classList.toggle('sidebar-open', open);
  layout.menu.setAttribute('aria-expanded', String(open));
  if (open) layout.sidebar.querySelector('a')?.focus();
}

function renderLayout() {
  const user = session.user;
  const menu = h(
    'button',
    { type: 'button', class: 'btn btn-icon btn-ghost menu-toggle', 'aria-label': 'Open menu', 'aria-controls': 'sidebar', 'aria-expanded': 'false', 'data-testid': 'menu-toggle' },
    icon('menu'),
  );
  const logoutButton = h(
    'button',
    { type: 'button', class: 'btn btn-ghost logout', 'data-testid': 'logout', title: 'Sign out' },
    icon('logout'),
    h('span', {}, 'Sign out'),
  );
  const status = h('span', { class: 'rt-status', 'data-testid': 'realtime-status', role: 'status' });
  const crumbs = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb', 'data-testid': 'breadcrumbs' });
  const view = h('main', { class: 'view', id: 'view', tabindex: '-1', 'data-testid': 'view' });
  const sidebar = h(
    'aside',
    { class: 'sidebar', id: 'sidebar', 'data-testid': 'sidebar' },
    h('a', { class: 'brand', href: '#/' }, h('img', { src: '/static/favicon.svg', alt: '', width: 28, height: 28 }), h('span', {}, 'RM365 ', h('b', {}, 'Toolbox'))),
    h(
      'nav',
      { class: 'nav', 'aria-label': 'Tabs' },
      h('ul', { class: 'nav-list' }, h('li', { class: 'nav-item' }, h('a', { href: '#/', class: 'nav-link', 'data-testid': 'nav-home', 'data-tab': '' }, icon('home'), h('span', { class: 'nav-label' }, 'Home')))),
      session.tabs.length ? navList(session.tabs, 0) : h('p', { class: 'nav-empty' }, 'No tabs granted yet.'),
    ),
    h(
      'div',
      { class: 'sidebar-foot' },
      h(
        'div',
        { class: 'user-chip', 'data-testid': 'current-user' },
        h('span', { class: 'avatar', style: { '--avatar': colorFor(user.username) }, 'aria-hidden': 'true' }, initials(user.username)),
        h('span', { class: 'user-text' }, h('span', { class: 'user-name', 'data-testid': 'current-username' }, user.username), h('span', { class: 'user-role', 'data-testid': 'current-role' }, user.role || '')),
      ),
      h('div', { class: 'sidebar-actions' }, themeButton(), logoutButton),
    ),
  );
  const backdrop = h('div', { class: 'backdrop', 'aria-hidden': 'true' });
  const root = h(
    'div',
    { class: 'app', 'data-testid': 'app' },
    sidebar,
    backdrop,
    h('header', { class: 'topbar' }, menu, crumbs, h('div', { class: 'topbar-spacer' }), status),
    view,
  );
  layout = { root, sidebar, view, crumbs, status, menu, logout: logoutButton };

  menu.addEventListener('click', () => setSidebarOpen(!root.classList.contains('sidebar-open')));
  backdrop.addEventListener('click', () => setSidebarOpen(false));
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && root.classList.contains('sidebar-open')) {
      setSidebarOpen(false);
      menu.focus();
    }
  });
  logoutButton.addEventListener('click', logout);

  const drawStatus = (value) => {
    const text = { online: 'Live', connecting: 'Connecting…', offline: 'Offline' }[value] || value;
    status.dataset.status = value;
    status.title = value === 'online' ? 'Live updates are on' : 'Live updates are paused; reconnecting';
    replace(status, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'rt-text' }, text));
  };
  drawStatus(realtime.status);
  cleanups.push(realtime.onStatus(drawStatus));

  replace(app, root);
}

function markActive(id) {
  if (!layout) return;
  const ancestors = new Set((session.index.get(id)?.parents || []).map((t) => t.id));
  for (const link of layout.sidebar.querySelectorAll('.nav-link')) {
    const tab = link.dataset.tab;
    if (tab === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
    link.classList.toggle('in-path', ancestors.has(tab));
  }
}

function setCrumbs(items) {
  replace(
    layout.crumbs,
    h(
      'ol',
      {},
      items.map((item, i) =>
        h('li', {}, i === items.length - 1 ? h('span', { 'aria-current': 'page' }, item.title) : h('a', { href: item.href }, item.title)),
      ),
    ),
  );
}

/* ------------------------------------------------------------ routing */

function parseHash() {
  let raw = location.hash.replace(/^#\/?/, '');
  try {
    raw = decodeURIComponent(raw);
  } catch {
    /* keep it as typed */
  }
  const [path, query = ''] = raw.split('?');
  const [id = '', ...rest] = path.split('/').filter(Boolean);
  return { id, path: rest, query: new URLSearchParams(query) };
}

function unmountCurrent() {
  const current = mounted;
  mounted = null;
  if (!current) return;
  try {
    current.unmount?.();
  } catch (err) {
    console.error(`unmounting tab ${current.id} failed`, err);
  }
  current.scope.dispose();
}

function route() {
  if (!session.user || !layout) return;
  const seq = ++navSeq;
  unmountCurrent();
  setSidebarOpen(false);
  const where = parseHash();
  markActive(where.id);
  const home = { title: 'Home', href: '#/' };

  if (!where.id) {
    setCrumbs([home]);
    document.title = APP_NAME;
    replace(layout.view, landingPage());
    return;
  }

  const entry = session.index.get(where.id);
  if (!entry) {
    // Not in this user's tree. Never load anything for it: the server would refuse the data
    // anyway, but the page should not even try.
    setCrumbs([home, { title: 'No access' }]);
    document.title = `No access · ${APP_NAME}`;
    replace(layout.view, hasTab(where.id) ? notFoundPage(where.id) : accessDeniedPage(where.id));
    return;
  }

  const { tab, parents } = entry;
  setCrumbs([home, ...parents.map((p) => ({ title: p.title, href: `#/${p.id}` })), { title: tab.title }]);
  document.title = `${tab.title} · ${APP_NAME}`;
  const actions = h('div', { class: 'page-actions' });
  const host = h('div', { class: 'tab-host', 'data-tab': tab.id });
  replace(
    layout.view,
    h(
      'div',
      { class: 'page', 'data-testid': `page-${tab.id}` },
      h('header', { class: 'page-head' }, h('div', { class: 'page-title' }, tabIcon(tab, { size: 22 }), h('h1', { tabindex: '-1' }, tab.title)), actions),
      host,
    ),
  );

  if (tab.module) {
    mountModule(tab, host, actions, where, seq);
  } else if (tab.children?.length) {
    host.append(h('div', { class: 'cards' }, tab.children.map(tabCard)));
  } else {
    host.append(emptyState('grid', 'Nothing here yet', 'This tab has no page of its own.'));
  }
}

function moduleUrl(module) {
  const url = new URL(module, `${location.origin}/`);
  // Tab pages run with the user's token: only ever load them from this server.
  if (url.origin !== location.origin) throw new Error(`Refusing to load a tab module from ${url.origin}`);
  return url.href;
}

async function mountModule(tab, host, actions, where, seq) {
  host.append(h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…'));
  let mod;
  try {
    mod = await import(moduleUrl(tab.module));
    if (typeof mod.mount !== 'function') throw new Error(`${tab.module} does not export mount(element, ctx)`);
  } catch (err) {
    if (seq !== navSeq) return;
    console.error(err);
    replace(host, tabError(tab, err));
    return;
  }
  if (seq !== navSeq) return; // the user moved on while the module loaded

  const scope = makeScope();
  const entry = { id: tab.id, unmount: null, scope };
  mounted = entry;
  host.replaceChildren();
  try {
    const result = await mod.mount(host, makeContext(tab, scope, actions, where));
    if (typeof result === 'function') {
      if (mounted === entry) entry.unmount = result;
      else result(); // navigated away during an async mount
    }
  } catch (err) {
    console.error(err);
    if (mounted === entry) replace(host, tabError(tab, err));
  }
}

/** What a mounted tab owns: realtime handlers, rooms and presence bars, all released on unmount. */
function makeScope() {
  const rt = realtime.scope();
  const presences = [];
  return {
    realtime: rt,
    presences,
    dispose() {
      for (const p of presences.splice(0)) p.stop();
      rt.dispose();
    },
  };
}

function makeContext(tab, scope, actions, where) {
  const user = { ...session.user, allowed_tabs: [...(session.user.allowed_tabs || [])] };
  return {
    api,
    realtime: scope.realtime,
    toast,
    confirm: confirmDialog,
    user,
    tabs: session.tabs,
    tab,
    hasTab,
    route: where,
    /** The element in the page header for a tab's buttons (e.g. "New user"). */
    actions,
    navigate: (id) => {
      location.hash = `#/${id}`;
    },
    ui: { h, icon, formDialog, field, presenceBar, loadCss },
    /**
     * Joins `room`, tells it what this user is doing (default: viewing this tab) and draws
     * who else is there into `element`. Returns {update(state), stop(), element}.
     */
    presence(room, element, state = { viewing: tab.id }) {
      const bar = presenceBar(element, { me: session.user?.username });
      bar.element.dataset.room = room;
      let stopped = false;
      const off = scope.realtime.on('presence', (payload) => {
        if (payload?.room === room) bar.render(payload.users, payload.count);
      });
      scope.realtime.join(room).then(
        () => bar.render(realtime.presenceOf(room)),
        (err) => {
          console.warn(`presence: cannot join ${room}`, err);
          bar.element.dataset.error = err.message;
        },
      );
      realtime.setPresence(room, state).catch(() => {});
      bar.render(realtime.presenceOf(room));
      const handle = {
        element: bar.element,
        update(next) {
          if (stopped) return Promise.resolve();
          return realtime.setPresence(room, next).catch(() => {});
        },
        stop() {
          if (stopped) return;
          stopped = true;
          off();
          scope.realtime.leave(room);
          bar.remove();
          const i = scope.presences.indexOf(handle);
          if (i >= 0) scope.presences.splice(i, 1);
        },
      };
      scope.presences.push(handle);
      return handle;
    },
  };
}

/* ------------------------------------------------------------ pages */

function tabCard(tab) {
  const sub = tab.children?.length ? tab.children.map((c) => c.title).join(' · ') : tab.description || '';
  return h(
    'a',
    { class: 'card card-link', href: `#/${tab.id}`, 'data-testid': `card-${tab.id}` },
    h('span', { class: 'card-icon' }, tabIcon(tab, { size: 24 })),
    h('span', { class: 'card-body' }, h('span', { class: 'card-title' }, tab.title), sub ? h('span', { class: 'card-sub' }, sub) : null),
    icon('chevron', { className: 'icon card-chevron' }),
  );
}

function emptyState(iconName, title, text, ...extra) {
  return h('div', { class: 'empty' }, icon(iconName, { size: 32 }), h('h2', {}, title), text ? h('p', {}, text) : null, ...extra);
}

function landingPage() {
  const { username, role } = session.user;
  return h(
    'section',
    { class: 'landing', 'data-testid': 'landing' },
    h(
      'div',
      { class: 'hero' },
      h('h1', { tabindex: '-1' }, `Welcome, ${username}`),
      h('p', {}, role ? `Signed in with the ${role} role. Pick a tool to start.` : 'Pick a tool to start.'),
    ),
    session.tabs.length
      ? h('div', { class: 'cards' }, session.tabs.map(tabCard))
      : emptyState('lock', 'No tabs yet', 'Your account has no tabs. Ask an administrator to grant you access.'),
  );
}

function accessDeniedPage(id) {
  return h(
    'section',
    { class: 'state-page', 'data-testid': 'access-denied' },
    h('span', { class: 'state-icon' }, icon('lock', { size: 40 })),
    h('h1', { tabindex: '-1' }, 'You do not have access to this tab'),
    h('p', {}, `“${id}” is not one of your tabs. Ask an administrator if you need it.`),
    h('a', { class: 'btn btn-primary', href: '#/' }, 'Back to home'),
  );
}

function notFoundPage(id) {
  return h(
    'section',
    { class: 'state-page', 'data-testid': 'not-found' },
    h('span', { class: 'state-icon' }, icon('info', { size: 40 })),
    h('h1', { tabindex: '-1' }, 'This tab does not exist'),
    h('p', {}, `There is no tab “${id}” on this site; its plugin may be disabled.`),
    h('a', { class: 'btn btn-primary', href: '#/' }, 'Back to home'),
  );
}

function tabError(tab, err) {
  return h(
    'div',
    { class: 'panel panel-error', role: 'alert', 'data-testid': 'tab-error' },
    h('h2', {}, `“${tab.title}” could not be opened`),
    h('p', {}, errorMessage(err)),
    h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => route() }, icon('refresh'), 'Try again'),
  );
}

/* ------------------------------------------------------------ start */

narrowScreen.addEventListener('change', () => setSidebarOpen(false));
boot().catch((err) => {
  console.error(err);
  showLogin({ error: errorMessage(err) });
});

// For debugging in the console and for browser tests; tabs get everything through ctx.
window.rm365 = { realtime };
