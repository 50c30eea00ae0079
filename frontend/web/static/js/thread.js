// The thread view of a topic or a support conversation: live messages with
// day separators, author and time, edited and deleted markers, replies,
// attachments, typing, presence and read markers, and the composer.

import { h, replace, reconcile, debounce, uid, formatSize, clear, icon } from './dom.js';
import { get, post, put, upload, attachmentURL, errorText } from './api.js';
import { t, tn, fmtTime, fmtDateTime, fmtDay, dayKey, lang } from './i18n.js';
import { renderBody, excerpt } from './markup.js';
import {
  bus, socket, state, thread, loadHistory, myId, findTopic, topicMarkedRead, userName, rememberUser,
  isAdmin, upsertConversation, refreshConversation,
} from './store.js';
import { conversationPanel, describeChange, categories } from './conversation.js';
import { loadDraft, saveDraft, discardDraft } from './drafts.js';

const PAGE = 50;

// focusId, when set, is a message to scroll to (links from search).
export function threadView(main, channel, focusId = 0) {
  const th = thread(channel);
  state.viewing = channel;
  socket.priority = channel;
  const offs = [];
  const on = (ev, fn) => offs.push(bus.on(ev, fn));

  const title = h('h1', { id: 'thread-title' });
  const meta = h('div', { class: 'thread-meta' });
  // The aside holds the conversation panel (handler tools) or the member
  // list; on narrow screens it opens over the thread with a button.
  const side = h('aside', { class: 'thread-aside', id: 'thread-aside', 'aria-label': t('thread.details') });
  const asideToggle = h('button', { type: 'button', class: 'aside-toggle', 'aria-controls': 'thread-aside', 'aria-expanded': 'false', id: 'aside-toggle' }, t('thread.details'));
  asideToggle.addEventListener('click', () => {
    const open = !side.classList.contains('open');
    side.classList.toggle('open', open);
    asideToggle.setAttribute('aria-expanded', String(open));
  });
  const headActions = h('div', { class: 'thread-actions' });
  // Controls the user is changing keep their value and focus when a live
  // event re-renders the panel.
  side.addEventListener('input', (e) => { if (e.target.id) e.target.dataset.dirty = '1'; });
  side.addEventListener('change', (e) => { if (e.target.id) e.target.dataset.dirty = '1'; });
  function replaceSide(node) {
    const dirty = [...side.querySelectorAll('[data-dirty][id]')].map((el) => [el.id, el.value]);
    const focused = side.contains(document.activeElement) ? document.activeElement.id : '';
    const opened = [...side.querySelectorAll('details[open][id]')].map((el) => el.id);
    replace(side, node);
    for (const id of opened) {
      const el = document.getElementById(id);
      if (el) el.open = true;
    }
    for (const [id, value] of dirty) {
      const el = document.getElementById(id);
      if (el && side.contains(el)) {
        el.value = value;
        el.dataset.dirty = '1';
      }
    }
    if (focused) document.getElementById(focused)?.focus();
  }
  const list = h('div', { class: 'messages', id: 'messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'thread-title', tabindex: '0' });
  const older = h('button', { type: 'button', class: 'link older', id: 'load-older', hidden: true }, t('thread.older'));
  const typing = h('div', { class: 'typing', id: 'typing', 'aria-live': 'polite' });
  const seen = h('div', { class: 'seen', id: 'seen' });
  const notice = h('div', { class: 'thread-notice', role: 'status' });
  const composer = new Composer(th);
  const scroller = h('div', { class: 'scroller' }, older, list, seen);
  const view = h('div', { class: 'thread-layout' },
    h('section', { class: 'thread', 'aria-labelledby': 'thread-title', data: { channel } },
      h('header', { class: 'thread-head' }, h('div', { class: 'thread-titles' }, title, meta), headActions),
      notice, scroller, typing, composer.el),
    side);
  replace(main, view);

  // First unread message from others when the view opened: the "new"
  // divider stays there while the view is open.
  let readAtOpen = th.readSeq;
  let firstUnread = null;
  let unreadSep = null;
  const nodes = new Map(); // message id -> {node, key}
  const days = new Map();
  let members = [];
  let panelKey = '';

  function atBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function render(opts = {}) {
    const stick = opts.bottom || atBottom();
    const out = [];
    let lastDay = '';
    const msgs = th.sorted();
    if (firstUnread == null) {
      const f = msgs.find((m) => m.seq > readAtOpen && m.author_id !== myId() && m.kind !== 'status');
      if (f && readAtOpen > 0) firstUnread = f.seq;
    }
    for (const m of msgs) {
      const dk = dayKey(m.created_at);
      if (dk !== lastDay) {
        lastDay = dk;
        const label = fmtDay(m.created_at);
        let sep = days.get(dk);
        if (!sep || sep.textContent !== label) {
          sep = h('div', { class: 'day', role: 'separator' }, h('span', null, label));
          days.set(dk, sep);
        }
        out.push(sep);
      }
      if (m.seq === firstUnread) {
        if (!unreadSep) unreadSep = h('div', { class: 'unread-sep', role: 'separator' }, h('span', null, t('thread.new')));
        out.push(unreadSep);
      }
      out.push(messageNode(m));
    }
    for (const p of th.pending.values()) out.push(pendingNode(p));
    reconcile(list, out);
    older.hidden = !th.hasMore || !th.loaded;
    if (!msgs.length && th.loaded && !th.pending.size) list.appendChild(h('p', { class: 'muted empty' }, t('thread.empty')));
    renderSeen();
    if (stick) scroller.scrollTop = scroller.scrollHeight;
    markRead();
  }

  function messageKey(m) {
    const ref = m.reply_to_id ? th.msgs.get(m.reply_to_id) : null;
    return JSON.stringify([m.body, m.change, m.edited_at, m.deleted_at, (m.attachments || []).length, ref ? [ref.body, ref.deleted_at] : 0, lang(), m.mentions]);
  }

  function messageNode(m) {
    const key = messageKey(m);
    const cached = nodes.get(m.id);
    if (cached && cached.key === key) return cached.node;
    const node = m.kind === 'status' ? statusNode(m) : textNode(m);
    if (cached && cached.node.contains(document.activeElement)) {
      // keep keyboard focus on the same action after a rebuild
      const cls = document.activeElement.dataset.action;
      queueMicrotask(() => node.querySelector(`[data-action="${cls}"]`)?.focus());
    }
    nodes.set(m.id, { node, key });
    return node;
  }

  function authorLine(m) {
    const online = state.online.get(m.author_id);
    return h('header', { class: 'msg-head' },
      h('span', { class: ['presence', online ? 'on' : 'off'], 'aria-hidden': 'true', data: { user: m.author_id } }),
      h('span', { class: 'author' }, m.author_name || userName(m.author_id)),
      ' ',
      h('time', { datetime: m.created_at, title: fmtDateTime(m.created_at) }, fmtTime(m.created_at)),
      m.edited_at && !m.deleted_at ? h('span', { class: 'edited', title: fmtDateTime(m.edited_at) }, t('msg.edited', { time: fmtTime(m.edited_at) })) : null);
  }

  function statusNode(m) {
    let change = m.change || null;
    if (!change) {
      try {
        change = JSON.parse(m.body);
      } catch {
        change = null;
      }
    }
    return h('div', { class: 'msg status-event', id: 'm-' + m.id, data: { id: m.id, seq: m.seq }, role: 'note' },
      h('span', { class: 'icon', 'aria-hidden': 'true' }, '●'),
      h('span', { class: 'what' }, describeChange(change, m.author_name || userName(m.author_id))),
      ' ',
      h('time', { datetime: m.created_at }, fmtDateTime(m.created_at)));
  }

  function textNode(m) {
    const own = m.author_id === myId();
    const mine = own && !m.deleted_at;
    const canDelete = !m.deleted_at && (own || (th.kind === 'topic' && isAdmin()));
    const names = (m.mentions || []).map((id) => state.users.get(id)).filter(Boolean);
    const parts = [authorLine(m)];
    if (m.reply_to_id) {
      const ref = th.msgs.get(m.reply_to_id);
      parts.push(h('button', { type: 'button', class: 'reply-ref', data: { action: 'goto' }, onclick: () => jumpTo(m.reply_to_id) },
        '↩ ', ref ? h('strong', null, ref.author_name || userName(ref.author_id)) : null,
        ref ? ': ' + (ref.deleted_at ? t('msg.deleted') : excerpt(ref.body, 80)) : t('msg.earlier')));
    }
    if (m.deleted_at) {
      parts.push(h('p', { class: 'body tombstone' }, t('msg.deleted')));
    } else {
      parts.push(h('div', { class: 'body' }, renderBody(m.body, names)));
      if (m.attachments?.length) {
        parts.push(h('ul', { class: 'attachments' }, m.attachments.map((a) => h('li', null,
          h('a', { href: attachmentURL(a.id), download: a.filename, class: 'attachment', rel: 'noopener' }, icon('clip'), ' ', h('span', { class: 'filename' }, a.filename)),
          ' ', h('span', { class: 'muted small' }, formatSize(a.size || 0))))));
      }
    }
    const actions = [];
    if (!m.deleted_at) actions.push(h('button', { type: 'button', class: 'link', data: { action: 'reply' }, onclick: () => composer.replyTo(m) }, t('msg.reply')));
    if (mine) actions.push(h('button', { type: 'button', class: 'link', data: { action: 'edit' }, onclick: () => composer.edit(m) }, t('msg.edit')));
    if (canDelete) actions.push(deleteButton(m));
    if (actions.length) parts.push(h('div', { class: 'msg-actions' }, actions));
    return h('article', { class: ['msg', own && 'own', m.deleted_at && 'deleted', m.edited_at && 'is-edited'], id: 'm-' + m.id, data: { id: m.id, seq: m.seq }, tabindex: '-1' }, parts);
  }

  function deleteButton(m) {
    const wrap = h('span', { class: 'delete' });
    const ask = h('button', { type: 'button', class: 'link danger', data: { action: 'delete' } }, t('msg.delete'));
    ask.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'link danger', data: { action: 'delete-yes' } }, t('msg.delete.confirm'));
      const no = h('button', { type: 'button', class: 'link', data: { action: 'delete-no' } }, t('action.cancel'));
      yes.addEventListener('click', async () => {
        try {
          const ack = await socket.request({ type: 'delete', message_id: m.id });
          if (ack.message) th.apply({ ...ack.message, seq: th.msgs.get(m.id)?.seq ?? ack.message.seq }, null);
          render();
        } catch (e) {
          showNotice(errorText(e));
        }
      });
      no.addEventListener('click', () => replace(wrap, ask));
      replace(wrap, t('msg.delete.ask'), ' ', yes, ' ', no);
      yes.focus();
    });
    wrap.appendChild(ask);
    return wrap;
  }

  function pendingNode(p) {
    let node = p.node;
    const key = p.state + (p.error || '');
    if (node && p.nodeKey === key) return node;
    node = h('article', { class: ['msg', 'own', 'pending', p.state === 'failed' && 'failed'], data: { client: p.client_msg_id } },
      h('header', { class: 'msg-head' }, h('span', { class: 'author' }, state.me.user.name), ' ',
        h('span', { class: 'muted small pending-state', role: 'status' }, p.state === 'failed' ? t('msg.failed') + (p.error ? ': ' + p.error : '') : p.state === 'queued' ? t('msg.queued') : p.state === 'retrying' ? t('msg.retrying') : t('msg.sending'))),
      h('div', { class: 'body' }, renderBody(p.body, [])),
      p.state === 'failed' ? h('div', { class: 'msg-actions' },
        h('button', { type: 'button', class: 'link', onclick: () => { p.state = 'sending'; render(); sendPending(th, p); } }, t('action.retry')),
        h('button', { type: 'button', class: 'link danger', onclick: () => { th.pending.delete(p.client_msg_id); render(); } }, t('action.discard'))) : null);
    p.node = node;
    p.nodeKey = key;
    return node;
  }

  function jumpTo(id) {
    const el = document.getElementById('m-' + id);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.classList.add('flash');
      el.focus();
      setTimeout(() => el.classList.remove('flash'), 1500);
    }
  }

  function renderTyping() {
    const now = Date.now();
    const names = [...th.typing.values()].filter((x) => x.until > now).map((x) => x.name);
    typing.textContent = names.length ? tn('thread.typing', names.length, { names: names.join(', ') }) : '';
  }

  function renderSeen() {
    const msgs = th.sorted().filter((m) => m.kind !== 'status');
    const last = msgs[msgs.length - 1];
    if (!last) {
      seen.textContent = '';
      return;
    }
    const names = [];
    for (const [uid2, seq] of th.readers) {
      if (uid2 !== myId() && seq >= last.seq) names.push(userName(uid2));
    }
    seen.textContent = names.length ? t('thread.seenby', { names: names.join(', ') }) : '';
  }

  // ---- read markers ----
  const sendRead = debounce(() => {
    if (state.viewing !== channel || document.visibilityState !== 'visible' || th.gone) return;
    const seq = th.maxSeq();
    if (seq <= th.readSeq && !(th.kind === 'topic' && findTopic(th.id)?.topic.unread)) return;
    th.readSeq = Math.max(th.readSeq, seq);
    if (th.kind === 'topic') topicMarkedRead(th.id, seq);
    else {
      const c = state.conversations.get(th.id);
      if (c && c.unread) upsertConversation({ ...c, unread: 0, read_seq: seq });
    }
    if (!socket.send({ type: 'read', channel, seq })) {
      const path = th.kind === 'topic' ? `/messenger/topics/${th.id}/read` : `/conversations/${th.id}/read`;
      post(path, { seq }).catch(() => {});
    }
  }, 300);
  function markRead() {
    if (th.loaded) sendRead();
  }
  const onVisible = () => {
    if (document.visibilityState === 'visible') markRead();
  };
  document.addEventListener('visibilitychange', onVisible);

  function showNotice(text, kind = 'error') {
    replace(notice, text ? h('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, text) : null);
  }

  // ---- header ----
  function renderHeader() {
    if (th.kind === 'topic') {
      const f = findTopic(th.id);
      if (!f) {
        title.textContent = t('topic.title');
        return;
      }
      title.textContent = '# ' + f.topic.name;
      replace(meta, h('span', null, f.group.name), ' · ', h('span', { class: 'members-online', id: 'members-online' }, membersText()),
        f.group.can_manage ? [' · ', h('a', { href: '#/manage/' + f.group.id }, t('topic.edit'))] : null);
      replaceSide(memberList());
      replace(headActions, asideToggle, muteButton(channel));
    } else {
      const c = state.conversations.get(th.id);
      title.textContent = c ? c.subject : t('conv.title');
      clear(meta);
      // Rebuild the panel only when something in it changed: a control
      // replaced under the pointer would lose the click.
      const ids = c ? [c.creator_id, c.handler_id, c.customer_assignee_id, c.admin_id, c.related_user_id] : [];
      const key = JSON.stringify([c, lang(), ids.map((id) => id && userName(id)), !!state.categories]);
      if (key !== panelKey) {
        panelKey = key;
        replaceSide(c ? conversationPanel(c, th) : null);
      }
      replace(headActions, asideToggle, muteButton(channel));
    }
  }

  function membersText() {
    if (!members.length) return '';
    const n = members.filter((u) => state.online.get(u.id)).length;
    return t('topic.online', { n, total: members.length });
  }

  function memberList() {
    if (!members.length) return null;
    return h('section', { class: 'members', id: 'members' }, h('h2', null, tn('topic.members', members.length)),
      h('ul', null, members.map((u) => h('li', null,
        h('span', { class: ['presence', state.online.get(u.id) ? 'on' : 'off'], 'aria-hidden': 'true' }), u.name,
        h('span', { class: 'sr-only' }, state.online.get(u.id) ? ' (' + t('presence.online') + ')' : ' (' + t('presence.offline') + ')')))));
  }

  async function loadMembers() {
    try {
      if (th.kind === 'topic') {
        const f = findTopic(th.id);
        if (!f) return;
        const r = await get(`/messenger/groups/${f.group.id}/members`);
        members = r.items || [];
      } else {
        const r = await get(`/conversations/${th.id}/receivers`);
        members = (r.items || r.receivers || []).map((x) => ({ id: x.user_id ?? x.id, name: x.name }));
      }
      for (const u of members) rememberUser(u.id, u.name);
      composer.setCandidates(members);
      await refreshPresence();
    } catch (e) {
      console.warn('members', e);
    }
  }

  async function refreshPresence() {
    if (!members.length || !socket.online) return;
    try {
      const r = await socket.request({ type: 'presence', user_ids: members.map((u) => u.id).slice(0, 200) });
      for (const u of r.users || []) state.online.set(u.user_id, u.online);
      renderHeader();
      render();
    } catch {
      // shown on the next event
    }
  }

  // ---- loading ----
  async function open() {
    if (th.kind === 'topic' && !findTopic(th.id)) {
      // The overview may still be loading; wait for it once.
      await new Promise((resolve) => {
        if (state.groups.length) return resolve();
        const off = bus.on('groups', () => { off(); resolve(); });
        setTimeout(resolve, 3000);
      });
      if (!findTopic(th.id)) {
        showGone();
        return;
      }
    }
    if (th.kind === 'conversation') {
      await categories().catch(() => null); // for the category's name
      try {
        const c = await get('/conversations/' + th.id);
        upsertConversation(c);
        th.readSeq = Math.max(th.readSeq, c.read_seq || 0);
        readAtOpen = th.readSeq;
      } catch (e) {
        if (e.status === 404 || e.status === 403) return showGone();
        showNotice(errorText(e));
      }
    } else {
      const f = findTopic(th.id);
      th.readSeq = Math.max(th.readSeq, f.topic.read_seq || 0);
      readAtOpen = th.readSeq;
    }
    renderHeader();
    if (!th.loaded) {
      try {
        const items = await loadHistory(th, 0, PAGE);
        th.loaded = true;
        if (th.kind === 'conversation') {
          const newest = items.reduce((n, m) => Math.max(n, m.seq), 0);
          socket.subscribe(channel, Math.max(newest, socket.lastSeq(channel) || 0));
        }
      } catch (e) {
        if (e.status === 404) return showGone();
        showNotice(errorText(e));
        return;
      }
    } else if (th.kind === 'conversation') {
      socket.subscribe(channel, th.maxSeq());
    }
    render({ bottom: true });
    if (focusId) {
      // Load older pages until the message is there (bounded).
      for (let i = 0; i < 20 && !th.msgs.has(focusId) && th.hasMore; i++) {
        const first = th.sorted()[0];
        await loadHistory(th, first ? first.seq : 0, PAGE).catch(() => { th.hasMore = false; });
      }
      render();
      jumpTo(focusId);
    } else if (firstUnread != null) {
      const el = list.querySelector(`[data-seq="${firstUnread}"]`);
      if (el) el.scrollIntoView({ block: 'center' });
    }
    composer.restoreDraft();
    loadMembers();
  }

  function showGone() {
    th.gone = true;
    replace(view, h('div', { class: 'gone card' }, h('h1', null, t('thread.gone')), h('p', null, t('thread.gone.body')),
      h('a', { href: '#/', class: 'button' }, t('nav.home'))));
  }

  older.addEventListener('click', async () => {
    const first = th.sorted()[0];
    const before = first ? first.seq : 0;
    const prevHeight = scroller.scrollHeight;
    older.disabled = true;
    try {
      await loadHistory(th, before, PAGE);
      render();
      scroller.scrollTop = scroller.scrollHeight - prevHeight;
    } catch (e) {
      showNotice(errorText(e));
    }
    older.disabled = false;
  });

  on('thread:' + channel, (f) => {
    render();
    document.getElementById('conv-history')?.fill?.();
    if (f?.event === 'conversation.changed') renderHeader();
  });
  on('readers:' + channel, renderSeen);
  on('typing:' + channel, renderTyping);
  on('presence', () => {
    const el = document.getElementById('members-online');
    if (el) el.textContent = membersText();
    renderHeader();
    for (const dot of list.querySelectorAll('.presence[data-user]')) {
      dot.className = 'presence ' + (state.online.get(Number(dot.dataset.user)) ? 'on' : 'off');
    }
  });
  on('removed:' + channel, showGone);
  on('reload:' + channel, async () => {
    nodes.clear();
    try {
      await loadHistory(th, 0, PAGE);
      th.loaded = true;
      render({ bottom: true });
    } catch (e) {
      showNotice(errorText(e));
    }
  });
  on('groups', () => {
    if (th.kind === 'topic' && th.loaded) renderHeader();
  });
  on('topic:' + th.id, renderHeader);
  if (th.kind === 'conversation') on('conversation:' + th.id, renderHeader);
  const offHello = socket.on('hello', () => {
    flushPending(th);
    refreshPresence();
    markRead();
  });
  offs.push(offHello);
  // Presence events are hints; ask for the exact answer now and then.
  const presenceTimer = setInterval(refreshPresence, 60000);
  offs.push(() => clearInterval(presenceTimer));

  open();

  return () => {
    for (const off of offs) off();
    document.removeEventListener('visibilitychange', onVisible);
    sendRead.flush(); // what was on screen was read
    composer.destroy();
    if (state.viewing === channel) state.viewing = '';
  };
}

// ---- mute ----

function muteButton(channel) {
  const b = h('button', { type: 'button', class: 'link mute', id: 'mute', hidden: true }, t('notif.mute'));
  let muted = false;
  const path = '/notifications/mutes/' + encodeURIComponent(channel);
  get(path).then((r) => {
    muted = !!r?.muted;
    b.textContent = muted ? t('notif.unmute') : t('notif.mute');
    b.hidden = false;
  }).catch(() => {});
  b.addEventListener('click', async () => {
    try {
      const r = await put(path, { muted: !muted });
      muted = r?.muted ?? !muted;
      b.textContent = muted ? t('notif.unmute') : t('notif.mute');
    } catch (e) {
      console.warn('mute', e);
    }
  });
  return b;
}

// ---- sending ----

// sendPending publishes a pending message; the same client_msg_id makes a
// resend after a reconnect safe (the server answers with the original).
export async function sendPending(th, p) {
  const frame = { type: 'publish', channel: th.channel, body: p.body, client_msg_id: p.client_msg_id };
  if (p.reply_to_id) frame.reply_to_id = p.reply_to_id;
  if (p.attachment_ids?.length) frame.attachment_ids = p.attachment_ids;
  if (p.mentions?.length) frame.mentions = p.mentions;
  clearTimeout(p.retryTimer);
  if (p.state !== 'retrying') p.state = 'sending';
  p.error = '';
  try {
    const ack = await socket.request(frame);
    const msg = ack.message || { id: ack.message_id, seq: ack.seq };
    th.pending.delete(p.client_msg_id);
    if (msg?.body !== undefined) th.apply(msg, msg.seq);
  } catch (e) {
    if (e.code === 'offline' || e.code === 'timeout' || e.code === 'network') {
      p.state = 'queued'; // sent again after the reconnect
    } else if (e.code === 'unavailable') {
      // The server could not store it right now (its database is down):
      // nothing was stored, so send the same frame again (same
      // client_msg_id: stored once however often it is sent) with
      // backoff, 1 s doubling to 30 s with jitter, while showing that the
      // connection is in trouble. Never a reason to log in again.
      p.state = 'retrying';
      p.attempt = (p.attempt || 0) + 1;
      const delay = Math.min(30000, 1000 * 2 ** (p.attempt - 1)) * (0.75 + Math.random() / 2);
      p.retryTimer = setTimeout(() => { if (th.pending.get(p.client_msg_id) === p) sendPending(th, p); }, delay);
      bus.emit('conn-trouble', true);
    } else {
      p.state = 'failed';
      p.error = errorText(e);
    }
  }
  if (!th.pending.size || ![...th.pending.values()].some((q) => q.state === 'retrying')) bus.emit('conn-trouble', false);
  bus.emit('thread:' + th.channel);
}

function flushPending(th) {
  for (const p of th.pending.values()) if (p.state !== 'failed') sendPending(th, p);
}

// ---- composer ----

class Composer {
  constructor(th) {
    this.th = th;
    this.replyId = null;
    this.editId = null;
    this.uploads = []; // {file, id, progress, xhr, error}
    this.mentioned = new Map(); // name -> id
    this.candidates = [];
    this.lastTyping = 0;
    this.menuIndex = 0;
    this.menuItems = [];
    this.draftId = null;

    this.input = h('textarea', { id: 'composer-input', rows: 3, 'aria-label': t('composer.label'), placeholder: t('composer.placeholder'), autocomplete: 'off', 'aria-autocomplete': 'list', 'aria-controls': 'mention-list' });
    this.menu = h('ul', { class: 'mention-list', id: 'mention-list', role: 'listbox', hidden: true, 'aria-label': t('composer.mentions') });
    this.banner = h('div', { class: 'composer-banner', hidden: true });
    this.uploadList = h('ul', { class: 'uploads' });
    this.file = h('input', { type: 'file', multiple: true, id: 'composer-file', class: 'sr-only' });
    this.draftState = h('span', { class: 'muted small draft-state', 'aria-live': 'polite' });
    this.send = h('button', { type: 'submit', class: 'primary', id: 'composer-send' }, t('composer.send'));
    this.error = h('p', { class: 'error', role: 'alert' });
    const tool = (label, title, fn) => h('button', { type: 'button', class: 'tool', title, 'aria-label': title, onclick: fn }, label);
    const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('composer.format') },
      tool('B', t('format.bold'), () => this.wrap('**', '**')),
      tool('I', t('format.italic'), () => this.wrap('*', '*')),
      tool('</>', t('format.code'), () => this.wrap('`', '`')),
      tool('•', t('format.list'), () => this.linePrefix('- ')),
      tool(icon('link'), t('format.link'), () => this.wrap('[', '](https://)')),
      h('label', { for: 'composer-file', class: 'tool attach', title: t('composer.attach') }, icon('clip'), h('span', { class: 'sr-only' }, t('composer.attach'))));
    this.el = h('form', { class: 'composer', 'aria-label': t('composer.label') },
      this.banner, toolbar, h('div', { class: 'input-wrap' }, this.input, this.menu), this.file, this.uploadList, this.error,
      h('div', { class: 'composer-foot' }, h('span', { class: 'muted small hint' }, t('composer.hint')), this.draftState, this.send));

    this.saveDraftSoon = debounce(() => this.persistDraft(), 800);
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (e) => this.keydown(e));
    this.input.addEventListener('input', () => this.changed());
    this.input.addEventListener('blur', () => setTimeout(() => this.closeMenu(), 150));
    this.file.addEventListener('change', () => {
      for (const f of this.file.files) this.addUpload(f);
      this.file.value = '';
    });
  }

  destroy() {
    this.saveDraftSoon.flush();
  }

  setCandidates(list) {
    this.candidates = list.filter((u) => u.id !== myId());
  }

  restoreDraft() {
    loadDraft(this.th.channel).then((d) => {
      if (d && !this.input.value && !this.editId) {
        this.input.value = d.body || '';
        this.draftId = d.id || null;
        try {
          const data = d.data ? JSON.parse(d.data) : {};
          for (const [name, id] of Object.entries(data.mentions || {})) this.mentioned.set(name, id);
          if (data.reply_to_id) {
            const m = this.th.msgs.get(data.reply_to_id);
            if (m) this.replyTo(m, true);
          }
        } catch {
          // a draft from elsewhere
        }
        if (d.body) this.draftState.textContent = t('draft.restored');
      }
    });
  }

  persistDraft() {
    if (this.editId) return;
    const body = this.input.value;
    const data = JSON.stringify({ mentions: Object.fromEntries(this.mentioned), reply_to_id: this.replyId });
    if (!body.trim()) {
      discardDraft(this.th.channel);
      this.draftState.textContent = '';
      return;
    }
    saveDraft(this.th.channel, { body, data }).then((saved) => {
      this.draftState.textContent = saved === 'server' ? t('draft.saved') : t('draft.savedlocal');
    });
  }

  changed() {
    this.error.textContent = '';
    const now = Date.now();
    if (this.input.value.trim() && now - this.lastTyping > 2000 && !this.editId) {
      this.lastTyping = now;
      socket.send({ type: 'typing', channel: this.th.channel });
    }
    if (!this.editId) this.saveDraftSoon();
    this.updateMenu();
  }

  // ---- mentions ----
  mentionQuery() {
    const pos = this.input.selectionStart;
    const before = this.input.value.slice(0, pos);
    const m = /(^|\s)@([^\s@]{0,30})$/.exec(before);
    return m ? { q: m[2], start: pos - m[2].length - 1 } : null;
  }

  updateMenu() {
    const mq = this.mentionQuery();
    if (!mq || !this.candidates.length) return this.closeMenu();
    const q = mq.q.toLowerCase();
    this.menuItems = this.candidates.filter((u) => u.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)) || u.name.toLowerCase().startsWith(q)).slice(0, 8);
    if (!this.menuItems.length) return this.closeMenu();
    this.menuIndex = Math.min(this.menuIndex, this.menuItems.length - 1);
    replace(this.menu, ...this.menuItems.map((u, i) => {
      const li = h('li', { role: 'option', id: 'mention-' + u.id, class: i === this.menuIndex ? 'active' : '', 'aria-selected': i === this.menuIndex ? 'true' : 'false' }, u.name);
      li.addEventListener('mousedown', (e) => {
        e.preventDefault();
        this.pickMention(u);
      });
      return li;
    }));
    this.menu.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.input.setAttribute('aria-activedescendant', 'mention-' + this.menuItems[this.menuIndex].id);
  }

  closeMenu() {
    this.menu.hidden = true;
    this.menuItems = [];
    this.menuIndex = 0;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  pickMention(u) {
    const mq = this.mentionQuery();
    if (!mq) return;
    const v = this.input.value;
    const insert = '@' + u.name + ' ';
    this.input.value = v.slice(0, mq.start) + insert + v.slice(this.input.selectionStart);
    const pos = mq.start + insert.length;
    this.input.setSelectionRange(pos, pos);
    this.mentioned.set(u.name, u.id);
    this.closeMenu();
    this.input.focus();
    this.saveDraftSoon();
  }

  keydown(e) {
    if (!this.menu.hidden && this.menuItems.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const n = this.menuItems.length;
        this.menuIndex = (this.menuIndex + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
        this.updateMenu();
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        this.pickMention(this.menuItems[this.menuIndex]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        this.closeMenu();
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.submit();
    } else if (e.key === 'Escape' && (this.editId || this.replyId)) {
      e.preventDefault();
      this.cancelMode();
    }
  }

  // ---- formatting ----
  wrap(before, after) {
    const { selectionStart: s, selectionEnd: e, value: v } = this.input;
    this.input.value = v.slice(0, s) + before + v.slice(s, e) + after + v.slice(e);
    this.input.focus();
    this.input.setSelectionRange(s + before.length, e + before.length);
    this.changed();
  }

  linePrefix(prefix) {
    const { selectionStart: s, value: v } = this.input;
    const lineStart = v.lastIndexOf('\n', s - 1) + 1;
    this.input.value = v.slice(0, lineStart) + prefix + v.slice(lineStart);
    this.input.focus();
    this.input.setSelectionRange(s + prefix.length, s + prefix.length);
    this.changed();
  }

  // ---- reply and edit ----
  replyTo(m, quiet) {
    this.editId = null;
    this.replyId = m.id;
    replace(this.banner, h('span', null, t('composer.replying', { name: m.author_name || userName(m.author_id) }), ': ', h('em', null, excerpt(m.body, 60))),
      h('button', { type: 'button', class: 'link', onclick: () => this.cancelMode() }, t('action.cancel')));
    this.banner.hidden = false;
    if (!quiet) this.input.focus();
  }

  edit(m) {
    this.replyId = null;
    this.editId = m.id;
    this.savedBody = this.input.value;
    this.input.value = m.body;
    replace(this.banner, h('span', null, t('composer.editing')), h('button', { type: 'button', class: 'link', onclick: () => this.cancelMode() }, t('action.cancel')));
    this.banner.hidden = false;
    this.send.textContent = t('composer.save');
    this.input.focus();
  }

  cancelMode() {
    if (this.editId) this.input.value = this.savedBody || '';
    this.editId = null;
    this.replyId = null;
    this.banner.hidden = true;
    clear(this.banner);
    this.send.textContent = t('composer.send');
    this.saveDraftSoon();
  }

  // ---- attachments ----
  addUpload(file) {
    const u = { file, id: null, loaded: 0, total: file.size, error: '' };
    const bar = h('progress', { max: 100, value: 0, 'aria-label': t('upload.progress', { name: file.name }) });
    const status = h('span', { class: 'muted small' });
    const remove = h('button', { type: 'button', class: 'link', 'aria-label': t('upload.remove', { name: file.name }) }, '×');
    u.el = h('li', { class: 'upload' }, h('span', { class: 'filename' }, file.name), ' ', h('span', { class: 'muted small' }, formatSize(file.size)), bar, status, remove);
    this.uploads.push(u);
    this.uploadList.appendChild(u.el);
    const up = upload(file, (loaded, total) => {
      bar.value = Math.round((loaded / total) * 100);
    });
    u.abort = up.abort;
    u.done = up.done.then((a) => {
      u.id = a.id;
      bar.value = 100;
      status.textContent = t('upload.done');
      u.el.classList.add('done');
    }).catch((e) => {
      u.error = errorText(e);
      status.textContent = u.error;
      u.el.classList.add('failed');
    });
    remove.addEventListener('click', () => {
      u.abort();
      this.uploads = this.uploads.filter((x) => x !== u);
      u.el.remove();
    });
  }

  async submit() {
    const body = this.input.value;
    this.error.textContent = '';
    if (this.editId) {
      const id = this.editId;
      if (!body.trim()) return;
      this.send.disabled = true;
      try {
        const ack = await socket.request({ type: 'edit', message_id: id, body });
        const cur = this.th.msgs.get(id);
        if (ack.message && cur && !cur.deleted_at) this.th.apply({ ...ack.message, seq: cur.seq }, null);
        this.editId = null;
        this.input.value = this.savedBody || '';
        this.cancelMode();
        bus.emit('thread:' + this.th.channel);
      } catch (e) {
        this.error.textContent = errorText(e);
      }
      this.send.disabled = false;
      return;
    }
    if (this.uploads.some((u) => !u.id && !u.error)) {
      this.send.disabled = true;
      await Promise.all(this.uploads.map((u) => u.done));
      this.send.disabled = false;
    }
    const attachmentIds = this.uploads.filter((u) => u.id).map((u) => u.id);
    if (!body.trim() && !attachmentIds.length) return;
    const mentions = [];
    for (const [name, id] of this.mentioned) if (body.includes('@' + name)) mentions.push(id);
    const p = { client_msg_id: uid(), body, reply_to_id: this.replyId, attachment_ids: attachmentIds, mentions, state: 'sending' };
    this.th.pending.set(p.client_msg_id, p);
    this.input.value = '';
    this.uploads = [];
    clear(this.uploadList);
    this.mentioned.clear();
    this.cancelMode();
    this.saveDraftSoon.cancel();
    discardDraft(this.th.channel);
    this.draftState.textContent = '';
    bus.emit('thread:' + this.th.channel);
    const list = document.getElementById('messages');
    const scroller = list?.parentElement;
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
    await sendPending(this.th, p);
  }
}
