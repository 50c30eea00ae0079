// Internal notes of a support conversation: a panel in the conversation's
// side panel for the users who may handle it. The server decides who they
// are (the conversation's can.notes, and the note channel refuses everyone
// else); the panel only shows what it is given. Notes live on their own
// channel, note:<conversation id>, so nothing here ever reaches the
// customer's thread (docs/conversations.md, "Internal notes").

import { h, replace, uid } from './dom.js';
import { get, post, query, errorText } from './api.js';
import { t, fmtDateTime } from './i18n.js';
import { renderBody } from './markup.js';
import { bus, socket, thread, userName } from './store.js';

// One panel per conversation, kept while the page lives, so that a
// re-render of the side panel (every conversation change) keeps what the
// handler is typing.
const panels = new Map();

export function notesPanel(c) {
  let p = panels.get(c.id);
  if (!p) {
    p = buildPanel(c.id);
    panels.set(c.id, p);
  }
  return p;
}

function buildPanel(id) {
  const ch = 'note:' + id;
  const th = thread(ch);
  const list = h('ol', { class: 'notes-list', id: 'notes-list', 'aria-live': 'polite' });
  const body = h('textarea', { id: 'note-body', rows: 3, maxlength: 16384, placeholder: t('notes.placeholder'), 'aria-label': t('notes.placeholder') });
  const msg = h('p', { class: 'error', role: 'alert' });
  const add = h('button', { type: 'submit', id: 'note-add' }, t('notes.add'));
  const form = h('form', { class: 'notes-form' }, body, add, msg);
  const box = h('section', { class: 'notes-panel', id: 'notes-panel', 'aria-label': t('notes.title') },
    h('h3', null, h('span', { class: 'badge internal' }, t('notes.badge')), ' ', t('notes.title')),
    h('p', { class: 'help muted small' }, t('notes.help')),
    list, form);
  const draw = () => drawNotes(list, th);
  bus.on('thread:' + ch, draw);
  bus.on('reload:' + ch, () => loadNotes(id, th).then(draw, () => {}));
  // Lost the right to the notes (access.revoked): forget them; a later
  // right builds the panel anew.
  bus.on('removed:' + ch, () => {
    panels.delete(id);
    th.msgs.clear();
    box.remove();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = body.value;
    if (!text.trim()) return;
    msg.textContent = '';
    add.disabled = true;
    try {
      const m = await post(`/conversations/${id}/notes`, { body: text, client_msg_id: uid() });
      th.apply(m);
      body.value = '';
      draw();
    } catch (err) {
      msg.textContent = errorText(err);
    } finally {
      add.disabled = false;
    }
  });
  // Subscribe first, then read the history: a note written in between
  // comes live and the merge keeps it once.
  socket.subscribe(ch, null);
  loadNotes(id, th).then(draw, (err) => replace(list, h('li', { class: 'error' }, errorText(err))));
  draw();
  return box;
}

async function loadNotes(id, th) {
  const page = await get(`/conversations/${id}/notes` + query({ limit: 200 }));
  th.merge(page.items || []);
  th.loaded = true;
}

function drawNotes(list, th) {
  const notes = th.sorted().filter((m) => !m.deleted_at);
  if (!notes.length) {
    replace(list, h('li', { class: 'muted small' }, t('notes.none')));
    return;
  }
  replace(list, notes.map((m) => h('li', { class: 'note', 'data-id': m.id },
    h('div', { class: 'meta' }, h('span', { class: 'badge internal' }, t('notes.badge')), ' ',
      h('strong', null, m.author_name || userName(m.author_id)), ' ',
      h('time', { datetime: m.created_at }, fmtDateTime(m.created_at))),
    h('div', { class: 'body' }, renderBody(m.body)))));
}
