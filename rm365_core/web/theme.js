// theme.js — the dark/light theme: the saved choice, else the system preference.

const KEY = 'rm365.theme';
const systemDark = matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set();

function saved() {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'dark' || value === 'light' ? value : null;
  } catch {
    return null;
  }
}

function apply(theme) {
  document.documentElement.dataset.theme = theme;
  for (const fn of listeners) fn(theme);
}

/** The theme in use: 'dark' or 'light'. */
export function currentTheme() {
  return saved() || (systemDark.matches ? 'dark' : 'light');
}

/** Switches theme and remembers the choice. */
export function toggleTheme() {
  const next = currentTheme() === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(KEY, next);
  } catch {
    /* storage disabled: the choice lasts for this page only */
  }
  apply(next);
  return next;
}

/** Calls `fn(theme)` on every change. */
export function onThemeChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Follow the system setting live until the person picks a theme themselves.
systemDark.addEventListener('change', () => {
  if (!saved()) apply(currentTheme());
});
apply(currentTheme());
