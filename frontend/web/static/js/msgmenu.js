// A message's actions (Reply, React, Edit, Delete) on touch screens: there
// is no hover to reveal them, and a row of links under every message is
// noise, so they sit behind a "…" button (and a long press, which fires
// contextmenu on touch browsers) as an accessible menu: arrow keys move,
// Escape closes and gives focus back to the button. Desktops keep the
// row that shows on hover and focus (thread.js).

import { h, uid } from './dom.js';
import { t } from './i18n.js';

const TOUCH = '(hover: none) and (pointer: coarse)';

export function touchScreen() {
  return window.matchMedia?.(TOUCH).matches ?? false;
}

// actionMenu returns the "…" button with its menu of actions (the same
// buttons the desktop row shows) and opens it on a long press of msg.
export function actionMenu(msg, actions) {
  const id = 'msg-menu-' + uid();
  const more = h('button', { type: 'button', class: 'msg-more', data: { action: 'more' }, 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': id, 'aria-label': t('msg.actions'), title: t('msg.actions') }, '…');
  const menu = h('div', { class: 'msg-menu', role: 'menu', id, hidden: true, 'aria-label': t('msg.actions') }, actions);
  const items = () => [...menu.querySelectorAll('button')].filter((b) => b.offsetParent !== null);
  const outside = (e) => { if (!wrap.contains(e.target)) close(false); };
  const close = (focus) => {
    menu.hidden = true;
    more.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (focus) more.focus();
  };
  const open = () => {
    for (const b of menu.querySelectorAll('button')) b.setAttribute('role', 'menuitem');
    menu.hidden = false;
    // Open upwards when the thread's scroller would cut it off below.
    menu.classList.remove('up');
    const room = (menu.closest('.scroller') || document.documentElement).getBoundingClientRect();
    if (menu.getBoundingClientRect().bottom > room.bottom) menu.classList.add('up');
    more.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', outside, true);
    items()[0]?.focus();
  };
  more.addEventListener('click', () => (menu.hidden ? open() : close(true)));
  menu.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const list = items();
      const i = list.indexOf(document.activeElement);
      list[(i + (e.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length]?.focus();
    }
  });
  // Reply and Edit move to the composer; React and Delete show their
  // picker or question inside the menu, which stays open for them.
  menu.addEventListener('click', (e) => {
    const action = e.target.closest('button')?.dataset.action;
    if (action === 'reply' || action === 'edit') close(false);
  });
  msg.addEventListener('contextmenu', (e) => {
    e.preventDefault();
    if (menu.hidden) open();
  });
  const wrap = h('div', { class: 'msg-actions touch' }, more, menu);
  return wrap;
}
