// Helpdesk tools of the handler side and the members' messenger users
// page: queue counts in the left panel (live), queue lists
// (#/queue/{name}[/{category}]), canned replies (#/canned-replies and the
// composer's picker), the "to a customer" fields of the new message form,
// and #/messenger-users.

import { h, replace, clear, debounce } from './dom.js';
import { get, post, put, del, query, errorText, getAll } from './api.js';
import { t, tn, fmtDateTime, lang } from './i18n.js';
import { bus, state, isAdmin, isHandler, statusLabel, categoryName, userName, rememberUser, indexConversation } from './store.js';

export const QUEUES = ['new', 'mine', 'waiting', 'stale'];

export function mayUseQueues() {
  return isHandler() || isAdmin();
}

// ---- queue counts (left panel) ----

let counts = null;

// loadQueues fetches the counts; every conversation event may move them,
// so the panel asks again (coalesced) on each, and every few minutes for
// conversations turning stale with time.
export const reloadQueues = debounce(async () => {
  if (!mayUseQueues()) return;
  try {
    counts = await get('/conversations/queues');
  } catch (e) {
    counts = null;
    if (e.status !== 403) console.warn('queues', e);
  }
  bus.emit('queues');
}, 300);

bus.on('conversations', () => reloadQueues());
setInterval(() => { if (state.me) reloadQueues(); }, 5 * 60 * 1000);

export function resetQueues() {
  counts = null;
}

function countBadge(n, id) {
  return h('span', { class: ['badge', 'queue-count', !n && 'zero'], id, 'aria-label': tn('queue.count', n || 0) }, String(n || 0));
}

// queuePanel is the left panel's Queues section (null for customers).
export function queuePanel(current) {
  if (!mayUseQueues()) return null;
  if (!counts) {
    reloadQueues();
    return h('section', { class: 'panel queues', 'aria-labelledby': 'sb-queues' }, h('h2', { id: 'sb-queues' }, t('queue.title')));
  }
  const link = (href, label, n, id) => h('li', null,
    h('a', { href, class: ['queue-link', current === href && 'current'], 'aria-current': current === href ? 'page' : null },
      h('span', { class: 'name' }, label), countBadge(n, id)));
  const items = QUEUES.map((q) => link('#/queue/' + q, q === 'stale' ? t('queue.stale', { hours: counts.stale_hours }) : t('queue.' + q), counts[q], 'queue-count-' + q));
  for (const c of counts.categories || []) {
    const cat = state.categories?.find((x) => x.id === c.category_id);
    items.push(link('#/queue/category/' + c.category_id, cat ? categoryName(cat) : '#' + c.category_id, c.count, 'queue-count-category-' + c.category_id));
  }
  return h('section', { class: 'panel queues', 'aria-labelledby': 'sb-queues' },
    h('h2', { id: 'sb-queues' }, t('queue.title')), h('ul', { class: 'queue-list' }, items));
}

// ---- queue list ----

export function queueView(main, name, categoryId) {
  const title = name === 'category'
    ? t('queue.category', { name: categoryName(state.categories?.find((x) => x.id === categoryId)) || '#' + categoryId })
    : name === 'stale' ? t('queue.stale', { hours: counts?.stale_hours ?? 24 }) : t('queue.' + name);
  const pages = conversationPages({
    id: 'queue-table', empty: t('queue.empty'), lastTitle: t('queue.age'), lastAt: (c) => c.created_at,
    params: () => ({ queue: name, category: categoryId || '' }),
  });
  replace(main, h('section', { class: 'page' }, h('div', { class: 'page-head' }, h('h1', null, title)),
    h('p', { class: 'muted small' }, t('queue.sorted')), pages.list, pages.more));
  pages.load(false);
  return bus.on('queues', () => pages.load(false));
}

