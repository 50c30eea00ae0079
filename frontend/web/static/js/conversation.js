// Support conversations: "Send new message", the list with filters, the
// conversation panel with the handler tools, and how status events read.

import { h, replace, clear, debounce, uid, icon } from './dom.js';
import { get, post, put, query, errorText, getAll } from './api.js';
import { uploadItem, acceptFiles } from './files.js';
import { t, tn, fmtDateTime, lang } from './i18n.js';
import {
  bus, state, isAdmin, isHandler, hasRoleKey, statusLabel, categoryName, roleName, userName, rememberUser,
  upsertConversation, directory, myId,
} from './store.js';
import { loadDraft, saveDraft, discardDraft, serverDrafts, draftIdFor } from './drafts.js';
import { addressFields, conversationPages } from './helpdesk.js';

export const STATUSES = ['new', 'open', 'waiting', 'solved'];

export async function categories(all) {
  if (!state.categories || all) {
    const r = await get('/categories' + (all ? '?all=true' : ''));
    const items = r.items || r || [];
    if (all) return items;
    state.categories = items;
  }
  return state.categories;
}

export function categoryRoles(c) {
  return c?.role_ids || c?.role_i_ds || [];
}

// describeChange turns a status event (chat.ConversationChange) into a
// sentence with who did it.
export function describeChange(c, who) {
  if (!c) return t('change.unknown', { who });
  const name = c.user_name || (c.user_id ? userName(c.user_id) : '');
  switch (c.what) {
    case 'status':
      return t('change.status', { who, from: c.from ? statusLabel(c.from) : '—', to: statusLabel(c.to) });
    case 'handler':
      if (!c.user_id) return t('change.handler.none', { who });
      return name === who ? t('change.handler.took', { who }) : t('change.handler', { who, name });
    case 'customer_assignee':
      return c.user_id ? t('change.assignee', { who, name }) : t('change.assignee.none', { who });
    case 'admin':
      return c.user_id ? t('change.admin', { who, name }) : t('change.admin.none', { who });
    case 'notify_admins':
      return t('change.notifyadmins', { who });
    case 'external_emails':
      return t('change.emails', { who, emails: (c.emails || []).join(', ') });
  }
  return t('change.unknown', { who });
}

function field(label, control, help) {
  const id = control.id || 'f-' + uid().slice(0, 8);
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, help ? h('p', { class: 'help muted small' }, help) : null);
}

function userSelect(id, users, selected, emptyLabel) {
  return h('select', { id }, h('option', { value: '' }, emptyLabel || '—'),
    users.map((u) => h('option', { value: u.id, selected: u.id === selected }, u.name)));
}

// ---- conversation panel with handler tools ----

