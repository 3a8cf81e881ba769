// tabs/tabpicker.js — a tree of checkboxes for granting permission tabs (a parent implies its children).

import { h } from '../dom.js';

const ALL = '*';

/** Every tab id in a `GET /api/v1/tabs` tree, mapped to its title. */
export function tabTitles(tree, into = new Map()) {
  for (const tab of tree || []) {
    into.set(tab.id, tab.title);
    tabTitles(tab.children, into);
  }
  return into;
}

/**
 * A checkbox tree of `tree` with `selected` ticked. Ticking a parent ticks and disables its
 * children, because holding a parent grants them (except an `explicit` child, which stays
 * its own choice). `value()` returns the smallest list that
 * grants the same tabs: "*" alone, or the ticked tabs without their implied descendants.
 * Granted ids that are not in the tree (a disabled plugin's tabs) are listed apart and kept
 * unless unticked, so saving a form never silently drops them.
 */
export function tabPicker(tree, selected = [], { allowAll = true, label = 'Tabs' } = {}) {
  const chosen = new Set(selected || []);
  const known = tabTitles(tree);
  const own = new Map(); // id -> ticked by the user (not counting what a parent implies)
  const boxes = []; // {id, input, label, ancestors}
  let allBox = null;

  function node(tab, above) {
    // An explicit tab is given only by name: no tab above it implies it.
    const ancestors = tab.explicit ? [] : above;
    own.set(tab.id, chosen.has(tab.id));
    const input = h('input', { type: 'checkbox', value: tab.id, 'data-testid': `tab-check-${tab.id}` });
    const row = h('label', { class: 'check' }, input, h('span', {}, tab.title), h('span', { class: 'tab-id' }, tab.id));
    boxes.push({ id: tab.id, input, label: row, ancestors });
    input.addEventListener('change', () => {
      own.set(tab.id, input.checked);
      sync();
    });
    return h(
      'li',
      {},
      row,
      tab.children?.length ? h('ul', {}, tab.children.map((child) => node(child, [...ancestors, tab.id]))) : null,
    );
  }

  const list = h('ul', { role: 'group', 'aria-label': label }, (tree || []).map((tab) => node(tab, [])));

  if (allowAll) {
    allBox = h('input', { type: 'checkbox', value: ALL, 'data-testid': 'tab-check-*', checked: chosen.has(ALL) });
    allBox.addEventListener('change', sync);
  }

  const orphanIds = [...chosen].filter((id) => id !== ALL && !known.has(id));
  const orphanBoxes = orphanIds.map((id) => ({
    id,
    input: h('input', { type: 'checkbox', value: id, checked: true, 'data-testid': `tab-check-${id}` }),
  }));

  const element = h(
    'div',
    { class: 'tab-picker', 'data-testid': 'tab-picker' },
    allBox ? h('label', { class: 'check all' }, allBox, h('span', {}, 'All tabs'), h('span', { class: 'tab-id' }, ALL)) : null,
    list,
    orphanBoxes.length
      ? h(
          'div',
          { class: 'orphans' },
          h('div', { class: 'field-hint' }, 'Granted but not on this site (plugin disabled or removed):'),
          h('ul', {}, orphanBoxes.map((o) => h('li', {}, h('label', { class: 'check' }, o.input, h('span', { class: 'tab-id' }, o.id))))),
        )
      : null,
  );

  function implied(box) {
    if (allBox?.checked) return true;
    return box.ancestors.some((id) => own.get(id));
  }

  function sync() {
    for (const box of boxes) {
      const isImplied = implied(box);
      box.input.checked = isImplied || own.get(box.id);
      box.input.disabled = isImplied;
      box.label.classList.toggle('implied', isImplied);
      box.label.title = isImplied ? 'Included by a tab above' : '';
    }
  }
  sync();

  return {
    element,
    value() {
      if (allBox?.checked) return [ALL];
      const ids = boxes.filter((box) => own.get(box.id) && !implied(box)).map((box) => box.id);
      return [...ids, ...orphanBoxes.filter((o) => o.input.checked).map((o) => o.id)];
    },
  };
}
