// The in-app notification list, and the user's settings: language, email
// notifications, name, password.

import { h, replace } from './dom.js';
import { get, post, put, patch, del, errorText } from './api.js';
import { t, fmtDateTime, LANGS, setLang, lang } from './i18n.js';
import { bus, state } from './store.js';
import { channelsEditor, deviceCard } from './notifysettings.js';
import { avatarCard } from './avatar.js';

function routeOf(n) {
  if (n.link) return n.link.replace(/^.*?#/, '#');
  const [kind, id] = String(n.channel || '').split(':');
  return kind && id ? `#/${kind}/${id}` : '#/';
}

export function notificationsView(main) {
  const list = h('ul', { class: 'notifications', id: 'notifications' });
  const markAll = h('button', { type: 'button', class: 'link', id: 'notif-readall' }, t('notif.readall'));
  function draw() {
    const items = state.notifications || [];
    if (!items.length) return replace(list, h('li', { class: 'muted' }, t('notif.none')));
    replace(list, ...items.map((n) => h('li', { class: ['notification', !n.read_at && 'unread'] },
      h('a', { href: routeOf(n), onclick: () => read(n) }, h('span', { class: 'title' }, n.title || t('notif.kind.' + n.kind))),
      ' ', h('time', { class: 'muted small', datetime: n.created_at }, fmtDateTime(n.created_at)),
      !n.read_at ? h('button', { type: 'button', class: 'link', onclick: () => read(n) }, t('notif.markread')) : null)));
  }
  async function read(n) {
    if (n.read_at) return;
    n.read_at = new Date().toISOString();
    try {
      const r = await post(`/notifications/${n.id}/read`);
      if (typeof r?.unread === 'number') state.notifUnread = r.unread;
    } catch {
      // the badge catches up on the next event
    }
    bus.emit('notifications');
  }
  markAll.addEventListener('click', async () => {
    // Up to the newest shown, so one arriving meanwhile stays unread; the
    // server marks the older pages too.
    const upTo = Math.max(0, ...(state.notifications || []).map((n) => n.id));
    if (!upTo) return;
    try {
      const r = await post('/notifications/read-all', { up_to: upTo });
      if (typeof r?.unread === 'number') state.notifUnread = r.unread;
      for (const n of state.notifications || []) if (!n.read_at && n.id <= upTo) n.read_at = new Date().toISOString();
    } catch (e) {
      replace(list, h('li', { class: 'error' }, errorText(e)));
      return;
    }
    bus.emit('notifications');
  });
  // The API lists newest first; older pages load on demand.
  const older = h('button', { type: 'button', class: 'link', id: 'notif-older', hidden: true }, t('notif.older'));
  let next = '';
  async function loadPage() {
    older.disabled = true;
    try {
      const page = await get('/notifications?limit=50' + (next ? '&before=' + encodeURIComponent(next) : ''));
      const seen = new Set((state.notifications || []).map((n) => n.id));
      state.notifications = (next ? state.notifications || [] : []).concat((page.items || []).filter((n) => !seen.has(n.id)));
      next = page.next || '';
      older.hidden = !next;
      draw();
    } catch (e) {
      replace(list, h('li', { class: 'error' }, errorText(e)));
    } finally {
      older.disabled = false;
    }
  }
  older.addEventListener('click', loadPage);
  replace(main, h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, t('nav.notifications')), markAll, h('a', { href: '#/settings' }, t('notif.prefs'))),
    list, older));
  loadPage();
  return bus.on('notifications', draw);
}

export function settingsView(main) {
  const u = state.me.user;
  const msg = h('p', { role: 'status', class: 'notice' });
  const name = h('input', { id: 'set-name', value: u.name, maxlength: 200 });
  const language = h('select', { id: 'set-lang' }, LANGS.map((l) => h('option', { value: l, selected: l === lang() }, t('lang.' + l))));
  const email = h('input', { type: 'checkbox', id: 'set-email', checked: !!u.email_notifications });
  const channels = channelsEditor();
  get('/notifications/preferences').then((p) => {
    email.checked = !!p.email_notifications;
    channels.set(p.channels);
  }).catch(() => {});

  const profile = h('form', { class: 'card' }, h('h2', null, t('settings.profile')),
    h('label', { for: 'set-name' }, t('settings.name')), name,
    h('label', { for: 'set-lang' }, t('settings.language')), language,
    h('button', { type: 'submit', class: 'primary' }, t('action.save')));
  profile.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const nu = await patch('/me', { name: name.value.trim(), locale: language.value });
      state.me.user = { ...state.me.user, ...nu };
      localStorage.setItem('parley.lang', language.value);
      msg.textContent = t('settings.saved');
      if (language.value !== lang()) setLang(language.value);
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });

  const notif = h('form', { class: 'card' }, h('h2', null, t('notif.prefs')),
    h('label', { class: 'check' }, email, ' ', t('notif.email')),
    h('p', { class: 'help muted small' }, t('notif.email.help')),
    channels.el,
    h('button', { type: 'submit', class: 'primary', id: 'set-notif-save' }, t('action.save')));
  notif.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      channels.saved(await put('/notifications/preferences', { email_notifications: email.checked, channels: channels.value() }));
      msg.textContent = t('settings.saved');
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });

  const cur = h('input', { type: 'password', id: 'set-pw-cur', autocomplete: 'current-password' });
  const next = h('input', { type: 'password', id: 'set-pw-new', autocomplete: 'new-password', minlength: 10 });
  const pw = h('form', { class: 'card' }, h('h2', null, t('settings.password')),
    h('label', { for: 'set-pw-cur' }, t('settings.password.current')), cur,
    h('label', { for: 'set-pw-new' }, t('settings.password.new')), next,
    h('p', { class: 'help muted small' }, t('settings.password.help')),
    h('button', { type: 'submit' }, t('settings.password.change')));
  pw.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await put('/me/password', { current_password: cur.value, new_password: next.value });
      location.reload();
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });

  const everywhere = h('button', { type: 'button', class: 'danger' }, t('settings.logouteverywhere'));
  everywhere.addEventListener('click', async () => {
    try {
      await del('/sessions');
    } catch {
      // ends anyway
    }
    location.reload();
  });

  replace(main, h('section', { class: 'page settings' }, h('h1', null, t('nav.settings')), msg, profile, avatarCard(msg), notif, deviceCard(), pw,
    h('div', { class: 'card' }, h('h2', null, t('settings.sessions')), everywhere)));
  return null;
}