export function conversationPanel(c, th) {
  const can = c.can || {};
  const box = h('div', { class: 'conv-panel', id: 'conv-panel' });
  const msg = h('p', { class: 'error', role: 'alert' });
  const act = async (fn) => {
    msg.textContent = '';
    try {
      const r = await fn();
      for (const el of document.querySelectorAll('#conv-panel [data-dirty]')) delete el.dataset.dirty;
      if (r && r.id) upsertConversation(r);
    } catch (e) {
      msg.textContent = errorText(e);
    }
  };
  const cat = state.categories?.find((x) => x.id === c.category_id);
  const dl = h('dl', { class: 'facts' },
    h('dt', null, t('conv.status')), h('dd', null, h('span', { class: 'status status-' + c.status, id: 'conv-status' }, statusLabel(c.status))),
    cat ? [h('dt', null, t('conv.category')), h('dd', null, categoryName(cat))] : null,
    h('dt', null, t('conv.handler')), h('dd', { id: 'conv-handler' }, c.handler_id ? userName(c.handler_id) : t('conv.nohandler')),
    c.customer_assignee_id ? [h('dt', null, t('conv.assignee')), h('dd', null, userName(c.customer_assignee_id))] : null,
    c.admin_id ? [h('dt', null, t('conv.admin')), h('dd', null, userName(c.admin_id))] : null,
    c.to_customer ? [h('dt', null, t('to.legend')), h('dd', { id: 'conv-to' }, c.customer_company_id ? t('to.company') : userName(c.customer_assignee_id))] : null,
    h('dt', null, t('conv.creator')), h('dd', null, userName(c.creator_id), ' · ', fmtDateTime(c.created_at)),
    c.related_user_id ? [h('dt', null, t('conv.relatedperson')), h('dd', null, userName(c.related_user_id))] : null,
    c.external_emails?.length ? [h('dt', null, t('conv.emails')), h('dd', null, c.external_emails.join(', '), h('p', { class: 'warning small' }, t('conv.emailwarning')))] : null);
  box.appendChild(dl);

  const tools = h('div', { class: 'tools', role: 'group', 'aria-label': t('conv.tools') });
  if (can.take) tools.appendChild(h('button', { type: 'button', class: 'primary', id: 'conv-take', onclick: () => act(() => post(`/conversations/${c.id}/take`)) }, t('conv.take')));
  if (can.set_status) {
    const sel = h('select', { id: 'conv-status-select', 'aria-label': t('conv.setstatus') }, STATUSES.map((s) => h('option', { value: s, selected: s === c.status }, statusLabel(s))));
    tools.appendChild(h('div', { class: 'inline' }, sel,
      h('button', { type: 'button', id: 'conv-status-set', onclick: () => act(() => put(`/conversations/${c.id}/status`, { status: sel.value })) }, t('conv.setstatus'))));
  }
  if (can.notify_admins) tools.appendChild(h('button', { type: 'button', id: 'conv-notify-admins', onclick: () => act(() => post(`/conversations/${c.id}/notify-admins`)) }, t('conv.notifyadmins')));
  const lazy = [];
  if (can.set_handler) lazy.push(['handler', t('conv.handover'), 'conv-handover', (id) => put(`/conversations/${c.id}/handler`, { user_id: id }), c.handler_id]);
  if (can.set_assignee) lazy.push(['assignee', t('conv.setassignee'), 'conv-assignee', (id) => put(`/conversations/${c.id}/assignee`, { user_id: id }), c.customer_assignee_id]);
  if (can.set_admin) lazy.push(['admin', t('conv.setadmin'), 'conv-admin', (id) => put(`/conversations/${c.id}/admin`, { user_id: id }), c.admin_id]);
  for (const [kind, label, id, fn, current] of lazy) {
    const holder = h('div', { class: 'inline' });
    const open = h('button', { type: 'button', class: 'link', id: id + '-open' }, label);
    open.addEventListener('click', async () => {
      let users = [];
      try {
        users = await candidates(kind, c);
      } catch (e) {
        msg.textContent = errorText(e);
        return;
      }
      const sel = userSelect(id + '-select', users, current, t('conv.nobody'));
      sel.setAttribute('aria-label', label);
      replace(holder, sel, h('button', { type: 'button', id: id + '-save', onclick: () => act(() => fn(sel.value ? Number(sel.value) : null)) }, t('action.save')));
      sel.focus();
    });
    holder.appendChild(open);
    tools.appendChild(holder);
  }
  if (can.add_external_email) {
    const input = h('input', { type: 'email', id: 'conv-email', placeholder: 'name@example.com', 'aria-label': t('conv.addemail') });
    tools.appendChild(h('div', { class: 'inline' }, input,
      h('button', { type: 'button', onclick: () => act(() => post(`/conversations/${c.id}/external-emails`, { emails: input.value.split(/[\s,;]+/).filter(Boolean) })) }, t('conv.addemail'))));
    tools.appendChild(h('p', { class: 'warning small' }, t('conv.emailwarning')));
  }
  if (tools.childNodes.length) box.appendChild(tools);
  box.appendChild(msg);

  // Status history: the status events of the thread, oldest first.
  const hist = h('details', { class: 'history', id: 'conv-history' }, h('summary', null, t('conv.history')));
  const histBody = h('div');
  hist.appendChild(histBody);
  const fill = () => {
    const items = th.sorted().filter((m) => m.kind === 'status');
    replace(histBody, items.length
      ? h('ol', null, items.map((m) => {
        let ch = m.change || null;
        if (!ch) try { ch = JSON.parse(m.body); } catch { ch = null; }
        return h('li', null, h('time', { datetime: m.created_at }, fmtDateTime(m.created_at)), ' ', describeChange(ch, m.author_name || userName(m.author_id)));
      }))
      : h('p', { class: 'muted small' }, t('conv.history.none')));
  };
  hist.addEventListener('toggle', fill);
  hist.fill = fill;
  fill();
  box.appendChild(hist);
  return box;
}

async function candidates(kind, c) {
  const roles = state.roles;
  if (kind === 'handler') {
    const ids = roles.filter((r) => r.handler).map((r) => r.id);
    return (await getAll('/users' + query({ role: ids.join(','), active: 'true' }), 400)).map(remember);
  }
  if (kind === 'admin') {
    // Exactly whom the server accepts for this conversation.
    return ((await get(`/conversations/${c.id}/admin-candidates`)).items || []).map(remember);
  }
  const company = c.related_company_id;
  return (await getAll('/users' + query({ company: company || '', active: 'true' }), 400)).map(remember);
}

