// Parley's browser app: boot, login, the shell (top bar, left panel,
// main area), the hash router and the connection indicator.
//
// Routes: #/topic/{id}, #/conversation/{id} (notification emails link to
// these), #/new, #/conversations, #/search?q=, #/notifications, #/settings,
// #/admin/{section}, #/manage/{group id}. The last route is remembered.

import { h, replace, clear, icon } from './dom.js';
import { get, post, del, patch, apiEvents, errorText } from './api.js';
import { t, tn, setLang, lang, browserLang, LANGS, i18nEvents } from './i18n.js';
import {
  bus, socket, state, isAdmin, messengerOn, loadMessenger, loadConversations, loadNotificationCount,
  reloadMessenger, reloadConversations, rememberUser, statusLabel, refreshConversation,
} from './store.js';
import { threadView } from './thread.js';
import { newMessageView, conversationListView } from './conversation.js';
import { adminView, manageGroupView } from './admin.js';
import { notificationsView, settingsView } from './notifications.js';
import { searchView } from './search.js';
import { resetDrafts } from './drafts.js';
import { startAlerts, stopAlerts, forgetDevice } from './alerts.js';
import { installShortcuts } from './shortcuts.js';
import { welcomeCard } from './welcome.js';
import { queuePanel, queueView, messengerUsersView, cannedRepliesView, mayUseQueues, resetQueues } from './helpdesk.js';

const app = document.getElementById('app');
const LAST_ROUTE = 'parley.lastRoute';
const LANG_KEY = 'parley.lang';

let shell = null; // {main, sidebar, ...}
let cleanup = null;
let loginShown = false;

// ---- boot and session ----

async function boot() {
  setLang(localStorage.getItem(LANG_KEY) || browserLang());
  apiEvents.on('unauthenticated', () => sessionEnded());
  bus.on('session-revoked', () => sessionEnded());
  socket.on('revoked', () => sessionEnded());
  socket.checkSession = async () => {
    try {
      await get('/me');
      return true;
    } catch (e) {
      if (e.status === 401) return false;
      throw e;
    }
  };
  let me;
  try {
    me = await get('/me');
  } catch (e) {
    if (e.status === 401) return showLogin();
    return showFatal(e);
  }
  await startSession(me);
}

let booting = false;

async function startSession(me) {
  const startHash = location.hash;
  const last = localStorage.getItem(LAST_ROUTE);
  loginShown = false;
  booting = true;
  state.me = me;
  rememberUser(me.user.id, me.user.name);
  if (LANGS.includes(me.user.locale)) setLang(me.user.locale);
  try {
    const roles = await get('/roles');
    state.roles = roles.items || roles || [];
  } catch {
    state.roles = me.roles || [];
  }
  renderShell();
  socket.start();
  startAlerts();
  await Promise.allSettled([loadMessenger(), loadConversations(), loadNotificationCount()]);
  booting = false;
  if ((!startHash || startHash === '#' || startHash === '#/') && last && last !== '#/' && location.hash !== last) {
    location.replace(last); // the hashchange routes there
    return;
  }
  route();
}

function sessionEnded() {
  if (loginShown) return;
  socket.stop();
  resetState();
  showLogin(t('login.ended'));
}

// resetState forgets everything of the session that ended.
function resetState() {
  state.me = null;
  state.threads.clear();
  state.conversations.clear();
  state.groups = [];
  state.notifications = null;
  state.notifUnread = 0;
  state.categories = null;
  state.users.clear();
  state.online.clear();
  resetDrafts();
  stopAlerts();
  resetQueues();
}

let firstHello = true;
socket.on('hello', () => {
  if (firstHello) {
    firstHello = false;
    return;
  }
  // Back after a disconnect: lists may have changed meanwhile. Threads
  // catch up by themselves (subscribe with since).
  reloadMessenger();
  reloadConversations();
  loadNotificationCount();
  for (const c of state.conversations.values()) if (socket.has('conversation:' + c.id)) refreshConversation(c.id);
});