// conversationPages is the one paged table of conversations, shared by the
// conversation list and the queues: they differ in their filter (params),
// their empty text and their last column. Names in the rows are remembered
// (indexConversation), so the handler column shows a name after a reload.
export function conversationPages({ id, empty, lastTitle, lastAt, params }) {
  const list = h('div', { class: 'conv-table', id });
  const more = h('button', { type: 'button', class: 'link', hidden: true }, t('list.more'));
  let rows = [];
  let next = '';
  async function load(append) {
    try {
      const page = await get('/conversations' + query({ ...params(), limit: 50, after: append ? next : '' }));
      for (const c of page.items || []) indexConversation(c);
      rows = append ? rows.concat(page.items || []) : (page.items || []);
      next = page.next || '';
      draw();
    } catch (e) {
      replace(list, h('p', { class: 'error' }, errorText(e)));
    }
  }
  function draw() {
    more.hidden = !next;
    if (!rows.length) return replace(list, h('p', { class: 'muted' }, empty));
    replace(list, h('table', null,
      h('thead', null, h('tr', null, [t('conv.subject'), t('conv.category'), t('conv.status'), t('conv.handler'), lastTitle].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((c) => h('tr', { class: c.unread ? 'has-unread' : '', data: { conversation: c.id } },
        h('td', null, h('a', { href: '#/conversation/' + c.id }, c.subject), c.unread ? h('span', { class: 'dot unread', 'aria-label': t('unread.new') }) : null),
        h('td', null, categoryName(state.categories?.find((x) => x.id === c.category_id))),
        h('td', null, h('span', { class: 'status status-' + c.status }, statusLabel(c.status))),
        h('td', null, c.handler_id ? userName(c.handler_id) : '—'),
        h('td', null, fmtDateTime(lastAt(c))))))));
  }
  more.addEventListener('click', () => load(true));
  return { list, more, load, draw };
}

// ---- messenger users ----

export function messengerUsersView(main) {
  const body = h('div', { id: 'messenger-users' }, h('p', { class: 'muted' }, t('musers.loading')));
  replace(main, h('section', { class: 'page' }, h('h1', null, t('musers.title')),
    h('p', { class: 'help muted small' }, t('musers.help')), body));
  get('/messenger/users').then((r) => {
    const gs = r.items || [];
    if (!gs.length) return replace(body, h('p', { class: 'muted' }, t('messenger.nogroups')));
    replace(body, ...gs.map((g) => h('section', { class: 'card musers-group', data: { group: g.id } },
      h('h2', null, g.name),
      g.description ? h('p', { class: 'muted small' }, g.description) : null,
      h('p', { class: 'small' }, tn('musers.count', g.members.length)),
      h('ul', { class: 'musers-members' }, g.members.map((m) => { rememberUser(m.id, m.name); return h('li', null, m.name); })))));
  }).catch((e) => replace(body, h('p', { class: 'error' }, errorText(e))));
  return null;
}

// ---- canned replies ----

export async function cannedReplies(q = '') {
  return (await get('/canned-replies' + query({ q }))).items || [];
}

// cannedRepliesView lists, creates, edits and deletes canned replies.
export function cannedRepliesView(main) {
  const listBox = h('div', { id: 'canned-list' });
  const err = h('p', { class: 'error', role: 'alert', id: 'canned-error' });
  const title = h('input', { id: 'canned-title', maxlength: 100, required: true });
  const locale = h('select', { id: 'canned-locale' }, ['en', 'fi'].map((l) => h('option', { value: l, selected: l === lang() }, t('lang.' + l))));
  const body = h('textarea', { id: 'canned-body', rows: 6, maxlength: 4000, required: true });
  const shared = h('input', { type: 'checkbox', id: 'canned-shared' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'canned-save' }, t('action.save'));
  let editing = null;
  async function load() {
    try {
      const rs = await cannedReplies();
      if (!rs.length) return replace(listBox, h('p', { class: 'muted' }, t('canned.none')));
      replace(listBox, h('ul', { class: 'canned-items' }, rs.map((r) => h('li', { data: { canned: r.id } },
        h('strong', null, r.title), ' ', h('span', { class: 'muted small' }, t('lang.' + r.locale), ' · ', r.shared ? t('canned.shared') : t('canned.own')),
        h('p', { class: 'canned-body small' }, r.body),
        r.can_edit ? h('span', null,
          h('button', { type: 'button', class: 'link', onclick: () => edit(r) }, t('action.edit')), ' ',
          h('button', { type: 'button', class: 'link danger', onclick: () => remove(r) }, t('action.delete'))) : null))));
    } catch (e) {
      replace(listBox, h('p', { class: 'error' }, errorText(e)));
    }
  }
  function edit(r) {
    editing = r;
    title.value = r.title;
    body.value = r.body;
    locale.value = r.locale;
    shared.checked = r.shared;
    shared.disabled = true;
    title.focus();
  }
  async function remove(r) {
    try {
      await del('/canned-replies/' + r.id);
      load();
    } catch (e) {
      err.textContent = errorText(e);
    }
  }
  const form = h('form', { class: 'card', id: 'canned-form' },
    h('h2', null, t('canned.new')),
    h('div', { class: 'field' }, h('label', { for: 'canned-title' }, t('canned.titlefield')), title),
    h('div', { class: 'field' }, h('label', { for: 'canned-locale' }, t('canned.locale')), locale),
    h('div', { class: 'field' }, h('label', { for: 'canned-body' }, t('canned.body')), body,
      h('p', { class: 'help muted small' }, t('canned.placeholders'))),
    isAdmin() ? h('label', { class: 'check' }, shared, ' ', t('canned.sharedfield')) : null,
    err, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const inp = { title: title.value, body: body.value, locale: locale.value, shared: shared.checked };
    try {
      if (editing) await put('/canned-replies/' + editing.id, inp);
      else await post('/canned-replies', inp);
      editing = null;
      shared.disabled = false;
      form.reset();
      load();
    } catch (e2) {
      err.textContent = errorText(e2);
    }
  });
  replace(main, h('section', { class: 'page' }, h('h1', null, t('canned.title')),
    h('p', { class: 'help muted small' }, t('canned.help')), form, listBox));
  load();
  return null;
}

