// Administration for tenant admins (tenant settings, users and roles,
// companies, messenger groups and members, categories, the notification
// log, retention), and topic management for messenger managers.

import { h, replace, clear } from './dom.js';
import { get, post, patch, put, del, getAll, query, errorText } from './api.js';
import { t, tn, fmtDateTime, fmtInterval, LANGS } from './i18n.js';
import { state, isAdmin, roleName, statusLabel, categoryName, reloadMessenger, rememberUser, userName } from './store.js';
import { STATUSES, categoryRoles } from './conversation.js';

const SECTIONS = ['settings', 'users', 'roles', 'companies', 'groups', 'categories', 'notifylog', 'retention'];

function status() {
  return h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
}

function say(el, text, ok = true) {
  el.className = ok ? 'notice' : 'error';
  el.textContent = text;
}

async function run(el, fn, okText) {
  try {
    const r = await fn();
    say(el, okText || t('settings.saved'));
    return r;
  } catch (e) {
    say(el, errorText(e), false);
    throw e;
  }
}

function labeled(label, control) {
  if (!control.id) control.id = 'a-' + Math.random().toString(36).slice(2, 9);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
}

function checkList(items, selected, nameOf, idPrefix) {
  const boxes = new Map();
  const el = h('div', { class: 'checklist' }, items.map((it) => {
    const cb = h('input', { type: 'checkbox', value: it.id, checked: selected.includes(it.id), id: idPrefix + it.id });
    boxes.set(it.id, cb);
    return h('label', { class: 'check', for: idPrefix + it.id }, cb, ' ', nameOf(it));
  }));
  el.values = () => [...boxes].filter(([, cb]) => cb.checked).map(([id]) => id);
  return el;
}

export function adminView(main, section) {
  if (!isAdmin()) {
    replace(main, h('section', { class: 'page' }, h('h1', null, t('nav.admin')), h('p', { class: 'error' }, t('error.forbidden'))));
    return null;
  }
  section = SECTIONS.includes(section) ? section : 'settings';
  const body = h('div', { class: 'admin-body' });
  replace(main, h('section', { class: 'page admin' },
    h('h1', null, t('nav.admin')),
    h('nav', { class: 'tabs', 'aria-label': t('nav.admin') }, SECTIONS.map((s) => h('a', { href: '#/admin/' + s, class: s === section ? 'current' : '', 'aria-current': s === section ? 'page' : null, id: 'admin-tab-' + s }, t('admin.' + s)))),
    body));
  const fn = { settings, users, roles, companies, groups, categories, notifylog, retention }[section];
  fn(body).catch((e) => replace(body, h('p', { class: 'error' }, errorText(e))));
  return null;
}

// ---- tenant settings ----