// Tenant changes can come in quick succession (messenger off, then on);
// their /me answers may arrive out of order, so only the newest applies.
let tenantChanges = 0;
bus.on('tenant-changed', async (d) => {
  const change = ++tenantChanges;
  // Categories are cached; the next use refetches them.
  state.categories = null;
  let me;
  try {
    me = await get('/me');
  } catch {
    return;
  }
  if (change !== tenantChanges) return;
  state.me = me;
  renderSidebar();
  reloadMessenger();
  // Administration pages are forms the admin may be editing (possibly the
  // very settings just saved), and so are a new conversation and a
  // thread's composer: re-rendering would drop their input. Categories and
  // labels only show in lists there; the messenger switch changes views.
  const hash = location.hash;
  if (hash.startsWith('#/admin') || hash.startsWith('#/new')) return;
  if (d?.what === 'messenger' || hash === '' || hash === '#/' || hash.startsWith('#/conversations')) route();
});

// ---- login ----

function showLogin(notice) {
  loginShown = true;
  if (cleanup) cleanup();
  cleanup = null;
  shell = null;
  const email = h('input', { id: 'login-email', type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  const button = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('app.name')),
    h('p', { class: 'muted' }, t('login.intro')),
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    h('label', { for: 'login-email' }, t('login.email')), email,
    h('label', { for: 'login-password' }, t('login.password')), password,
    error, button,
    langSwitch());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    button.disabled = true;
    try {
      const me = await post('/session', { email: email.value.trim(), password: password.value });
      firstHello = true;
      await startSession(me);
    } catch (err) {
      error.textContent = err.status === 401 || err.code === 'unauthenticated' ? t('login.failed') : errorText(err);
      button.disabled = false;
      password.select();
    }
  });
  replace(app, h('main', { class: 'login-page' }, form));
  email.focus();
}

function showFatal(e) {
  replace(app, h('main', { class: 'login-page' }, h('div', { class: 'card' },
    h('h1', null, t('app.name')), h('p', { class: 'error', role: 'alert' }, errorText(e)),
    h('button', { type: 'button', onclick: () => location.reload() }, t('action.retry')))));
}


// ---- language ----

export function langSwitch() {
  const sel = h('select', { 'aria-label': t('lang.choose'), class: 'lang-switch', id: 'lang-switch' },
    LANGS.map((l) => h('option', { value: l, selected: l === lang() }, t('lang.' + l))));
  sel.addEventListener('change', async () => {
    const l = sel.value;
    localStorage.setItem(LANG_KEY, l);
    setLang(l);
    if (state.me) {
      try {
        const u = await patch('/me', { locale: l });
        state.me.user = { ...state.me.user, ...u };
      } catch (e) {
        console.warn('saving the language', e);
      }
    }
  });
  return sel;
}

i18nEvents.on('change', () => {
  if (booting) return;
  if (loginShown) showLogin();
  else if (state.me) {
    renderShell();
    route();
  }
});

// ---- shell ----

function renderShell() {
  if (cleanup) cleanup();
  cleanup = null;
  const main = h('main', { id: 'main', tabindex: '-1' });
  const sidebar = h('nav', { class: 'sidebar', id: 'sidebar', 'aria-label': t('nav.label') });
  const conn = h('span', { class: 'conn', id: 'conn', role: 'status' });
  const bell = h('a', { href: '#/notifications', class: 'bell', id: 'bell', 'aria-label': t('nav.notifications') }, icon('bell'), h('span', { class: 'badge', id: 'bell-badge' }));
  const menuButton = h('button', { type: 'button', class: 'menu-toggle', 'aria-controls': 'sidebar', 'aria-expanded': 'false', 'aria-label': t('nav.menu') }, icon('menu'));
  menuButton.addEventListener('click', () => toggleMenu());
  const searchInput = h('input', { type: 'search', name: 'q', id: 'search-q', placeholder: t('search.placeholder'), 'aria-label': t('search.label') });
  const searchForm = h('form', { class: 'search', role: 'search' }, searchInput);
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = searchInput.value.trim();
    if (q) location.hash = '#/search?q=' + encodeURIComponent(q);
  });
  const userMenu = h('div', { class: 'user-menu' },
    h('a', { href: '#/settings', id: 'me-name', class: 'me' }, state.me.user.name),
    h('button', { type: 'button', id: 'logout', onclick: logout }, t('nav.logout')));
  const top = h('header', { class: 'topbar' },
    menuButton,
    brand(),
    searchForm, conn, bell, langSwitch(), userMenu);
  const skip = h('a', { href: '#main', class: 'skip', onclick: (e) => { e.preventDefault(); main.focus(); } }, t('nav.skip'));
  replace(app, skip, h('div', { class: 'shell' }, top, h('div', { class: 'shell-body' }, sidebar, main)));
  shell = { main, sidebar, conn, bell, menuButton };
  renderSidebar();
  renderConn(socket.state, {});
  renderBell();
}

