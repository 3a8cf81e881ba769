// ui.js — shared UI components: toasts, confirmation and form dialogs, the presence bar.

import { errorMessage } from './api.js';
import { colorFor, h, icon, initials, replace } from './dom.js';

/* ---------------------------------------------------------------- toasts */

const TOAST_TIMEOUT = { success: 4000, info: 5000, error: 8000 };

function toastContainer() {
  let container = document.getElementById('toasts');
  if (!container) {
    container = h('div', { id: 'toasts', class: 'toasts', 'data-testid': 'toasts', role: 'region', 'aria-label': 'Notifications' });
    document.body.append(container);
  }
  return container;
}

/**
 * Shows a short message in the corner; `kind` is 'success', 'error' or 'info'.
 * Errors stay longer and are announced assertively. Returns a function that dismisses it.
 */
export function toast(message, kind = 'info', { timeout } = {}) {
  if (!['success', 'error', 'info'].includes(kind)) kind = 'info';
  const text = message instanceof Error ? errorMessage(message) : String(message);
  const dismiss = () => {
    if (!el.isConnected) return;
    el.classList.add('leaving');
    // Remove after the fade, or at once when animations are off.
    setTimeout(() => el.remove(), matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 180);
  };
  const el = h(
    'div',
    { class: `toast toast-${kind}`, 'data-testid': 'toast', 'data-kind': kind, role: kind === 'error' ? 'alert' : 'status' },
    icon(kind === 'success' ? 'check' : kind === 'error' ? 'alert' : 'info', { className: 'icon toast-icon' }),
    h('div', { class: 'toast-text' }, text),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: dismiss }, icon('x', { size: 16 })),
  );
  toastContainer().append(el);
  let timer = setTimeout(dismiss, timeout ?? TOAST_TIMEOUT[kind]);
  // Hovering keeps it up so it can be read.
  el.addEventListener('mouseenter', () => clearTimeout(timer));
  el.addEventListener('mouseleave', () => {
    timer = setTimeout(dismiss, 2000);
  });
  return dismiss;
}

/* ---------------------------------------------------------------- dialogs */

let dialogSeq = 0;

/** Opens a modal <dialog>; it is removed from the page once closed. */
function openDialog(dialog) {
  document.body.append(dialog);
  dialog.addEventListener('close', () => dialog.remove(), { once: true });
  dialog.showModal();
  return dialog;
}

/**
 * Asks a yes/no question in a modal dialog; resolves true only when confirmed.
 * Escape and Cancel resolve false. For `danger`, the confirm button is red and focus
 * starts on Cancel so a stray Enter does not delete anything.
 */
export function confirmDialog({ title = 'Are you sure?', message = '', confirmText = 'Confirm', cancelText = 'Cancel', danger = false } = {}) {
  const id = `dlg-${++dialogSeq}`;
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'submit', value: 'cancel', class: 'btn btn-secondary', 'data-testid': 'confirm-cancel', autofocus: danger }, cancelText);
    const ok = h(
      'button',
      { type: 'submit', value: 'confirm', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-testid': 'confirm-ok', autofocus: !danger },
      confirmText,
    );
    const dialog = h(
      'dialog',
      { class: 'dialog dialog-confirm', 'data-testid': 'confirm-dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-msg` },
      h(
        'form',
        { method: 'dialog' },
        h('div', { class: 'dialog-head' }, danger ? icon('alert', { className: 'icon dialog-icon danger' }) : null, h('h2', { id: `${id}-title` }, title)),
        h('p', { id: `${id}-msg`, class: 'dialog-message' }, message),
        h('div', { class: 'dialog-actions' }, cancel, ok),
      ),
    );
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    openDialog(dialog);
  });
}

/**
 * A modal form. `body` is a node (or list of nodes) with the fields; `onSubmit(form)` runs
 * on submit and may be async: its result resolves the returned promise and closes the
 * dialog, while a throw keeps it open and shows the error (inline and as a toast).
 * Resolves null when cancelled. `onClose` runs however the dialog closes.
 */