async function settings(body) {
  const tn0 = await get('/tenant');
  const s = { ...tn0.settings };
  const msg = status();
  const messenger = h('input', { type: 'checkbox', id: 'ts-messenger', checked: !!s.messenger_enabled });
  const visibility = h('input', { type: 'checkbox', id: 'ts-visibility', checked: !!s.company_visibility });
  const excerpts = h('input', { type: 'checkbox', id: 'ts-excerpts', checked: !!s.email_excerpts });
  const retention = h('input', { type: 'number', id: 'ts-retention', min: 1, max: 36500, value: s.retention_days || 1460 });
  const stale = h('input', { type: 'number', id: 'ts-stale', min: 1, max: 720, value: s.stale_hours || 24 });
  const mailFrom = h('input', { type: 'email', id: 'ts-mailfrom', value: s.mail_from || '' });
  const replyTo = h('input', { type: 'email', id: 'ts-replyto', value: s.reply_to || '' });
  const officeEmail = h('input', { type: 'email', id: 'ts-officeemail', value: s.notification_email || '' });
  const officeLocale = h('select', { id: 'ts-officelocale' },
    LANGS.map((l) => h('option', { value: l, selected: (s.notification_locale || 'en') === l }, t('lang.' + l))));
  const labels = {};
  const labelRows = STATUSES.map((st) => h('tr', null, h('th', { scope: 'row' }, t('status.' + st)),
    LANGS.map((l) => {
      const inp = h('input', { id: `ts-label-${l}-${st}`, value: s.status_labels?.[l]?.[st] || '', placeholder: t('status.' + st), 'aria-label': t('admin.label.for', { status: t('status.' + st), lang: t('lang.' + l) }) });
      labels[l + ':' + st] = inp;
      return h('td', null, inp);
    })));
  const form = h('form', { class: 'card' },
    h('h2', null, t('admin.settings')),
    h('label', { class: 'check' }, messenger, ' ', t('admin.messenger')),
    h('p', { class: 'help muted small' }, t('admin.messenger.help')),
    h('label', { class: 'check' }, visibility, ' ', t('admin.visibility')),
    h('p', { class: 'help muted small' }, t('admin.visibility.help')),
    labeled(t('admin.retention'), retention),
    h('p', { class: 'help muted small' }, t('admin.retention.help')),
    labeled(t('admin.stale'), stale), h('p', { class: 'help muted small' }, t('admin.stale.help')),
    h('label', { class: 'check' }, excerpts, ' ', t('admin.excerpts')),
    h('p', { class: 'help muted small' }, t('admin.excerpts.help')),
    labeled(t('admin.mailfrom'), mailFrom), labeled(t('admin.replyto'), replyTo),
    labeled(t('admin.officeemail'), officeEmail),
    h('p', { class: 'help muted small' }, t('admin.officeemail.help')),
    labeled(t('admin.officelocale'), officeLocale),
    h('h3', null, t('admin.statuslabels')),
    h('p', { class: 'help muted small' }, t('admin.statuslabels.help')),
    h('table', { class: 'labels' }, h('thead', null, h('tr', null, h('th', null, ''), LANGS.map((l) => h('th', { scope: 'col' }, t('lang.' + l))))), h('tbody', null, labelRows)),
    msg,
    h('button', { type: 'submit', class: 'primary', id: 'ts-save' }, t('action.save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const sl = {};
    for (const [k, inp] of Object.entries(labels)) {
      const [l, st] = k.split(':');
      if (inp.value.trim()) (sl[l] ||= {})[st] = inp.value.trim();
    }
    const next = { ...s, messenger_enabled: messenger.checked, company_visibility: visibility.checked, email_excerpts: excerpts.checked,
      retention_days: Number(retention.value) || 0, stale_hours: Number(stale.value) || 0, mail_from: mailFrom.value.trim(), reply_to: replyTo.value.trim(), status_labels: sl,
      notification_email: officeEmail.value.trim(), notification_locale: officeLocale.value };
    const r = await run(msg, () => patch('/tenants/' + tn0.id, { settings: next })).catch(() => null);
    if (r) {
      state.me.tenant = r;
      reloadMessenger();
    }
  });
  replace(body, form);
}

// ---- users ----

async function users(body) {
  const [companies, all] = await Promise.all([getAll('/companies'), getAll('/users')]);
  const msg = status();
  const q = h('input', { type: 'search', id: 'au-q', placeholder: t('admin.users.search'), 'aria-label': t('admin.users.search') });
  const table = h('div');
  const editor = h('div', { id: 'au-editor' });
  function draw() {
    const f = q.value.trim().toLowerCase();
    const rows = all.filter((u) => !f || u.name.toLowerCase().includes(f) || u.email.toLowerCase().includes(f));
    replace(table, h('table', null,
      h('thead', null, h('tr', null, [t('admin.user.name'), t('admin.user.email'), t('admin.user.roles'), t('admin.user.companies'), t('admin.user.active'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((u) => h('tr', { class: u.active ? '' : 'inactive' },
        h('td', null, u.name), h('td', null, u.email),
        h('td', null, u.role_ids.map((id) => roleName(state.roles.find((r) => r.id === id))).join(', ')),
        h('td', null, u.company_ids.map((id) => companies.find((c) => c.id === id)?.name || id).join(', ')),
        h('td', null, u.active ? t('yes') : t('no')),
        h('td', null, h('button', { type: 'button', class: 'link', onclick: () => edit(u) }, t('action.edit'))))))));
  }
  function edit(u) {
    const isNew = !u;
    u = u || { name: '', email: '', locale: 'en', role_ids: state.roles.filter((r) => r.key === 'employee').map((r) => r.id), company_ids: [], active: true, manager_id: null };
    const name = h('input', { value: u.name, required: true });
    const email = h('input', { type: 'email', value: u.email, required: true });
    const locale = h('select', null, LANGS.map((l) => h('option', { value: l, selected: u.locale === l }, t('lang.' + l))));
    const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10, placeholder: isNew ? t('admin.user.password.gen') : t('admin.user.password.keep') });
    const active = h('input', { type: 'checkbox', checked: u.active });
    const manager = h('select', null, h('option', { value: '' }, '—'), all.filter((x) => x.id !== u.id).map((x) => h('option', { value: x.id, selected: x.id === u.manager_id }, x.name)));
    const rolesEl = checkList(state.roles, u.role_ids, roleName, 'au-role-');
    const compEl = checkList(companies, u.company_ids, (c) => c.name, 'au-comp-');
    const form = h('form', { class: 'card' }, h('h2', null, isNew ? t('admin.user.new') : t('admin.user.edit', { name: u.name })),
      labeled(t('admin.user.name'), name), labeled(t('admin.user.email'), email), labeled(t('settings.language'), locale),
      labeled(isNew ? t('admin.user.password') : t('admin.user.resetpw'), password),
      h('fieldset', null, h('legend', null, t('admin.user.roles')), rolesEl),
      h('fieldset', null, h('legend', null, t('admin.user.companies')), compEl),
      labeled(t('admin.user.manager'), manager),
      h('label', { class: 'check' }, active, ' ', t('admin.user.active')),
      h('div', { class: 'form-foot' }, h('button', { type: 'button', onclick: () => clear(editor) }, t('action.cancel')), h('button', { type: 'submit', class: 'primary' }, t('action.save'))));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const inp = { name: name.value.trim(), email: email.value.trim(), locale: locale.value, role_ids: rolesEl.values(), company_ids: compEl.values(), manager_id: manager.value ? Number(manager.value) : null };
      try {
        if (isNew) {
          const created = await run(msg, () => post('/users', { ...inp, password: password.value }));
          all.push(created);
          if (created.password || created.generated_password) say(msg, t('admin.user.created.pw', { pw: created.password || created.generated_password }));
        } else {
          const updated = await run(msg, () => patch('/users/' + u.id, { ...inp, active: active.checked }));
          Object.assign(u, updated);
          if (password.value) {
            await run(msg, () => post(`/users/${u.id}/password`, { password: password.value }));
          }
        }
        clear(editor);
        draw();
      } catch {
        // shown in msg
      }
    });
    replace(editor, form);
    name.focus();
  }
  q.addEventListener('input', draw);
  replace(body, h('div', { class: 'toolbar-row' }, q, h('button', { type: 'button', class: 'primary', id: 'au-new', onclick: () => edit(null) }, t('admin.user.new'))), msg, editor, table);
  draw();
}

