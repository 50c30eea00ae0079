// Internal notes of a support conversation, shown inline in its timeline
// for the users who may handle it. The server decides who they are (the
// conversation's can.notes; the note channel refuses everyone else); this
// module only follows what it is given. Notes live on their own channel,
// note:<conversation id>, so nothing here ever reaches the customer's
// thread, its unread count or its badges (docs/conversations.md,
// "Internal notes").

import { h } from './dom.js';
import { get, query } from './api.js';
import { t } from './i18n.js';
import { bus, socket, state, thread } from './store.js';

// followNotes subscribes to the notes of conversation id and loads them
// once; it returns their thread. A thread whose right was lost
// (access.revoked) is started anew.
export function followNotes(id) {
  const ch = 'note:' + id;
  if (state.threads.get(ch)?.gone) state.threads.delete(ch);
  const th = thread(ch);
  if (!th.following) {
    th.following = true;
    // Subscribe first, then read the history: a note written in between
    // comes live and the merge keeps it once.
    socket.subscribe(ch, null);
    th.loading = loadNotes(th);
    // Too far behind to replay (reload:): read the history again.
    const off = bus.on('reload:' + ch, () => loadNotes(th).then(() => bus.emit('thread:' + ch)));
    const offGone = bus.on('removed:' + ch, () => { off(); offGone(); });
  }
  return th;
}

function loadNotes(th) {
  return get(`/conversations/${th.id}/notes` + query({ limit: 200 })).then((page) => {
    th.merge(page.items || []);
    th.loaded = true;
  }, (err) => console.warn('notes', err));
}

// withNotes merges the notes into the conversation's messages by time
// (then id: ids are global), each note marked internal. Notes older than
// the oldest loaded message wait until that page is loaded.
export function withNotes(msgs, notes, hasMore) {
  const from = hasMore && msgs.length ? msgs[0].created_at : '';
  const ns = notes.sorted().filter((m) => !m.deleted_at && m.created_at >= from);
  if (!ns.length) return msgs;
  for (const m of ns) m.internal = true;
  const out = [];
  let i = 0;
  for (const m of msgs) {
    while (i < ns.length && before(ns[i], m)) out.push(ns[i++]);
    out.push(m);
  }
  return out.concat(ns.slice(i));
}

function before(a, b) {
  const ta = Date.parse(a.created_at);
  const tb = Date.parse(b.created_at);
  return ta < tb || (ta === tb && a.id < b.id);
}

// noteLabel marks a note in the timeline, for the eye and the screen reader.
export function noteLabel() {
  return h('span', { class: 'badge internal note-label' }, t('notes.label'));
}

// modeSwitch is the composer's "Reply / Internal note" choice; onChange
// gets true for a note.
export function modeSwitch(onChange) {
  const radio = (value, label) => {
    const input = h('input', { type: 'radio', name: 'composer-mode', value, id: 'composer-mode-' + value, checked: value === 'reply' });
    input.addEventListener('change', () => { if (input.checked) onChange(value === 'note'); });
    return h('label', { class: 'mode-' + value, for: 'composer-mode-' + value }, input, ' ', label);
  };
  return h('div', { class: 'composer-mode', role: 'radiogroup', 'aria-label': t('composer.mode'), hidden: true },
    radio('reply', t('composer.mode.reply')), radio('note', t('notes.label')));
}