function remember(u) {
  rememberUser(u.id, u.name);
  return u;
}

// ---- list ----

export function conversationListView(main) {
  const statusSel = h('select', { id: 'cl-status' }, h('option', { value: '' }, t('conv.filter.anystatus')), STATUSES.map((s) => h('option', { value: s }, statusLabel(s))));
  const catSel = h('select', { id: 'cl-category' }, h('option', { value: '' }, t('conv.filter.anycategory')));
  const mine = h('input', { type: 'checkbox', id: 'cl-mine' });
  categories().then((cs) => { for (const c of cs) catSel.appendChild(h('option', { value: c.id }, categoryName(c))); }).catch(() => {});
  const pages = conversationPages({
    empty: t('conv.none'), lastTitle: t('conv.lastactivity'), lastAt: (c) => c.last_activity_at,
    params: () => ({ mine: mine.checked ? 'true' : '', status: statusSel.value, category: catSel.value }),
  });
  for (const el of [statusSel, catSel, mine]) el.addEventListener('change', () => pages.load(false));
  replace(main, h('section', { class: 'page' },
    h('div', { class: 'page-head' }, h('h1', null, t('nav.messages')), h('a', { href: '#/new', class: 'button primary' }, t('nav.newmessage'))),
    h('div', { class: 'filters' }, h('label', null, mine, ' ', t('conv.filter.mine')), field(t('conv.status'), statusSel), field(t('conv.category'), catSel)),
    pages.list, pages.more));
  pages.load(false);
  const off = bus.on('conversations', () => pages.load(false));
  const offUsers = bus.on('users', pages.draw);
  return () => { off(); offUsers(); };
}

// ---- "Send new message" ----