// ---- roles ----

async function roles(body) {
  const msg = status();
  const list = h('div');
  async function draw() {
    const rs = (await get('/roles')).items || [];
    state.roles = rs;
    replace(list, h('table', null,
      h('thead', null, h('tr', null, [t('admin.role.name'), t('admin.role.handler'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rs.map((r) => {
        const name = h('input', { value: r.name, 'aria-label': t('admin.role.name'), disabled: r.builtin });
        const handler = h('input', { type: 'checkbox', checked: r.handler, 'aria-label': t('admin.role.handler') });
        return h('tr', null, h('td', null, r.builtin ? roleName(r) : name), h('td', null, handler),
          h('td', null,
            h('button', { type: 'button', class: 'link', onclick: () => run(msg, () => patch('/roles/' + r.id, r.builtin ? { handler: handler.checked } : { name: name.value, handler: handler.checked })).then(draw, () => {}) }, t('action.save')),
            r.builtin ? null : h('button', { type: 'button', class: 'link danger', onclick: () => run(msg, () => del('/roles/' + r.id)).then(draw, () => {}) }, t('action.delete'))));
      }))));
  }
  const name = h('input', { id: 'ar-name', required: true });
  const handler = h('input', { type: 'checkbox', id: 'ar-handler' });
  const form = h('form', { class: 'card inline' }, labeled(t('admin.role.new'), name), h('label', { class: 'check' }, handler, ' ', t('admin.role.handler')), h('button', { type: 'submit', class: 'primary' }, t('action.add')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await run(msg, () => post('/roles', { name: name.value.trim(), handler: handler.checked })).then(() => { name.value = ''; draw(); }, () => {});
  });
  replace(body, h('p', { class: 'help muted' }, t('admin.roles.help')), form, msg, list);
  await draw();
}

// ---- companies ----

async function companies(body) {
  const msg = status();
  const list = h('ul', { class: 'plain' });
  async function draw() {
    const cs = await getAll('/companies');
    replace(list, ...cs.map((c) => {
      const name = h('input', { value: c.name, 'aria-label': t('admin.company.name') });
      return h('li', { class: 'inline' }, name, h('button', { type: 'button', class: 'link', onclick: () => run(msg, () => patch('/companies/' + c.id, { name: name.value.trim() })).catch(() => {}) }, t('action.save')));
    }));
  }
  const name = h('input', { id: 'ac-name', required: true });
  const form = h('form', { class: 'card inline' }, labeled(t('admin.company.new'), name), h('button', { type: 'submit', class: 'primary' }, t('action.add')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    await run(msg, () => post('/companies', { name: name.value.trim() })).then(() => { name.value = ''; draw(); }, () => {});
  });
  replace(body, form, msg, list);
  await draw();
}

// ---- messenger groups ----

async function groups(body) {
  const msg = status();
  const list = h('div');
  const editor = h('div', { id: 'ag-editor' });
  const everyone = await getAll('/users' + query({ active: 'true' }));
  async function draw() {
    const gs = await getAll('/messenger/groups');
    replace(list, h('table', null,
      h('thead', null, h('tr', null, [t('admin.group.name'), t('admin.group.description'), t('admin.group.active'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, gs.map((g) => h('tr', { class: g.active ? '' : 'inactive' }, h('td', null, g.name), h('td', null, g.description), h('td', null, g.active ? t('yes') : t('no')),
        h('td', null, h('button', { type: 'button', class: 'link', onclick: () => edit(g) }, t('action.edit'))))))));
  }
  async function edit(g) {
    const isNew = !g;
    g = g || { name: '', description: '', active: true };
    let memberIds = [];
    if (!isNew) {
      const ms = await get(`/messenger/groups/${g.id}/members`).catch(() => ({ items: [] }));
      memberIds = (ms.items || []).map((m) => m.id);
    }
    const name = h('input', { value: g.name, required: true, id: 'ag-name' });
    const desc = h('textarea', { rows: 2, id: 'ag-desc' }, g.description || '');
    const active = h('input', { type: 'checkbox', checked: g.active, id: 'ag-active' });
    const membersEl = checkList(everyone, memberIds, (u) => u.name + ' (' + u.email + ')', 'ag-m-');
    const form = h('form', { class: 'card' }, h('h2', null, isNew ? t('admin.group.new') : t('admin.group.edit', { name: g.name })),
      labeled(t('admin.group.name'), name), labeled(t('admin.group.description'), desc),
      h('label', { class: 'check' }, active, ' ', t('admin.group.active')),
      h('fieldset', null, h('legend', null, t('admin.group.members')),
        h('p', { class: 'warning', id: 'ag-warning' }, t('admin.group.warning')), membersEl),
      h('div', { class: 'form-foot' }, h('button', { type: 'button', onclick: () => clear(editor) }, t('action.cancel')), h('button', { type: 'submit', class: 'primary', id: 'ag-save' }, t('action.save'))));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        let saved;
        const inp = { name: name.value.trim(), description: desc.value, active: active.checked };
        if (isNew) saved = await run(msg, () => post('/messenger/groups', inp));
        else saved = await run(msg, () => patch('/messenger/groups/' + g.id, inp));
        await run(msg, () => put(`/messenger/groups/${saved.id}/members`, { user_ids: membersEl.values() }));
        clear(editor);
        draw();
        reloadMessenger();
      } catch {
        // shown in msg
      }
    });
    replace(editor, form);
    name.focus();
  }
  replace(body, h('p', { class: 'warning' }, t('admin.group.warning')),
    h('button', { type: 'button', class: 'primary', id: 'ag-new', onclick: () => edit(null) }, t('admin.group.new')), msg, editor, list);
  await draw();
}

// ---- categories ----

async function categories(body) {
  const msg = status();
  const list = h('div');
  const editor = h('div');
  async function draw() {
    const r = await get('/categories?all=true');
    const cs = r.items || r || [];
    state.categories = null;
    replace(list, h('table', null,
      h('thead', null, h('tr', null, [t('admin.cat.name_en'), t('admin.cat.name_fi'), t('admin.cat.roles'), t('admin.cat.retention'), t('admin.group.active'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, cs.map((c) => h('tr', { class: c.active ? '' : 'inactive' }, h('td', null, c.name_en), h('td', null, c.name_fi),
        h('td', null, categoryRoles(c).map((id) => roleName(state.roles.find((x) => x.id === id))).join(', ')),
        h('td', null, c.retention_days ? tn('admin.days', c.retention_days) : t('admin.cat.retention.default')),
        h('td', null, c.active ? t('yes') : t('no')),
        h('td', null, h('button', { type: 'button', class: 'link', onclick: () => edit(c) }, t('action.edit'))))))));
  }
  function edit(c) {
    const isNew = !c;
    c = c || { name_en: '', name_fi: '', active: true };
    const en = h('input', { value: c.name_en, required: true });
    const fi = h('input', { value: c.name_fi });
    const ret = h('input', { type: 'number', min: 1, value: c.retention_days || '', placeholder: t('admin.cat.retention.default') });
    const active = h('input', { type: 'checkbox', checked: c.active });
    const rolesEl = checkList(state.roles, categoryRoles(c), roleName, 'acat-role-');
    const form = h('form', { class: 'card' }, h('h2', null, isNew ? t('admin.cat.new') : categoryName(c)),
      labeled(t('admin.cat.name_en'), en), labeled(t('admin.cat.name_fi'), fi),
      h('fieldset', null, h('legend', null, t('admin.cat.roles')), rolesEl),
      labeled(t('admin.cat.retention'), ret),
      h('label', { class: 'check' }, active, ' ', t('admin.group.active')),
      h('div', { class: 'form-foot' }, h('button', { type: 'button', onclick: () => clear(editor) }, t('action.cancel')), h('button', { type: 'submit', class: 'primary' }, t('action.save'))));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const inp = { name_en: en.value.trim(), name_fi: fi.value.trim(), role_ids: rolesEl.values(), active: active.checked };
      if (ret.value) inp.retention_days = Number(ret.value);
      try {
        await run(msg, () => (isNew ? post('/categories', inp) : put('/categories/' + c.id, inp)));
        clear(editor);
        draw();
      } catch {
        // shown
      }
    });
    replace(editor, form);
    en.focus();
  }
  replace(body, h('button', { type: 'button', class: 'primary', onclick: () => edit(null) }, t('admin.cat.new')), msg, editor, list);
  await draw();
}

// ---- notification log ----

async function notifylog(body) {
  const everyone = await getAll('/users');
  const user = h('select', { id: 'nl-user' }, h('option', { value: '' }, '—'), everyone.map((u) => h('option', { value: u.id }, u.name + ' (' + u.email + ')')));
  const message = h('input', { type: 'number', id: 'nl-message', min: 1 });
  const out = h('div', { id: 'nl-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'card' }, h('p', { class: 'help muted' }, t('admin.notifylog.help')),
    labeled(t('admin.notifylog.user'), user), labeled(t('admin.notifylog.message'), message),
    h('button', { type: 'submit', class: 'primary' }, t('search.submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const items = await getAll('/notifications/log' + query({ user: user.value, message: message.value }), 500);
      for (const u of everyone) rememberUser(u.id, u.name);
      replace(out, items.length ? h('table', null,
        h('thead', null, h('tr', null, [t('admin.notifylog.when'), t('admin.notifylog.user'), t('admin.notifylog.message'), t('admin.notifylog.outcome'), t('admin.notifylog.why')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, items.map((x) => h('tr', null, h('td', null, fmtDateTime(x.created_at)), h('td', null, x.user_id ? userName(x.user_id) : x.detail || ''),
          h('td', null, h('a', { href: '#/' + String(x.channel).replace(':', '/') }, x.channel), ' #', x.message_id),
          h('td', null, x.via === 'push' ? t('alerts.via.push') + ' · ' : '', h('span', { class: 'outcome outcome-' + x.outcome }, t('outcome.' + x.outcome) !== 'outcome.' + x.outcome ? t('outcome.' + x.outcome) : x.outcome)),
          h('td', null, x.explanation || x.reason)))))
        : h('p', { class: 'muted' }, t('admin.notifylog.none')));
    } catch (err) {
      replace(out, h('p', { class: 'error' }, errorText(err)));
    }
  });
  replace(body, form, out);
}

// ---- retention ----

async function retention(body) {
  const preview = h('div');
  const runs = h('div');
  replace(body, h('p', { class: 'help muted' }, t('admin.retention.explain')), h('h2', null, t('admin.retention.preview')), preview, h('h2', null, t('admin.retention.runs')), runs);
  try {
    const p = await get('/retention/preview');
    const items = p.items || [];
    replace(preview, items.length ? h('ul', null, items.map((c) => h('li', null, c.subject, ' · ', t('conv.lastactivity'), ' ', fmtDateTime(c.last_activity_at)))) : h('p', { class: 'muted' }, t('admin.retention.nothing')));
  } catch (e) {
    replace(preview, h('p', { class: 'error' }, errorText(e)));
  }
  try {
    const r = await get('/retention/runs');
    const items = r.items || [];
    replace(runs, items.length ? h('ul', null, items.map((x) => h('li', null, fmtDateTime(x.started_at || x.created_at), ' · ', tn('admin.retention.deleted', x.deleted ?? x.conversations ?? 0)))) : h('p', { class: 'muted' }, t('admin.retention.noruns')));
  } catch (e) {
    replace(runs, h('p', { class: 'error' }, errorText(e)));
  }
}

// ---- topics of a group (messenger managers) ----

const INTERVALS = [0, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800, 604800];

export function manageGroupView(main, groupId) {
  const msg = status();
  const list = h('div', { id: 'topics-admin' });
  const g = state.groups.find((x) => x.id === groupId);
  function intervalSelect(id, value) {
    const opts = INTERVALS.includes(value) ? INTERVALS : [...INTERVALS, value].sort((a, b) => a - b);
    return h('select', { id }, opts.map((s) => h('option', { value: s, selected: s === value }, fmtInterval(s))));
  }
  function topicForm(tp) {
    const isNew = !tp;
    tp = tp || { name: '', email_notify: true, notify_interval_seconds: 3600, active: true };
    const p = isNew ? 'nt' : 'et-' + tp.id;
    const name = h('input', { id: p + '-name', value: tp.name, required: true, maxlength: 200 });
    const notify = h('input', { type: 'checkbox', id: p + '-notify', checked: tp.email_notify });
    const interval = intervalSelect(p + '-interval', tp.notify_interval_seconds || 0);
    const active = h('input', { type: 'checkbox', id: p + '-active', checked: tp.active });
    const form = h('form', { class: ['card', 'topic-form', !tp.active && 'inactive'], data: { topic: tp.id || 'new' } },
      h('h2', null, isNew ? t('topic.new') : tp.name),
      labeled(t('topic.name'), name),
      h('label', { class: 'check' }, notify, ' ', t('topic.emailnotify')),
      labeled(t('topic.interval'), interval),
      h('p', { class: 'help muted small' }, t('topic.interval.help')),
      isNew ? null : h('label', { class: 'check' }, active, ' ', t('topic.active')),
      isNew ? null : h('p', { class: 'help muted small' }, t('topic.active.help')),
      h('button', { type: 'submit', class: 'primary', id: p + '-save' }, isNew ? t('topic.create') : t('action.save')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const inp = { name: name.value.trim(), email_notify: notify.checked, notify_interval_seconds: Number(interval.value) };
      try {
        if (isNew) {
          await run(msg, () => post(`/messenger/groups/${groupId}/topics`, { ...inp, active: true }), t('topic.created'));
          name.value = '';
        } else {
          await run(msg, () => patch('/messenger/topics/' + tp.id, { ...inp, active: active.checked }));
        }
        draw();
      } catch {
        // shown
      }
    });
    return form;
  }
  async function draw() {
    try {
      const r = await get(`/messenger/groups/${groupId}/topics`);
      replace(list, ...(r.items || []).map(topicForm));
    } catch (e) {
      replace(list, h('p', { class: 'error' }, errorText(e)));
    }
  }
  replace(main, h('section', { class: 'page' },
    h('h1', null, t('topic.managetitle', { group: g ? g.name : '#' + groupId })),
    h('p', { class: 'warning' }, t('admin.group.warning')),
    msg, topicForm(null), h('h2', null, t('topic.existing')), list));
  draw();
  return null;
}
