// Keyboard shortcuts for the whole app (listed in docs/ui.md and in the
// help dialog): Ctrl+K (⌘K) opens the quick switcher to any topic or
// conversation, "?" outside a text field opens the help, Escape closes
// either. The composer's own keys (Enter, Shift+Enter, Up to edit your
// last message, Escape to cancel a reply or edit) live in thread.js.

import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { state, statusLabel } from './store.js';

// SHORTCUTS are the help dialog's rows: keys and what they do.
const SHORTCUTS = [
  ['Ctrl+K / ⌘K', 'keys.switcher'],
  ['?', 'keys.help'],
  ['Esc', 'keys.escape'],
  ['Enter', 'keys.send'],
  ['Shift+Enter', 'keys.newline'],
  ['↑', 'keys.editlast'],
  ['Alt+↓', 'keys.unread'],
];

function typing(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

// modal opens a native dialog (focus trapped, Escape closes it) and
// removes it when it closes, giving focus back.
function modal(id, label, ...children) {
  document.getElementById(id)?.remove();
  const back = document.activeElement;
  const d = h('dialog', { id, class: 'modal', 'aria-label': label }, ...children);
  d.addEventListener('close', () => {
    d.remove();
    back?.focus?.();
  });
  document.body.appendChild(d);
  d.showModal();
  return d;
}

// destinations are what the switcher can open: topics, then conversations.
function destinations() {
  const out = [];
  for (const g of state.groups) {
    for (const tp of g.topics) out.push({ href: '#/topic/' + tp.id, label: '# ' + tp.name, hint: g.name });
  }
  for (const c of state.conversations.values()) out.push({ href: '#/conversation/' + c.id, label: c.subject, hint: statusLabel(c.status) });
  return out;
}

export function openSwitcher() {
  const input = h('input', { type: 'search', id: 'switcher-q', autocomplete: 'off', 'aria-label': t('keys.switcher'), placeholder: t('switcher.placeholder'), 'aria-controls': 'switcher-list' });
  const list = h('ul', { id: 'switcher-list', class: 'switcher-list', role: 'listbox', 'aria-label': t('keys.switcher') });
  let items = [];
  let active = 0;
  const draw = () => {
    const q = input.value.trim().toLowerCase();
    items = destinations().filter((x) => !q || x.label.toLowerCase().includes(q) || x.hint.toLowerCase().includes(q)).slice(0, 12);
    active = Math.min(active, Math.max(items.length - 1, 0));
    replace(list, items.length ? items.map((x, i) => h('li', { role: 'option', id: 'sw-' + i, 'aria-selected': i === active ? 'true' : 'false', class: i === active ? 'active' : '' },
      h('a', { href: x.href, onclick: () => d.close() }, x.label, ' ', h('span', { class: 'muted small' }, x.hint))))
      : h('li', { class: 'muted' }, t('switcher.none')));
    if (items.length) input.setAttribute('aria-activedescendant', 'sw-' + active);
    else input.removeAttribute('aria-activedescendant');
  };
  input.addEventListener('input', () => { active = 0; draw(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const n = items.length || 1;
      active = (active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      draw();
    } else if (e.key === 'Enter' && items[active]) {
      e.preventDefault();
      location.hash = items[active].href;
      d.close();
    }
  });
  const d = modal('switcher', t('keys.switcher'), h('h2', null, t('keys.switcher')), input, list);
  draw();
  input.focus();
}

export function openHelp() {
  const d = modal('shortcuts-help', t('keys.title'), h('h2', null, t('keys.title')),
    h('table', { class: 'keys' }, h('tbody', null, SHORTCUTS.map(([k, what]) => h('tr', null, h('th', { scope: 'row' }, h('kbd', null, k)), h('td', null, t(what)))))),
    h('form', { method: 'dialog' }, h('button', { type: 'submit', class: 'primary', id: 'shortcuts-close' }, t('action.close'))));
  d.querySelector('button')?.focus();
}

// installShortcuts listens for the app-wide keys once.
export function installShortcuts() {
  document.addEventListener('keydown', (e) => {
    if (!state.me) return;
    // Ctrl+Shift+K is the composer's canned replies (helpdesk.js).
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      openSwitcher();
    } else if (e.key === '?' && !e.ctrlKey && !e.metaKey && !typing(e.target) && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      openHelp();
    }
  });
}