// brand is the product's name and the tenant's, the product's once when
// the tenant has its name (the first-run tenant is called "Parley").
function brand() {
  const product = t('app.name');
  const tenant = state.me.tenant.name || '';
  const same = tenant.trim().toLowerCase() === product.toLowerCase();
  return h('a', { href: '#/', class: 'brand', id: 'brand' }, product, same ? null : h('span', { class: 'tenant' }, tenant));
}

function toggleMenu(open) {
  if (!shell) return;
  const isOpen = open ?? !shell.sidebar.classList.contains('open');
  shell.sidebar.classList.toggle('open', isOpen);
  shell.menuButton.setAttribute('aria-expanded', String(isOpen));
}

async function logout() {
  // Leave the view first, while still logged in: its draft and read
  // marker are saved.
  if (cleanup) cleanup();
  cleanup = null;
  await forgetDevice();
  try {
    await del('/session');
  } catch {
    // gone already
  }
  socket.stop();
  resetState();
  localStorage.removeItem(LAST_ROUTE);
  location.hash = '#/';
  showLogin(t('login.loggedout'));
}

let connTimer = 0;
function renderConn(s, detail) {
  if (!shell) return;
  clearInterval(connTimer);
  const el = shell.conn;
  el.className = 'conn conn-' + s;
  el.dataset.state = s;
  const text = () => {
    switch (s) {
      case 'online': return t('conn.online');
      case 'connecting': return t('conn.connecting');
      case 'reconnecting': {
        if (!detail.at) return t('conn.reconnecting');
        const sec = Math.max(0, Math.ceil((detail.at - Date.now()) / 1000));
        return sec > 0 ? t('conn.retryin', { n: sec }) : t('conn.reconnecting');
      }
      case 'closed': return t('conn.closed');
      case 'failed': return t('conn.failed');
      default: return t('conn.offline');
    }
  };
  replace(el, h('span', { class: 'dot', 'aria-hidden': 'true' }), text());
  if (s === 'reconnecting' && detail.at) connTimer = setInterval(() => replace(el, h('span', { class: 'dot', 'aria-hidden': 'true' }), text()), 1000);
  if (s === 'reconnecting' || s === 'closed' || s === 'failed') {
    el.appendChild(h('button', { type: 'button', class: 'link', onclick: () => { socket.stopped = false; socket.reconnectNow(); } }, t('conn.now')));
  }
}
socket.on('state', renderConn);
// The socket is up but the server answers "unavailable" (its database is
// down): say so in the status region until a send goes through.
let connTrouble = false;
bus.on('conn-trouble', (on) => {
  if (on === connTrouble) return;
  connTrouble = on;
  if (socket.state !== 'online' || !shell) return;
  if (on) {
    shell.conn.className = 'conn conn-trouble';
    shell.conn.dataset.state = 'trouble';
    replace(shell.conn, h('span', { class: 'dot', 'aria-hidden': 'true' }), t('conn.trouble'));
  } else renderConn('online', {});
});

function renderBell() {
  if (!shell) return;
  const b = document.getElementById('bell-badge');
  if (!b) return;
  b.textContent = state.notifUnread > 0 ? String(state.notifUnread) : '';
  b.hidden = !(state.notifUnread > 0);
  shell.bell.setAttribute('aria-label', state.notifUnread > 0 ? tn('nav.notifications.unread', state.notifUnread) : t('nav.notifications'));
}
bus.on('notifications', renderBell);

