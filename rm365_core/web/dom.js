// dom.js — tiny DOM helpers shared by the shell and the tabs: h(), icons, formatting.

/**
 * Creates an element. Text children become text nodes (never HTML), so server data
 * can be passed straight in without escaping.
 *
 *   h('button', {class: 'btn', onclick: save, 'data-testid': 'save'}, 'Save')
 *
 * Attributes: `class`, `style` (string or object), `on<event>` (listener), `dataset`,
 * booleans (true sets, false/null omits), and DOM properties for `value`/`checked`.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) {
        if (prop.startsWith('--')) el.style.setProperty(prop, v);
        else el.style[prop] = v;
      }
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' || key === 'checked' || key === 'indeterminate') {
      el[key] = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, strings, numbers, nested arrays; null/false skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Removes every child of `el` and appends `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Icons: simple 24x24 stroked outlines drawn for this project (no icon library needed).
const ICONS = {
  home: ['M3 11l9-7 9 7', 'M5 10v10h14V10', 'M10 20v-6h4v6'],
  users: ['C 9 8 3.5', 'M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6', 'C 17 9 2.5', 'M16.5 14.2c2.8.3 5 2.3 5 5.8'],
  user: ['C 12 8 4', 'M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7'],
  shield: ['M12 3l8 3v6c0 4.5-3.4 8-8 9-4.6-1-8-4.5-8-9V6z', 'M8.5 12l2.5 2.5 4.5-5'],
  system: ['M4 4h16v6H4z', 'M4 14h16v6H4z', 'M7.5 7h.01', 'M7.5 17h.01', 'M11 7h6', 'M11 17h6'],
  settings: ['C 12 12 3', 'M12 2v3', 'M12 19v3', 'M2 12h3', 'M19 12h3', 'M4.9 4.9l2.1 2.1', 'M17 17l2.1 2.1', 'M4.9 19.1L7 17', 'M17 7l2.1-2.1'],
  box: ['M3 7.5L12 3l9 4.5v9L12 21l-9-4.5z', 'M3 7.5l9 4.5 9-4.5', 'M12 12v9'],
  inventory: ['M3 7.5L12 3l9 4.5v9L12 21l-9-4.5z', 'M3 7.5l9 4.5 9-4.5', 'M12 12v9'],
  clock: ['C 12 12 9', 'M12 7v5l3.5 2'],
  attendance: ['C 12 12 9', 'M12 7v5l3.5 2'],
  fingerprint: ['M6 17c1.2-1.6 1.5-3.3 1.5-5a4.5 4.5 0 019 0c0 2.5-.4 4.8-1.5 7', 'M12 12c0 3-.8 5.6-2.5 8', 'M3.5 13.5c.4-1.3.5-2.3.5-3.5a8 8 0 0116 0c0 1.4-.1 2.8-.4 4.2', 'M19.1 18.5c-.2.6-.4 1.2-.7 1.8'],
  enrollment: ['M6 17c1.2-1.6 1.5-3.3 1.5-5a4.5 4.5 0 019 0c0 2.5-.4 4.8-1.5 7', 'M12 12c0 3-.8 5.6-2.5 8', 'M3.5 13.5c.4-1.3.5-2.3.5-3.5a8 8 0 0116 0c0 1.4-.1 2.8-.4 4.2'],
  tag: ['M3 12V4h8l10 10-8 8z', 'C 7.5 8 1.2'],
  labels: ['M3 12V4h8l10 10-8 8z', 'C 7.5 8 1.2'],
  chart: ['M4 20V4', 'M4 20h16', 'M8 16v-5', 'M12 16V8', 'M16 16v-3', 'M20 16V6'],
  salesdata: ['M4 20V4', 'M4 20h16', 'M8 16v-5', 'M12 16V8', 'M16 16v-3', 'M20 16V6'],
  cart: ['M3 4h2.5l2.2 11h10.8L21 7.5H6.6', 'C 9.5 19.5 1.3', 'C 17 19.5 1.3'],
  magento: ['M3 4h2.5l2.2 11h10.8L21 7.5H6.6', 'C 9.5 19.5 1.3', 'C 17 19.5 1.3'],
  barcode: ['M4 5v14', 'M7 5v14', 'M11 5v14', 'M13 5v14', 'M17 5v14', 'M20 5v14'],
  device: ['M5 4h14v11H5z', 'M9 19h6', 'M12 15v4'],
  folder: ['M3 6.5V19h18V8.5h-9l-2-2z'],
  logout: ['M14 4h5v16h-5', 'M10 8l-4 4 4 4', 'M6 12h10'],
  sun: ['C 12 12 4', 'M12 2v2', 'M12 20v2', 'M2 12h2', 'M20 12h2', 'M4.9 4.9l1.4 1.4', 'M17.7 17.7l1.4 1.4', 'M4.9 19.1l1.4-1.4', 'M17.7 6.3l1.4-1.4'],
  moon: ['M20 14.5A8 8 0 019.5 4 8 8 0 1020 14.5z'],
  menu: ['M4 6h16', 'M4 12h16', 'M4 18h16'],
  lock: ['M6 11h12v10H6z', 'M8.5 11V7.5a3.5 3.5 0 017 0V11'],
  plus: ['M12 5v14', 'M5 12h14'],
  edit: ['M4 20h4L19 9l-4-4L4 16z', 'M13.5 6.5l4 4'],
  trash: ['M4 7h16', 'M9 7V4h6v3', 'M6.5 7l1 13h9l1-13', 'M10 11v5', 'M14 11v5'],
  refresh: ['M20 12a8 8 0 01-14.3 4.9', 'M4 12a8 8 0 0114.3-4.9', 'M18.5 3.5v3.6h-3.6', 'M5.5 20.5v-3.6h3.6'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  x: ['M6 6l12 12', 'M18 6L6 18'],
  alert: ['M12 3.5L2.5 20h19z', 'M12 10v4.5', 'M12 17.5h.01'],
  info: ['C 12 12 9', 'M12 11v5.5', 'M12 7.5h.01'],
  power: ['M12 3v8', 'M7 6.3a7.5 7.5 0 1010 0'],
  chevron: ['M9 6l6 6-6 6'],
  grid: ['M4 4h7v7H4z', 'M13 4h7v7h-7z', 'M4 13h7v7H4z', 'M13 13h7v7h-7z'],
};

const SVG_NS = 'http://www.w3.org/2000/svg';

/** True when `name` is one of the built-in icons. */
export function hasIcon(name) {
  return Object.hasOwn(ICONS, name);
}