export function newMessageView(main) {
  const canRoles = isHandler() || isAdmin();
  const canRelate = isHandler() || isAdmin() || hasRoleKey('manager');
  const canEmails = isHandler();
  const canAdmins = isHandler() || isAdmin();
  let draftKey = 'new';
  let draftId = 0;

  const err = h('p', { class: 'error', role: 'alert', id: 'new-error' });
  const subject = h('input', { id: 'new-subject', maxlength: 200, required: true, autocomplete: 'off' });
  const category = h('select', { id: 'new-category', required: true }, h('option', { value: '' }, t('new.choosecategory')));
  const roleBox = h('fieldset', { class: 'roles', id: 'new-roles' }, h('legend', null, t('new.receivers')));
  const preview = h('div', { class: 'preview', id: 'new-preview', 'aria-live': 'polite' });
  const previewBtn = h('button', { type: 'button', class: 'link', id: 'new-preview-btn' }, icon('eye'), ' ', t('new.seewho'));
  const company = h('select', { id: 'new-company' }, h('option', { value: '' }, '—'));
  const personQ = h('input', { type: 'search', id: 'new-person', autocomplete: 'off', placeholder: t('new.person.search') });
  const personList = h('ul', { class: 'picklist', id: 'new-person-list' });
  const personChosen = h('p', { class: 'small', id: 'new-person-chosen' });
  const emails = h('input', { id: 'new-emails', placeholder: 'name@example.com, …' });
  const notifyAdmins = h('input', { type: 'checkbox', id: 'new-notify-admins' });
  const adminSel = h('select', { id: 'new-admin' }, h('option', { value: '' }, '—'));
  const body = h('textarea', { id: 'new-body', rows: 8, required: true });
  const fileInput = h('input', { type: 'file', multiple: true, id: 'new-file' });
  const uploads = h('ul', { class: 'uploads' });
  const draftState = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'new-send' }, t('new.send'));
  const draftsBox = h('div', { class: 'drafts', id: 'new-drafts' });
  let relatedUser = null;
  const files = [];

  const roleChecks = new Map();
  for (const r of state.roles) {
    const cb = h('input', { type: 'checkbox', value: r.id, disabled: !canRoles, data: { role: r.key || r.id } });
    roleChecks.set(r.id, cb);
    roleBox.appendChild(h('label', { class: 'check' }, cb, ' ', roleName(r)));
  }
  if (!canRoles) roleBox.appendChild(h('p', { class: 'help muted small' }, t('new.receivers.fixed')));

  // The form's own copy: a live category change clears the shared cache
  // (state.categories) while the form is open.
  let cats = [];
  categories().then((cs) => {
    cats = cs;
    for (const c of cs) category.appendChild(h('option', { value: c.id }, categoryName(c)));
    restore();
  }).catch((e) => { err.textContent = errorText(e); });

  category.addEventListener('change', () => {
    const c = cats.find((x) => x.id === Number(category.value));
    const ids = categoryRoles(c);
    for (const [id, cb] of roleChecks) cb.checked = ids.includes(id);
    clear(preview);
    saveSoon();
  });

  const toBox = h('div', { id: 'new-to-box' });
  let address = null;
  if (canRelate) {
    get('/companies' + query({ limit: 200 })).then((r) => {
      for (const c of r.items || []) company.appendChild(h('option', { value: c.id }, c.name));
      address = addressFields(r.items || []);
      if (address) replace(toBox, address.el);
    }).catch(() => {});
    const search = debounce(async () => {
      const q = personQ.value.trim();
      if (!q) return clear(personList);
      try {
        const users = await getAll('/users' + query({ q, active: 'true' }), 20);
        replace(personList, ...users.slice(0, 10).map((u) => h('li', null, h('button', { type: 'button', class: 'link', onclick: () => pickPerson(u) }, u.name))));
      } catch (e) {
        replace(personList, h('li', { class: 'error' }, errorText(e)));
      }
    }, 250);
    personQ.addEventListener('input', search);
  }

  function pickPerson(u) {
    relatedUser = u;
    rememberUser(u.id, u.name);
    replace(personChosen, t('new.person.chosen', { name: u.name }), ' ',
      h('button', { type: 'button', class: 'link', onclick: () => { relatedUser = null; clear(personChosen); saveSoon(); } }, t('action.remove')));
    clear(personList);
    personQ.value = '';
    // The person's employment fills the company.
    if (u.company_ids?.length) company.value = String(u.company_ids[0]);
    saveSoon();
  }

  if (canAdmins) {
    // The server's list is exactly whom creation accepts (the company rule
    // included): the directory alone would miss tenant admins.
    get('/conversations/admin-candidates').then((r) => {
      for (const u of r.items || []) adminSel.appendChild(h('option', { value: u.id }, remember(u).name));
    }).catch(() => {});
  }

  // Files come from the picker, a paste into the message or a drop on the form.
  const addFile = (f) => {
    const item = uploadItem(f, (u) => { const i = files.indexOf(u); if (i >= 0) files.splice(i, 1); });
    uploads.appendChild(item.el);
    files.push(item);
  };
  fileInput.addEventListener('change', () => {
    for (const f of fileInput.files) addFile(f);
    fileInput.value = '';
  });

  function input() {
    const roleIds = [...roleChecks].filter(([, cb]) => cb.checked).map(([id]) => id);
    const c = cats.find((x) => x.id === Number(category.value));
    const preset = categoryRoles(c);
    const changed = roleIds.length !== preset.length || roleIds.some((id) => !preset.includes(id));
    const inp = { subject: subject.value.trim(), category_id: Number(category.value) || 0, body: body.value };
    if (canRoles && changed) inp.role_ids = roleIds;
    if (canRelate && company.value) inp.related_company_id = Number(company.value);
    if (canRelate && relatedUser) inp.related_user_id = relatedUser.id;
    if (canEmails && emails.value.trim()) inp.external_emails = emails.value.split(/[\s,;]+/).filter(Boolean);
    if (canAdmins) {
      inp.notify_admins = notifyAdmins.checked;
      if (adminSel.value) inp.admin_id = Number(adminSel.value);
    }
    address?.apply(inp);
    return inp;
  }

  previewBtn.addEventListener('click', async () => {
    replace(preview, t('new.preview.loading'));
    try {
      const r = await post('/conversations/preview', input());
      const rs = r.items || r.receivers || [];
      replace(preview, h('p', null, tn('new.preview.count', rs.length + (r.hidden || 0))),
        r.hidden ? h('p', { class: 'muted small' }, tn('new.preview.hidden', r.hidden)) : null,
        h('ul', { class: 'receivers' }, rs.map((x) => h('li', null, x.name, ' ', h('span', { class: 'muted small' }, '(' + (x.reasons || []).map((why) => t('reason.' + why)).join(', ') + ')')))));
    } catch (e) {
      replace(preview, h('p', { class: 'error' }, errorText(e)));
    }
  });

  // Drafts: saved on the server while typing.
  const saveSoon = debounce(() => {
    const inp = input();
    if (!inp.subject && !inp.body.trim()) return;
    const data = JSON.stringify({ category_id: inp.category_id, role_ids: inp.role_ids, related_company_id: inp.related_company_id,
      related_user: relatedUser ? { id: relatedUser.id, name: relatedUser.name } : null, external_emails: emails.value, notify_admins: inp.notify_admins, admin_id: inp.admin_id });
    saveDraft(draftKey, { id: draftId, subject: inp.subject, body: inp.body, data }).then((where) => {
      draftId = draftIdFor(draftKey) || draftId;
      if (draftId && draftKey === 'new') {
        draftKey = 'new:' + draftId;
      }
      draftState.textContent = where === 'server' ? t('draft.saved') : t('draft.savedlocal');
    });
  }, 800);

  function applyDraft(d) {
    subject.value = d.subject || '';
    body.value = d.body || '';
    let data = {};
    try { data = d.data ? JSON.parse(d.data) : {}; } catch { data = {}; }
    if (data.category_id) category.value = String(data.category_id);
    const c = cats.find((x) => x.id === data.category_id);
    const ids = data.role_ids || categoryRoles(c);
    for (const [id, cb] of roleChecks) cb.checked = ids.includes(id);
    if (data.related_company_id) company.value = String(data.related_company_id);
    if (data.related_user) pickPerson(data.related_user);
    if (data.external_emails) emails.value = data.external_emails;
    notifyAdmins.checked = !!data.notify_admins;
    if (data.admin_id) adminSel.value = String(data.admin_id);
    draftState.textContent = t('draft.restored');
  }

  async function restore() {
    const items = (await serverDrafts(true)).filter((d) => !d.channel);
    if (!items.length) {
      const local = await loadDraft('new');
      if (local) applyDraft(local);
      return;
    }
    replace(draftsBox, h('h2', null, t('new.drafts')), h('ul', null, items.map((d) => h('li', null,
      h('span', null, d.subject || t('new.untitled'), ' · ', fmtDateTime(d.updated_at)), ' ',
      h('button', { type: 'button', class: 'link', onclick: () => { draftId = d.id; draftKey = 'new:' + d.id; applyDraft(d); clear(draftsBox); } }, t('draft.resume')), ' ',
      h('button', { type: 'button', class: 'link danger', onclick: (e) => { discardDraft('new:' + d.id, d.id); e.target.closest('li').remove(); } }, t('draft.discard'))))));
  }

  const form = h('form', { class: 'new-conv page', 'aria-labelledby': 'new-title' },
    h('h1', { id: 'new-title' }, t('nav.newmessage')),
    draftsBox,
    field(t('new.subject'), subject, t('new.subject.help')),
    field(t('new.category'), category, t('new.category.help')),
    roleBox,
    toBox,
    h('div', null, previewBtn, preview),
    canRelate ? h('fieldset', null, h('legend', null, t('new.related')),
      field(t('new.company'), company),
      field(t('new.person'), personQ, t('new.person.help')), personList, personChosen) : null,
    canEmails ? h('div', { class: 'field' }, h('label', { for: 'new-emails' }, t('new.emails')), emails, h('p', { class: 'warning small', id: 'new-emails-warning' }, t('conv.emailwarning'))) : null,
    canAdmins ? h('fieldset', null, h('legend', null, t('new.admins')),
      h('label', { class: 'check' }, notifyAdmins, ' ', t('new.notifyadmins')),
      field(t('new.admin'), adminSel, t('new.admin.help'))) : null,
    field(t('new.body'), body, t('new.body.help')),
    h('div', { class: 'field' }, h('label', { for: 'new-file' }, icon('clip'), ' ', t('composer.attach')), fileInput, uploads),
    err,
    h('div', { class: 'form-foot' }, draftState, submit));

  acceptFiles(form, body, addFile);
  form.addEventListener('input', () => saveSoon());
  form.addEventListener('change', () => saveSoon());
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    submit.disabled = true;
    await Promise.all(files.map((f) => f.done));
    const inp = input();
    inp.attachment_ids = files.filter((f) => f.id).map((f) => f.id);
    inp.client_msg_id = uid();
    if (draftId) inp.draft_id = draftId;
    try {
      const c = await post('/conversations', inp);
      saveSoon.cancel();
      await discardDraft(draftKey, draftId);
      upsertConversation(c);
      location.hash = '#/conversation/' + c.id;
    } catch (e2) {
      err.textContent = errorText(e2);
      submit.disabled = false;
    }
  });
  replace(main, form);
  subject.focus();
  return () => saveSoon.flush();
}