// ---- left panel ----

function badge(n, label) {
  if (!n) return null;
  return h('span', { class: 'badge', 'aria-label': label }, n > 99 ? '99+' : String(n));
}

function renderSidebar() {
  if (!shell) return;
  const sb = shell.sidebar;
  const current = location.hash.split('?')[0];
  const sections = [];
  sections.push(h('a', { href: '#/new', class: 'button primary new-message', id: 'new-message' }, t('nav.newmessage')));

  if (messengerOn()) {
    const groups = state.groups.map((g) => h('li', { class: 'group', data: { group: g.id } },
      h('div', { class: 'group-head' },
        h('span', { class: 'group-name' }, g.name),
        badge(g.unread, tn('unread.count', g.unread)),
        g.can_manage ? h('a', { href: '#/manage/' + g.id, class: 'manage', 'aria-label': t('topic.manage', { group: g.name }), title: t('topic.manage', { group: g.name }) }, icon('gear')) : null),
      g.topics.length
        ? h('ul', { class: 'topics' }, g.topics.map((tp) => h('li', null,
          h('a', { href: '#/topic/' + tp.id, class: ['topic-link', current === '#/topic/' + tp.id && 'current', tp.unread && 'has-unread'], data: { topic: tp.id }, 'aria-current': current === '#/topic/' + tp.id ? 'page' : null },
            h('span', { class: 'name' }, '# ', tp.name), badge(tp.unread, tn('unread.count', tp.unread))))))
        : h('p', { class: 'muted small' }, t('messenger.notopics'))));
    sections.push(h('section', { class: 'panel messenger', 'aria-labelledby': 'sb-messenger' },
      h('h2', { id: 'sb-messenger' }, t('nav.messenger')),
      groups.length ? h('ul', { class: 'groups' }, groups) : h('p', { class: 'muted small' }, t('messenger.nogroups'))));
  }

  sections.push(queuePanel(current));

  const convs = [...state.conversations.values()].sort((a, b) => String(b.last_activity_at).localeCompare(String(a.last_activity_at))).slice(0, 30);
  const filter = h('div', { class: 'chips', role: 'group', 'aria-label': t('conv.filter') },
    chip(t('conv.filter.all'), !state.convFilter.mine && !state.convFilter.status, () => setConvFilter({ mine: false, status: '' })),
    chip(t('conv.filter.mine'), state.convFilter.mine, () => setConvFilter({ mine: !state.convFilter.mine })),
    ['new', 'open', 'waiting', 'solved'].map((s) => chip(statusLabel(s), state.convFilter.status === s, () => setConvFilter({ status: state.convFilter.status === s ? '' : s }))));
  sections.push(h('section', { class: 'panel messages', 'aria-labelledby': 'sb-messages' },
    h('h2', { id: 'sb-messages' }, h('a', { href: '#/conversations' }, t('nav.messages'))),
    filter,
    convs.length
      ? h('ul', { class: 'convs' }, convs.map((c) => h('li', null,
        h('a', { href: '#/conversation/' + c.id, class: ['conv-link', current === '#/conversation/' + c.id && 'current', c.unread && 'has-unread'], data: { conversation: c.id }, 'aria-current': current === '#/conversation/' + c.id ? 'page' : null },
          h('span', { class: 'subject' }, c.subject),
          h('span', { class: 'status status-' + c.status }, statusLabel(c.status)),
          c.unread ? h('span', { class: 'dot unread', 'aria-label': t('unread.new') }) : null))))
      : h('p', { class: 'muted small' }, t('conv.none'))));

  const links = [h('li', null, h('a', { href: '#/notifications' }, t('nav.notifications'))), h('li', null, h('a', { href: '#/settings' }, t('nav.settings')))];
  if (messengerOn()) links.push(h('li', null, h('a', { href: '#/messenger-users', id: 'nav-musers' }, t('nav.musers'))));
  if (mayUseQueues()) links.push(h('li', null, h('a', { href: '#/canned-replies', id: 'nav-canned' }, t('nav.canned'))));
  if (isAdmin()) links.push(h('li', null, h('a', { href: '#/admin', id: 'nav-admin' }, t('nav.admin'))));
  sections.push(h('ul', { class: 'panel links' }, links));
  replace(sb, ...sections);
}