// cannedPicker is the composer's canned reply search for a conversation:
// Ctrl+Shift+K (or the button) opens it; typing searches, arrow keys
// move, Enter inserts the reply with its placeholders filled by the
// server at the textarea's cursor, Escape closes.
export function cannedPicker(textarea, conversationId, onInsert) {
  const search = h('input', { type: 'search', id: 'canned-search', autocomplete: 'off', placeholder: t('canned.search'), 'aria-label': t('canned.search'), 'aria-controls': 'canned-options' });
  const options = h('ul', { class: 'picklist', id: 'canned-options', role: 'listbox', 'aria-label': t('canned.title') });
  const box = h('div', { class: 'canned-picker', id: 'canned-picker', hidden: true }, search, options);
  const button = h('button', { type: 'button', class: 'link', id: 'canned-open', title: t('canned.shortcut'), 'aria-expanded': 'false' }, t('canned.insert'));
  let items = [];
  let active = 0;
  const draw = () => replace(options, ...(items.length ? items.map((r, i) => h('li', {
    role: 'option', id: 'canned-opt-' + r.id, 'aria-selected': i === active ? 'true' : 'false', class: i === active ? 'active' : '',
    onmousedown: (e) => { e.preventDefault(); pick(r); },
  }, h('strong', null, r.title), ' ', h('span', { class: 'muted small' }, t('lang.' + r.locale)))) : [h('li', { class: 'muted small' }, t('canned.none'))]));
  const find = debounce(async () => {
    try {
      items = (await cannedReplies(search.value.trim())).slice(0, 20);
    } catch (e) {
      items = [];
      replace(options, h('li', { class: 'error' }, errorText(e)));
      return;
    }
    active = 0;
    draw();
  }, 150);
  function open() {
    box.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    search.value = '';
    find();
    search.focus();
  }
  function close() {
    box.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    textarea.focus();
  }
  async function pick(r) {
    try {
      const ex = await post('/canned-replies/' + r.id + '/expand', { conversation_id: conversationId });
      const at = textarea.selectionStart ?? textarea.value.length;
      textarea.value = textarea.value.slice(0, at) + ex.body + textarea.value.slice(textarea.selectionEnd ?? at);
      textarea.selectionStart = textarea.selectionEnd = at + ex.body.length;
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
      close();
      onInsert?.();
    } catch (e) {
      replace(options, h('li', { class: 'error' }, errorText(e)));
    }
  }
  search.addEventListener('input', find);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
    if (e.key === 'ArrowDown' && items.length) { e.preventDefault(); active = (active + 1) % items.length; draw(); }
    if (e.key === 'ArrowUp' && items.length) { e.preventDefault(); active = (active + items.length - 1) % items.length; draw(); }
    if (e.key === 'Enter') { e.preventDefault(); if (items[active]) pick(items[active]); }
  });
  textarea.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.shiftKey && (e.key === 'K' || e.key === 'k')) { e.preventDefault(); open(); }
  });
  button.addEventListener('click', () => (box.hidden ? open() : close()));
  return { button, box };
}

// ---- "Send new message": to a customer ----

// addressFields are the office's "to a customer" fields of the new
// message form (message handlers and tenant admins): nobody, a customer
// user (searched) or a customer company. apply(inp) adds them to the
// request.
export function addressFields(companies) {
  if (!mayUseQueues()) return null;
  const kind = h('select', { id: 'new-to-kind' },
    h('option', { value: '' }, t('to.nobody')), h('option', { value: 'user' }, t('to.user')), h('option', { value: 'company' }, t('to.company')));
  const company = h('select', { id: 'new-to-company', hidden: true }, h('option', { value: '' }, '—'), companies.map((c) => h('option', { value: c.id }, c.name)));
  const userQ = h('input', { type: 'search', id: 'new-to-user', autocomplete: 'off', placeholder: t('new.person.search'), hidden: true, 'aria-label': t('to.user') });
  const userList = h('ul', { class: 'picklist', id: 'new-to-user-list' });
  const chosen = h('p', { class: 'small', id: 'new-to-chosen' });
  let user = null;
  kind.addEventListener('change', () => {
    company.hidden = kind.value !== 'company';
    userQ.hidden = kind.value !== 'user';
    if (kind.value !== 'user') { user = null; clear(chosen); clear(userList); }
  });
  userQ.addEventListener('input', debounce(async () => {
    const q = userQ.value.trim();
    if (!q) return clear(userList);
    try {
      const us = await getAll('/users' + query({ q, active: 'true' }), 20);
      replace(userList, ...us.slice(0, 10).map((u) => h('li', null, h('button', { type: 'button', class: 'link', onclick: () => {
        user = u;
        rememberUser(u.id, u.name);
        replace(chosen, t('to.chosen', { name: u.name }));
        clear(userList);
        userQ.value = '';
      } }, u.name))));
    } catch (e) {
      replace(userList, h('li', { class: 'error' }, errorText(e)));
    }
  }, 250));
  const el = h('fieldset', { id: 'new-to' }, h('legend', null, t('to.legend')),
    h('p', { class: 'help muted small' }, t('to.help')), kind, company, userQ, userList, chosen);
  return {
    el,
    apply(inp) {
      if (kind.value === 'company' && company.value) inp.to_company_id = Number(company.value);
      if (kind.value === 'user' && user) inp.to_user_id = user.id;
    },
  };
}