/** An inline SVG icon (decorative: hidden from screen readers). */
export function icon(name, { size = 18, className = 'icon' } = {}) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '1.8');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', className);
  for (const spec of ICONS[name] || ICONS.grid) {
    // "C cx cy r" draws a circle; anything else is path data.
    if (spec.startsWith('C ')) {
      const [cx, cy, r] = spec.slice(2).split(' ');
      const circle = document.createElementNS(SVG_NS, 'circle');
      circle.setAttribute('cx', cx);
      circle.setAttribute('cy', cy);
      circle.setAttribute('r', r);
      svg.append(circle);
    } else {
      const path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', spec);
      svg.append(path);
    }
  }
  return svg;
}

/**
 * The icon for a tab: its `icon` when it names a built-in icon, the text itself when it
 * is an emoji or a short symbol, else an icon named like the tab's plugin or top-level id.
 */
export function tabIcon(tab, opts) {
  const name = (tab.icon || '').trim();
  if (name && hasIcon(name)) return icon(name, opts);
  if (name && name.length <= 4 && /[^\x20-\x7e]/.test(name)) {
    return h('span', { class: 'icon icon-text', 'aria-hidden': 'true' }, name);
  }
  const root = tab.id.split('.')[0];
  if (hasIcon(root)) return icon(root, opts);
  if (tab.plugin && hasIcon(tab.plugin)) return icon(tab.plugin, opts);
  return icon('grid', opts);
}

/** Up to two initials of a name ("anna.smith" -> "AS", "bob" -> "BO"). */
export function initials(name) {
  const parts = String(name || '?').split(/[\s._-]+/).filter(Boolean);
  if (parts.length >= 2) return (parts[0][0] + parts[1][0]).toUpperCase();
  return String(name || '?').slice(0, 2).toUpperCase();
}

/** A stable colour for a name, for when the server does not send one. */
export function colorFor(name) {
  let hash = 0;
  for (const ch of String(name)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 62% 46%)`;
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago" for an ISO date string (or "never" when empty). */
export function relativeTime(value) {
  if (!value) return 'never';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const units = [
    ['year', 31_536_000],
    ['month', 2_592_000],
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return Math.abs(seconds) < 10 ? 'just now' : relativeFormat.format(seconds, 'second');
}

/** A full local date and time, for tooltips. */
export function fullTime(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** Adds a stylesheet to the page once (tabs bring their own CSS this way). */
export function loadCss(href) {
  const url = new URL(href, document.baseURI).href;
  const existing = [...document.querySelectorAll('link[rel="stylesheet"]')].find((link) => link.href === url);
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const link = h('link', { rel: 'stylesheet', href: url });
    link.addEventListener('load', () => resolve(link), { once: true });
    link.addEventListener('error', () => reject(new Error(`Cannot load ${href}`)), { once: true });
    document.head.append(link);
  });
}