function chip(label, on, fn) {
  return h('button', { type: 'button', class: ['chip', on && 'on'], 'aria-pressed': on ? 'true' : 'false', onclick: fn }, label);
}

function setConvFilter(f) {
  Object.assign(state.convFilter, f);
  renderSidebar();
  loadConversations().catch((e) => console.warn(e));
}

bus.on('groups', () => renderSidebar());
bus.on('conversations', () => renderSidebar());
bus.on('queues', () => renderSidebar());

// ---- router ----

const routes = [
  [/^#\/topic\/(\d+)(?:\?m=(\d+))?$/, (m, main) => threadView(main, 'topic:' + m[1], Number(m[2]) || 0)],
  [/^#\/conversation\/(\d+)(?:\?m=(\d+))?$/, (m, main) => threadView(main, 'conversation:' + m[1], Number(m[2]) || 0)],
  [/^#\/new$/, (m, main) => newMessageView(main)],
  [/^#\/conversations$/, (m, main) => conversationListView(main)],
  [/^#\/search(?:\?(.*))?$/, (m, main) => searchView(main, new URLSearchParams(m[1] || ''))],
  [/^#\/notifications$/, (m, main) => notificationsView(main)],
  [/^#\/settings$/, (m, main) => settingsView(main)],
  [/^#\/admin(?:\/([\w-]+))?$/, (m, main) => adminView(main, m[1] || '')],
  [/^#\/manage\/(\d+)$/, (m, main) => manageGroupView(main, Number(m[1]))],
  [/^#\/queue\/(new|mine|waiting|stale)$/, (m, main) => queueView(main, m[1], 0)],
  [/^#\/queue\/category\/(\d+)$/, (m, main) => queueView(main, 'category', Number(m[1]))],
  [/^#\/messenger-users$/, (m, main) => messengerUsersView(main)],
  [/^#\/canned-replies$/, (m, main) => cannedRepliesView(main)],
];

function route() {
  if (!state.me || !shell) return;
  if (cleanup) cleanup();
  cleanup = null;
  state.viewing = '';
  const hash = location.hash || '#/';
  if (location.hash) localStorage.setItem(LAST_ROUTE, hash);
  toggleMenu(false);
  renderSidebar();
  clear(shell.main);
  for (const [re, view] of routes) {
    const m = re.exec(hash);
    if (m) {
      cleanup = view(m, shell.main) || null;
      return;
    }
  }
  cleanup = homeView(shell.main);
}

// homeView greets the user; it is drawn again when the groups load (the
// welcome's steps and the topic link depend on them).
function homeView(main) {
  const draw = () => {
    const first = state.groups.flatMap((g) => g.topics)[0];
    replace(main, h('section', { class: 'home' },
      h('h1', { tabindex: '-1' }, t('home.welcome', { name: state.me.user.name })),
      h('p', null, t('home.intro')),
      welcomeCard(() => main.querySelector('h1')?.focus()),
      h('ul', { class: 'home-links' },
        h('li', null, h('a', { href: '#/new', class: 'button primary' }, t('nav.newmessage'))),
        first ? h('li', null, h('a', { href: '#/topic/' + first.id, class: 'button' }, t('home.opentopic', { name: first.name }))) : null,
        h('li', null, h('a', { href: '#/conversations', class: 'button' }, t('home.allconvs'))))));
  };
  draw();
  return bus.on('groups', draw);
}

window.addEventListener('hashchange', () => {
  if (state.me && shell) route();
});

document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  if (shell?.sidebar.classList.contains('open')) toggleMenu(false);
  const aside = document.querySelector('.thread-aside.open');
  if (aside) {
    aside.classList.remove('open');
    const toggle = document.getElementById('aside-toggle');
    toggle?.setAttribute('aria-expanded', 'false');
    toggle?.focus();
  }
});

installShortcuts();
boot();