export function formDialog({ title, body, submitText = 'Save', danger = false, onSubmit, onClose, testid = 'form-dialog', wide = false }) {
  const id = `dlg-${++dialogSeq}`;
  return new Promise((resolve) => {
    let result = null;
    let busy = false;
    const error = h('div', { class: 'dialog-error', role: 'alert', 'data-testid': `${testid}-error`, hidden: true });
    const submit = h('button', { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-testid': `${testid}-submit` }, submitText);
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': `${testid}-cancel` }, 'Cancel');
    const form = h(
      'form',
      {},
      h('div', { class: 'dialog-head' }, h('h2', { id: `${id}-title` }, title)),
      h('div', { class: 'dialog-body' }, body),
      error,
      h('div', { class: 'dialog-actions' }, cancel, submit),
    );
    const dialog = h('dialog', { class: `dialog${wide ? ' dialog-wide' : ''}`, 'data-testid': testid, 'aria-labelledby': `${id}-title` }, form);

    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('cancel', (event) => {
      if (busy) event.preventDefault(); // do not drop a request half-way
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      submit.disabled = true;
      submit.classList.add('busy');
      error.hidden = true;
      try {
        result = onSubmit ? await onSubmit(form) : true;
        if (result === undefined) result = true;
        dialog.close();
      } catch (err) {
        const message = errorMessage(err);
        error.textContent = message;
        error.hidden = false;
        toast(message, 'error');
      } finally {
        busy = false;
        submit.disabled = false;
        submit.classList.remove('busy');
      }
    });
    dialog.addEventListener(
      'close',
      () => {
        onClose?.();
        resolve(result);
      },
      { once: true },
    );
    openDialog(dialog);
    // Focus the first field rather than the first button.
    form.querySelector('input:not([type=hidden]):not([disabled]), select, textarea')?.focus();
  });
}

/** A labelled form field wrapping `control`; `hint` is shown under it. */
export function field(label, control, { hint, id } = {}) {
  const controlId = id || control.id || `f-${++dialogSeq}`;
  control.id = controlId;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: controlId }, label),
    control,
    hint ? h('div', { class: 'field-hint' }, hint) : null,
  );
}

/* ---------------------------------------------------------------- presence */

/**
 * Draws coloured avatars for the users in a room, one per username (a user with two
 * browser tabs open shows once; "editing" wins over "viewing").
 */
export function presenceBar(element, { me } = {}) {
  const list = h('div', { class: 'presence-avatars', role: 'list' });
  const bar = h('div', { class: 'presence', 'data-testid': 'presence', 'aria-label': 'People here' }, list);
  element.append(bar);

  function describe(state) {
    if (!state) return '';
    if (state.editing) return `editing ${state.editing}`;
    if (state.viewing) return `viewing ${state.viewing}`;
    return '';
  }

  return {
    element: bar,
    render(users = [], count = null) {
      const byName = new Map();
      for (const user of users) {
        if (!user?.username) continue;
        const seen = byName.get(user.username);
        if (!seen || (!seen.state?.editing && user.state?.editing)) byName.set(user.username, user);
      }
      // Me first, then others alphabetically, so avatars do not jump around.
      const sorted = [...byName.values()].sort((a, b) =>
        a.username === me ? -1 : b.username === me ? 1 : a.username.localeCompare(b.username),
      );
      bar.dataset.count = String(sorted.length);
      // The server lists at most a few dozen connections and sends the full `count`.
      const hidden = typeof count === 'number' && count > users.length ? count - users.length : 0;
      replace(
        list,
        sorted.map((user) => {
          const what = describe(user.state);
          const label = `${user.username}${user.username === me ? ' (you)' : ''}${what ? ` — ${what}` : ''}`;
          return h(
            'span',
            {
              class: `avatar${user.username === me ? ' me' : ''}${user.state?.editing ? ' editing' : ''}`,
              role: 'listitem',
              title: label,
              'aria-label': label,
              'data-testid': 'presence-avatar',
              'data-username': user.username,
              style: { '--avatar': user.color || colorFor(user.username) },
            },
            initials(user.username),
          );
        }),
        hidden ? h('span', { class: 'avatar more', role: 'listitem', title: `${hidden} more connection${hidden === 1 ? '' : 's'}` }, `+${hidden}`) : null,
      );
    },
    remove() {
      bar.remove();
    },
  };
}
