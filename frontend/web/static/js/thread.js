// The thread view of a topic or a support conversation: live messages with
// day separators, author and time, edited and deleted markers, replies,
// attachments, typing, presence and read markers, and the composer.

import { h, replace, reconcile, debounce, uid, clear, icon } from './dom.js';
import { get, post, put, errorText } from './api.js';
import { t, tn, fmtTime, fmtDateTime, fmtDay, dayKey, lang } from './i18n.js';
import { renderBody, excerpt } from './markup.js';
import {
  bus, socket, state, thread, loadHistory, loadAround, loadBetween, myId, findTopic, topicMarkedRead, userName, rememberUser,
  isAdmin, upsertConversation, refreshConversation,
} from './store.js';
import { conversationPanel, describeChange, categories } from './conversation.js';
import { loadDraft, saveDraft, discardDraft } from './drafts.js';
import { attachmentList, uploadItem, acceptFiles } from './files.js';
import { reactionBar, reactButton, reactionKey } from './reactions.js';
import { avatar } from './avatar.js';
import { actionMenu, touchScreen } from './msgmenu.js';
import { cannedPicker, mayUseQueues } from './helpdesk.js';
import { followNotes, withNotes, noteLabel, modeSwitch } from './notes.js';

const PAGE = 50;

// focusId, when set, is a message to scroll to (links from search). The
// returned function closes the view.
export function threadView(main, channel, focusId = 0) {
  const view = new ThreadView(main, channel, focusId);
  view.subscribe();
  view.open();
  return () => view.close();
}

// ThreadView is one open thread: its DOM, what it has rendered, and the
// live events it follows. Each method is one part of the view.
class ThreadView {
  constructor(main, channel, focusId) {
    this.channel = channel;
    this.focusId = focusId;
    this.th = thread(channel);
    state.viewing = channel;
    socket.priority = channel;
    this.offs = [];
    // First unread message from others when the view opened: the "new"
    // divider stays there while the view is open.
    this.readAtOpen = this.th.readSeq;
    this.firstUnread = null;
    this.unreadSep = null;
    this.nodes = new Map(); // message id -> {node, key}
    this.days = new Map();
    this.members = [];
    this.panelKey = '';
    this.buildLayout(main);
    this.sendRead = debounce(() => this.sendReadNow(), 300);
    this.onVisible = () => {
      if (document.visibilityState === 'visible') this.markRead();
    };
    document.addEventListener('visibilitychange', this.onVisible);
  }

  on(ev, fn) {
    this.offs.push(bus.on(ev, fn));
  }

  buildLayout(main) {
    this.title = h('h1', { id: 'thread-title' });
    this.meta = h('div', { class: 'thread-meta' });
    // The aside holds the conversation panel (handler tools) or the member
    // list; on narrow screens it opens over the thread with a button.
    const side = h('aside', { class: 'thread-aside', id: 'thread-aside', 'aria-label': t('thread.details') });
    this.side = side;
    this.asideToggle = h('button', { type: 'button', class: 'aside-toggle', 'aria-controls': 'thread-aside', 'aria-expanded': 'false', id: 'aside-toggle' }, t('thread.details'));
    this.asideToggle.addEventListener('click', () => {
      const open = !side.classList.contains('open');
      side.classList.toggle('open', open);
      this.asideToggle.setAttribute('aria-expanded', String(open));
    });
    this.headActions = h('div', { class: 'thread-actions' });
    // Controls the user is changing keep their value and focus when a live
    // event re-renders the panel.
    side.addEventListener('input', (e) => { if (e.target.id) e.target.dataset.dirty = '1'; });
    side.addEventListener('change', (e) => { if (e.target.id) e.target.dataset.dirty = '1'; });
    this.list = h('div', { class: 'messages', id: 'messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-labelledby': 'thread-title', tabindex: '0' });
    this.older = h('button', { type: 'button', class: 'link older', id: 'load-older', hidden: true }, t('thread.older'));
    this.older.addEventListener('click', () => this.loadOlder());
    this.typing = h('div', { class: 'typing', id: 'typing', 'aria-live': 'polite' });
    this.seen = h('div', { class: 'seen', id: 'seen' });
    this.notice = h('div', { class: 'thread-notice', role: 'status' });
    this.composer = new Composer(this.th);
    this.jump = h('button', { type: 'button', class: 'jump-unread', id: 'jump-unread', hidden: true }, '↑ ', t('thread.jumpunread'));
    this.jump.addEventListener('click', () => this.jumpToUnread());
    this.scroller = h('div', { class: 'scroller' }, this.older, this.list, this.seen);
    this.scroller.addEventListener('scroll', () => this.updateJump());
    this.view = h('div', { class: 'thread-layout' },
      h('section', { class: 'thread', 'aria-labelledby': 'thread-title', data: { channel: this.channel } },
        h('header', { class: 'thread-head' }, h('div', { class: 'thread-titles' }, this.title, this.meta), this.headActions),
        this.notice, this.jump, this.scroller, this.typing, this.composer.el),
      side);
    replace(main, this.view);
  }

  replaceSide(node) {
    const side = this.side;
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

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  // ---- messages ----

  render(opts = {}) {
    const th = this.th;
    const stick = opts.bottom || this.atBottom();
    const msgs = this.notes ? withNotes(th.sorted(), this.notes, th.hasMore) : th.sorted();
    if (this.firstUnread == null) {
      const f = msgs.find((m) => !m.internal && m.seq > this.readAtOpen && m.author_id !== myId() && m.kind !== 'status');
      if (f && this.readAtOpen > 0) this.firstUnread = f.seq;
    }
    const out = this.messageItems(msgs);
    for (const p of th.pending.values()) out.push(this.pendingNode(p));
    for (const p of this.notes?.pending.values() || []) out.push(this.pendingNode(p));
    reconcile(this.list, out);
    // The panel's status history lists the same thread's status entries:
    // every render refreshes it, so that one built before the thread
    // loaded does not stay empty.
    document.getElementById('conv-history')?.fill?.();
    this.older.hidden = !th.hasMore || !th.loaded;
    if (!msgs.length && th.loaded && !th.pending.size) this.list.appendChild(h('p', { class: 'muted empty' }, t('thread.empty')));
    this.renderSeen();
    if (stick) this.scroller.scrollTop = this.scroller.scrollHeight;
    this.markRead();
    this.updateJump();
  }

  // ---- the first unread message ----

  // updateJump shows the jump button while the "new" divider is above
  // the visible part of the thread.
  updateJump() {
    const sep = this.unreadSep;
    this.jump.hidden = !(sep && sep.isConnected && sep.offsetTop < this.scroller.scrollTop);
  }

  // jumpToUnread loads older pages until the first unread message is
  // there (bounded), then scrolls to it and gives it focus.
  async jumpToUnread() {
    const th = this.th;
    for (let i = 0; i < 20 && th.hasMore && (th.sorted()[0]?.seq ?? 0) > this.readAtOpen + 1; i++) {
      const first = th.sorted()[0];
      await loadHistory(th, first ? first.seq : 0, PAGE).catch(() => { th.hasMore = false; });
      this.firstUnread = null; // recomputed from what is loaded now
    }
    this.render();
    if (this.firstUnread == null) return;
    const m = th.sorted().find((x) => x.seq === this.firstUnread);
    if (m) this.jumpTo(m.id);
    this.updateJump();
  }

  // messageItems is the nodes of msgs with a separator before each day
  // and the "new" divider before the first unread message.
  messageItems(msgs) {
    const out = [];
    let lastDay = '';
    for (const m of msgs) {
      const dk = dayKey(m.created_at);
      if (dk !== lastDay) {
        lastDay = dk;
        const label = fmtDay(m.created_at);
        let sep = this.days.get(dk);
        if (!sep || sep.textContent !== label) {
          sep = h('div', { class: 'day', role: 'separator' }, h('span', null, label));
          this.days.set(dk, sep);
        }
        out.push(sep);
      }
      if (this.gap && !m.internal && m.seq >= this.gap.high && out.length && !out.includes(this.gapNode())) out.push(this.gapNode());
      if (!m.internal && m.seq === this.firstUnread) {
        if (!this.unreadSep) this.unreadSep = h('div', { class: 'unread-sep', role: 'separator' }, h('span', null, t('thread.new')));
        out.push(this.unreadSep);
      }
      out.push(this.messageNode(m));
    }
    return out;
  }

  messageKey(m) {
    const ref = m.reply_to_id ? this.th.msgs.get(m.reply_to_id) : null;
    const names = (m.mentions || []).map((id) => state.users.get(id));
    return JSON.stringify([m.body, m.change, m.edited_at, m.deleted_at, (m.attachments || []).length, ref ? [ref.body, ref.deleted_at] : 0, lang(), m.mentions, names, reactionKey(m), state.avatars.get(m.author_id)]);
  }

  messageNode(m) {
    const key = this.messageKey(m);
    const cached = this.nodes.get(m.id);
    if (cached && cached.key === key) return cached.node;
    const node = m.kind === 'status' ? statusNode(m) : this.textNode(m);
    if (cached && cached.node.contains(document.activeElement)) {
      // keep keyboard focus on the same action after a rebuild
      const cls = document.activeElement.dataset.action;
      queueMicrotask(() => node.querySelector(`[data-action="${cls}"]`)?.focus());
    }
    this.nodes.set(m.id, { node, key });
    return node;
  }

  textNode(m) {
    const own = m.author_id === myId();
    const names = (m.mentions || []).map((id) => state.users.get(id)).filter(Boolean);
    const parts = m.internal ? [noteLabel(), authorLine(m)] : [authorLine(m)];
    if (m.reply_to_id) parts.push(this.replyRef(m));
    if (m.deleted_at) {
      parts.push(h('p', { class: 'body tombstone' }, t('msg.deleted')));
    } else {
      parts.push(h('div', { class: 'body' }, renderBody(m.body, names)));
      if (m.attachments?.length) parts.push(attachmentList(m.attachments));
    }
    if (!m.deleted_at && !m.internal) parts.push(reactionBar(m, (text) => this.showNotice(text)));
    const actions = this.messageActions(m);
    const touch = actions.length > 0 && touchScreen();
    if (actions.length && !touch) parts.push(h('div', { class: 'msg-actions' }, actions));
    // A note's seq counts its own channel: it is kept off data-seq, which
    // finds the conversation's messages.
    const node = h('article', { class: ['msg', own && 'own', m.deleted_at && 'deleted', m.edited_at && 'is-edited', m.internal && 'note'], id: 'm-' + m.id,
      data: m.internal ? { id: m.id, note: '1' } : { id: m.id, seq: m.seq }, tabindex: '-1' }, parts);
    if (touch) node.appendChild(actionMenu(node, actions));
    return node;
  }

  replyRef(m) {
    const ref = this.th.msgs.get(m.reply_to_id);
    return h('button', { type: 'button', class: 'reply-ref', data: { action: 'goto' }, onclick: () => this.jumpTo(m.reply_to_id) },
      '↩ ', ref ? h('strong', null, ref.author_name || userName(ref.author_id)) : null,
      ref ? ': ' + (ref.deleted_at ? t('msg.deleted') : excerpt(ref.body, 80)) : t('msg.earlier'));
  }

  messageActions(m) {
    const own = m.author_id === myId();
    const mine = own && !m.deleted_at;
    const canDelete = !m.deleted_at && (own || (this.th.kind === 'topic' && isAdmin()));
    const actions = [];
    const talk = !m.deleted_at && !m.internal; // a note is edited or deleted, not answered
    if (talk) actions.push(h('button', { type: 'button', class: 'link', data: { action: 'reply' }, onclick: () => this.composer.replyTo(m) }, t('msg.reply')));
    if (talk) actions.push(reactButton(m, (text) => this.showNotice(text)));
    if (mine) actions.push(h('button', { type: 'button', class: 'link', data: { action: 'edit' }, onclick: () => this.composer.edit(m) }, t('msg.edit')));
    if (canDelete) actions.push(this.deleteButton(m));
    return actions;
  }

  deleteButton(m) {
    const wrap = h('span', { class: 'delete' });
    const ask = h('button', { type: 'button', class: 'link danger', data: { action: 'delete' } }, t('msg.delete'));
    ask.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'link danger', data: { action: 'delete-yes' } }, t('msg.delete.confirm'));
      const no = h('button', { type: 'button', class: 'link', data: { action: 'delete-no' } }, t('action.cancel'));
      yes.addEventListener('click', () => this.deleteMessage(m));
      no.addEventListener('click', () => replace(wrap, ask));
      replace(wrap, t('msg.delete.ask'), ' ', yes, ' ', no);
      yes.focus();
    });
    wrap.appendChild(ask);
    return wrap;
  }

  async deleteMessage(m) {
    const th = m.internal ? this.notes : this.th;
    if (!th) return;
    try {
      const ack = await socket.request({ type: 'delete', message_id: m.id });
      if (ack.message) th.apply({ ...ack.message, seq: th.msgs.get(m.id)?.seq ?? ack.message.seq }, null);
      this.render();
    } catch (e) {
      this.showNotice(errorText(e));
    }
  }

  pendingNode(p) {
    let node = p.node;
    const key = p.state + (p.error || '');
    if (node && p.nodeKey === key) return node;
    const th = p.internal ? this.notes : this.th;
    node = h('article', { class: ['msg', 'own', 'pending', p.state === 'failed' && 'failed', p.internal && 'note'], data: { client: p.client_msg_id } },
      p.internal ? noteLabel() : null,
      h('header', { class: 'msg-head' }, h('span', { class: 'author' }, state.me.user.name), ' ',
        h('span', { class: 'muted small pending-state', role: 'status' }, pendingLabel(p))),
      h('div', { class: 'body' }, renderBody(p.body, [])),
      p.state === 'failed' ? h('div', { class: 'msg-actions' },
        h('button', { type: 'button', class: 'link', onclick: () => { p.state = 'sending'; this.render(); sendPending(th, p); } }, t('action.retry')),
        h('button', { type: 'button', class: 'link danger', onclick: () => { th.pending.delete(p.client_msg_id); this.render(); } }, t('action.discard'))) : null);
    p.node = node;
    p.nodeKey = key;
    return node;
  }

  jumpTo(id) {
    const el = document.getElementById('m-' + id);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.classList.add('flash');
      el.focus();
      setTimeout(() => el.classList.remove('flash'), 1500);
    }
  }

  renderTyping() {
    const now = Date.now();
    const names = [...this.th.typing.values()].filter((x) => x.until > now).map((x) => x.name);
    this.typing.textContent = names.length ? tn('thread.typing', names.length, { names: names.join(', ') }) : '';
  }

  renderSeen() {
    const msgs = this.th.sorted().filter((m) => m.kind !== 'status');
    const last = msgs[msgs.length - 1];
    if (!last) {
      this.seen.textContent = '';
      return;
    }
    const names = [];
    for (const [uid2, seq] of this.th.readers) {
      if (uid2 !== myId() && seq >= last.seq) names.push(userName(uid2));
    }
    this.seen.textContent = names.length ? t('thread.seenby', { names: names.join(', ') }) : '';
  }

  // ---- read markers ----

  sendReadNow() {
    const th = this.th;
    if (state.viewing !== this.channel || document.visibilityState !== 'visible' || th.gone) return;
    const seq = th.maxSeq();
    if (seq <= th.readSeq && !(th.kind === 'topic' && findTopic(th.id)?.topic.unread)) return;
    th.readSeq = Math.max(th.readSeq, seq);
    if (th.kind === 'topic') topicMarkedRead(th.id, seq);
    else {
      const c = state.conversations.get(th.id);
      if (c && c.unread) upsertConversation({ ...c, unread: 0, read_seq: seq });
    }
    if (!socket.send({ type: 'read', channel: this.channel, seq })) {
      const path = th.kind === 'topic' ? `/messenger/topics/${th.id}/read` : `/conversations/${th.id}/read`;
      post(path, { seq }).catch(() => {});
    }
  }

  markRead() {
    if (this.th.loaded) this.sendRead();
  }

  showNotice(text, kind = 'error') {
    replace(this.notice, text ? h('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, text) : null);
  }

  // ---- header ----

  renderHeader() {
    if (this.th.kind === 'topic') this.renderTopicHeader();
    else this.renderConversationHeader();
  }

  renderTopicHeader() {
    const f = findTopic(this.th.id);
    if (!f) {
      this.title.textContent = t('topic.title');
      return;
    }
    this.title.textContent = '# ' + f.topic.name;
    replace(this.meta, h('span', null, f.group.name), ' · ', h('span', { class: 'members-online', id: 'members-online' }, this.membersText()),
      f.group.can_manage ? [' · ', h('a', { href: '#/manage/' + f.group.id }, t('topic.edit'))] : null);
    this.replaceSide(this.memberList());
    replace(this.headActions, this.asideToggle, muteButton(this.channel));
  }

  renderConversationHeader() {
    const c = state.conversations.get(this.th.id);
    this.title.textContent = c ? c.subject : t('conv.title');
    clear(this.meta);
    // Rebuild the panel only when something in it changed: a control
    // replaced under the pointer would lose the click.
    const ids = c ? [c.creator_id, c.handler_id, c.customer_assignee_id, c.admin_id, c.related_user_id] : [];
    const key = JSON.stringify([c, lang(), ids.map((id) => id && userName(id)), !!state.categories]);
    if (key !== this.panelKey) {
      this.panelKey = key;
      this.replaceSide(c ? conversationPanel(c, this.th) : null);
    }
    replace(this.headActions, this.asideToggle, muteButton(this.channel));
    this.followNotes(c);
  }

  // followNotes shows the conversation's internal notes inline once the
  // server says the user may read them (can.notes), and gives the
  // composer its "Internal note" mode.
  followNotes(c) {
    if (!c?.can?.notes || this.notes) return;
    const th = followNotes(c.id);
    this.notes = th;
    const offs = [bus.on('thread:' + th.channel, () => this.render()),
      bus.on('removed:' + th.channel, () => {
        for (const off of offs) off();
        this.notes = null;
        this.composer.setNotes(null);
        this.render();
      })];
    this.offs.push(...offs);
    this.composer.setNotes(th);
    th.loading?.then(() => this.render());
  }

  membersText() {
    const members = this.members;
    if (!members.length) return '';
    const n = members.filter((u) => state.online.get(u.id)).length;
    return t('topic.online', { n, total: members.length });
  }

  memberList() {
    const members = this.members;
    if (!members.length) return null;
    return h('section', { class: 'members', id: 'members' }, h('h2', null, tn('topic.members', members.length)),
      h('ul', null, members.map((u) => h('li', null, avatar(u.id, u.name),
        h('span', { class: ['presence', state.online.get(u.id) ? 'on' : 'off'], 'aria-hidden': 'true' }), u.name,
        h('span', { class: 'sr-only' }, state.online.get(u.id) ? ' (' + t('presence.online') + ')' : ' (' + t('presence.offline') + ')')))));
  }

  async loadMembers() {
    const th = this.th;
    try {
      if (th.kind === 'topic') {
        const f = findTopic(th.id);
        if (!f) return;
        const r = await get(`/messenger/groups/${f.group.id}/members`);
        this.members = r.items || [];
      } else {
        const r = await get(`/conversations/${th.id}/receivers`);
        this.members = (r.items || r.receivers || []).map((x) => ({ id: x.user_id ?? x.id, name: x.name }));
      }
      for (const u of this.members) rememberUser(u.id, u.name);
      this.composer.setCandidates(this.members);
      await this.refreshPresence();
    } catch (e) {
      console.warn('members', e);
    }
  }

  async refreshPresence() {
    const members = this.members;
    if (!members.length || !socket.online) return;
    try {
      const r = await socket.request({ type: 'presence', user_ids: members.map((u) => u.id).slice(0, 200) });
      for (const u of r.users || []) state.online.set(u.user_id, u.online);
      this.renderHeader();
      this.render();
    } catch {
      // shown on the next event
    }
  }

  // ---- loading ----

  async open() {
    if (!(await this.loadThreadState())) return;
    this.renderHeader();
    if (!(await this.loadFirstPage())) return;
    this.render({ bottom: true });
    await this.scrollToStart();
    this.composer.restoreDraft();
    this.loadMembers();
  }

  // loadThreadState waits for the topic or fetches the conversation and
  // takes the read marker from it; false when the thread is gone.
  async loadThreadState() {
    const th = this.th;
    if (th.kind === 'topic' && !findTopic(th.id)) {
      // The overview may still be loading; wait for it once.
      await new Promise((resolve) => {
        if (state.groups.length) return resolve();
        const off = bus.on('groups', () => { off(); resolve(); });
        setTimeout(resolve, 3000);
      });
      if (!findTopic(th.id)) {
        this.showGone();
        return false;
      }
    }
    if (th.kind === 'conversation') {
      await categories().catch(() => null); // for the category's name
      try {
        const c = await get('/conversations/' + th.id);
        upsertConversation(c);
        th.readSeq = Math.max(th.readSeq, c.read_seq || 0);
        this.readAtOpen = th.readSeq;
      } catch (e) {
        if (e.status === 404 || e.status === 403) {
          this.showGone();
          return false;
        }
        this.showNotice(errorText(e));
      }
    } else {
      const f = findTopic(th.id);
      th.readSeq = Math.max(th.readSeq, f.topic.read_seq || 0);
      this.readAtOpen = th.readSeq;
    }
    return true;
  }

  // loadFirstPage loads the newest page unless the thread has it, and
  // subscribes a conversation from there; false when it cannot.
  async loadFirstPage() {
    const th = this.th;
    if (!th.loaded) {
      try {
        const items = await loadHistory(th, 0, PAGE);
        th.loaded = true;
        if (th.kind === 'conversation') {
          const newest = items.reduce((n, m) => Math.max(n, m.seq), 0);
          socket.subscribe(this.channel, Math.max(newest, socket.lastSeq(this.channel) || 0));
        }
      } catch (e) {
        if (e.status === 404) this.showGone();
        else this.showNotice(errorText(e));
        return false;
      }
    } else if (th.kind === 'conversation') {
      socket.subscribe(this.channel, th.maxSeq());
    }
    return true;
  }

  // scrollToStart shows the message asked for, or the first unread one.
  async scrollToStart() {
    const th = this.th;
    if (this.focusId) {
      await this.notes?.loading; // the message asked for may be a note
      if (!th.msgs.has(this.focusId) && !this.notes?.msgs.has(this.focusId)) await this.loadAroundFocus();
      this.render();
      this.jumpTo(this.focusId);
    } else if (this.firstUnread != null) {
      const el = this.list.querySelector(`[data-seq="${this.firstUnread}"]`);
      if (el) el.scrollIntoView({ block: 'center' });
    }
  }

  // loadAroundFocus loads the page centred on the message asked for; what
  // lies between it and the newest page is a gap, filled on demand.
  async loadAroundFocus() {
    const th = this.th;
    const loadedLow = th.sorted()[0]?.seq ?? 0; // the oldest of the newest page
    try {
      const items = await loadAround(th, this.focusId, PAGE);
      const top = items.reduce((n, m) => Math.max(n, m.seq), 0);
      if (loadedLow && top < loadedLow) this.gap = { low: top, high: loadedLow };
    } catch (e) {
      this.showNotice(errorText(e));
    }
  }

  // gapNode is the button that loads the messages of the gap, from its
  // newer end.
  gapNode() {
    if (!this.gapButton) {
      this.gapButton = h('button', { type: 'button', class: 'link gap', id: 'load-gap' }, t('thread.gap'));
      this.gapButton.addEventListener('click', () => this.fillGap());
    }
    return this.gapButton;
  }

  async fillGap() {
    const gap = this.gap;
    if (!gap) return;
    this.gapButton.disabled = true;
    try {
      const items = await loadBetween(this.th, gap.high, PAGE);
      const low = items.reduce((n, m) => Math.min(n, m.seq), gap.high);
      if (items.length < PAGE || low <= gap.low + 1) this.gap = null;
      else gap.high = low;
      this.render();
    } catch (e) {
      this.showNotice(errorText(e));
    }
    this.gapButton.disabled = false;
  }

  showGone() {
    this.th.gone = true;
    replace(this.view, h('div', { class: 'gone card' }, h('h1', null, t('thread.gone')), h('p', null, t('thread.gone.body')),
      h('a', { href: '#/', class: 'button' }, t('nav.home'))));
  }

  async loadOlder() {
    const first = this.th.sorted()[0];
    const before = first ? first.seq : 0;
    const prevHeight = this.scroller.scrollHeight;
    this.older.disabled = true;
    try {
      await loadHistory(this.th, before, PAGE);
      this.render();
      this.scroller.scrollTop = this.scroller.scrollHeight - prevHeight;
    } catch (e) {
      this.showNotice(errorText(e));
    }
    this.older.disabled = false;
  }

  async reload() {
    this.nodes.clear();
    try {
      await loadHistory(this.th, 0, PAGE);
      this.th.loaded = true;
      this.render({ bottom: true });
    } catch (e) {
      this.showNotice(errorText(e));
    }
  }

  // ---- live events ----

  subscribe() {
    const ch = this.channel;
    const th = this.th;
    const onKey = (e) => {
      if (e.altKey && e.key === 'ArrowDown' && !document.querySelector('dialog[open]')) {
        e.preventDefault();
        this.jumpToUnread();
      }
    };
    document.addEventListener('keydown', onKey);
    this.offs.push(() => document.removeEventListener('keydown', onKey));
    this.on('thread:' + ch, (f) => {
      this.render();
      if (f?.event === 'conversation.changed') this.renderHeader();
    });
    this.on('readers:' + ch, () => this.renderSeen());
    this.on('typing:' + ch, () => this.renderTyping());
    this.on('presence', () => this.presenceChanged());
    this.on('users', () => {
      this.renderHeader();
      this.render();
    });
    this.on('removed:' + ch, () => this.showGone());
    this.on('reload:' + ch, () => this.reload());
    this.on('groups', () => {
      if (th.kind === 'topic' && th.loaded) this.renderHeader();
    });
    this.on('topic:' + th.id, () => this.renderHeader());
    if (th.kind === 'conversation') this.on('conversation:' + th.id, () => this.renderHeader());
    this.offs.push(socket.on('hello', () => {
      flushPending(th);
      if (this.notes) flushPending(this.notes);
      this.refreshPresence();
      this.markRead();
    }));
    // Presence events are hints; ask for the exact answer now and then.
    const presenceTimer = setInterval(() => this.refreshPresence(), 60000);
    this.offs.push(() => clearInterval(presenceTimer));
  }

  presenceChanged() {
    const el = document.getElementById('members-online');
    if (el) el.textContent = this.membersText();
    this.renderHeader();
    for (const dot of this.list.querySelectorAll('.presence[data-user]')) {
      dot.className = 'presence ' + (state.online.get(Number(dot.dataset.user)) ? 'on' : 'off');
    }
  }

  close() {
    for (const off of this.offs) off();
    document.removeEventListener('visibilitychange', this.onVisible);
    this.sendRead.flush(); // what was on screen was read
    this.composer.destroy();
    if (state.viewing === this.channel) state.viewing = '';
  }
}

// ---- message parts ----

function authorLine(m) {
  const online = state.online.get(m.author_id);
  // A reply by email from a conversation's external address has no user:
  // the address is its author, marked as from outside.
  const external = m.external_author || '';
  const name = external || m.author_name || userName(m.author_id);
  return h('header', { class: 'msg-head' },
    avatar(m.author_id, name),
    external ? null : h('span', { class: ['presence', online ? 'on' : 'off'], 'aria-hidden': 'true', data: { user: m.author_id } }),
    h('span', { class: 'author' }, name),
    external ? h('span', { class: 'badge external', title: t('msg.externalTitle') }, t('msg.external')) : null,
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

function pendingLabel(p) {
  if (p.state === 'failed') return t('msg.failed') + (p.error ? ': ' + p.error : '');
  if (p.state === 'queued') return t('msg.queued');
  if (p.state === 'retrying') return t('msg.retrying');
  return t('msg.sending');
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
    this.noteTh = null; // the notes' thread, when the user may write them
    this.noteMode = false;

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
    this.mode = modeSwitch((note) => this.setNoteMode(note));
    this.el = h('form', { class: 'composer', 'aria-label': t('composer.label') },
      this.mode, this.banner, toolbar, h('div', { class: 'input-wrap' }, this.input, this.menu), this.file, this.uploadList, this.error,
      h('div', { class: 'composer-foot' }, h('span', { class: 'muted small hint' }, t('composer.hint')), this.draftState, this.send));

    this.saveDraftSoon = debounce(() => this.persistDraft(), 800);
    this.el.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (e) => this.keydown(e));
    this.input.addEventListener('input', () => this.changed());
    // The list closes when focus has left the composer for good: a click
    // on an item (mousedown keeps focus) or focus that comes straight back
    // (a re-render elsewhere) keeps it open.
    this.input.addEventListener('blur', () => setTimeout(() => {
      if (document.activeElement !== this.input) this.closeMenu();
    }, 150));
    this.file.addEventListener('change', () => {
      for (const f of this.file.files) this.addUpload(f);
      this.file.value = '';
    });
    // Pasted and dropped files upload like picked ones (files.js).
    acceptFiles(this.el, this.input, (f) => this.addUpload(f));
    this.addCanned();
  }

  // addCanned gives a conversation's composer the canned reply picker,
  // for the handler side (helpdesk.js): a toolbar button and Ctrl+Shift+K.
  addCanned() {
    if (this.th.kind !== 'conversation' || !mayUseQueues()) return;
    const picker = cannedPicker(this.input, this.th.id);
    this.el.querySelector('.toolbar').appendChild(picker.button);
    this.el.insertBefore(picker.box, this.el.querySelector('.input-wrap'));
  }

  destroy() {
    this.saveDraftSoon.flush();
  }

  // setNotes offers the "Internal note" mode for the notes' thread th, or
  // takes it away (null).
  setNotes(th) {
    this.noteTh = th;
    this.mode.hidden = !th;
    if (!th) {
      this.mode.querySelector('#composer-mode-reply').checked = true;
      this.setNoteMode(false);
    }
  }

  // setNoteMode switches between a reply to the customer and an internal
  // note, and shows plainly which one is being written. A note sends no
  // typing indicator (the customer would see it), keeps no draft and
  // takes no reply or mention.
  setNoteMode(note) {
    this.noteMode = note && !!this.noteTh;
    this.el.classList.toggle('note-mode', this.noteMode);
    this.input.placeholder = this.noteMode ? t('notes.placeholder') : t('composer.placeholder');
    this.input.setAttribute('aria-label', this.noteMode ? t('notes.label') : t('composer.label'));
    if (!this.editId) this.send.textContent = this.noteMode ? t('notes.add') : t('composer.send');
    if (this.noteMode && this.replyId) this.cancelMode();
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
    if (this.editId || this.noteMode) return;
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
    if (this.input.value.trim() && now - this.lastTyping > 2000 && !this.editId && !this.noteMode) {
      this.lastTyping = now;
      socket.send({ type: 'typing', channel: this.th.channel });
    }
    if (!this.editId) this.saveDraftSoon();
    if (this.noteMode) return this.closeMenu(); // a note mentions nobody
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
    } else if (e.key === 'ArrowUp' && !this.input.value && !this.editId) {
      const last = this.lastOwnMessage();
      if (last) {
        e.preventDefault();
        this.edit(last);
      }
    }
  }

  // lastOwnMessage is the newest message of the caller that can be edited.
  lastOwnMessage() {
    const own = this.th.sorted().filter((m) => m.author_id === myId() && m.kind !== 'status' && !m.deleted_at);
    return own[own.length - 1] || null;
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
    if (this.noteMode) return;
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
    this.send.textContent = this.noteMode ? t('notes.add') : t('composer.send');
    this.saveDraftSoon();
  }

  // ---- attachments ----
  addUpload(file) {
    const u = uploadItem(file, (gone) => { this.uploads = this.uploads.filter((x) => x !== gone); });
    this.uploads.push(u);
    this.uploadList.appendChild(u.el);
  }

  // threadOf is the thread holding message id: a note is in the
  // conversation's note thread.
  threadOf(id) {
    return this.noteTh?.msgs.has(id) ? this.noteTh : this.th;
  }

  // saveEdit leaves edit mode at once, giving back what was being written
  // before, and then saves: whatever is typed while the edit is on its way
  // stays (restoring the composer when the answer came used to wipe it).
  // A refused edit comes back into the composer when it is still empty.
  async saveEdit(id, body) {
    this.cancelMode();
    try {
      const ack = await socket.request({ type: 'edit', message_id: id, body });
      const eth = this.threadOf(id);
      const cur = eth.msgs.get(id);
      if (ack.message && cur && !cur.deleted_at) eth.apply({ ...ack.message, seq: cur.seq }, null);
      bus.emit('thread:' + this.th.channel);
    } catch (e) {
      const cur = this.threadOf(id).msgs.get(id);
      if (cur && !this.input.value && !this.editId) this.edit({ ...cur, body });
      this.error.textContent = errorText(e);
    }
  }

  async submit() {
    const body = this.input.value;
    this.error.textContent = '';
    if (this.editId) {
      if (body.trim()) this.saveEdit(this.editId, body);
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
    const note = this.noteMode;
    const th = note ? this.noteTh : this.th;
    const p = { client_msg_id: uid(), body, reply_to_id: note ? null : this.replyId, attachment_ids: attachmentIds, mentions: note ? [] : mentions, state: 'sending', internal: note };
    th.pending.set(p.client_msg_id, p);
    this.input.value = '';
    this.uploads = [];
    clear(this.uploadList);
    this.mentioned.clear();
    this.cancelMode();
    this.saveDraftSoon.cancel();
    if (!note) discardDraft(this.th.channel);
    this.draftState.textContent = '';
    bus.emit('thread:' + th.channel);
    const list = document.getElementById('messages');
    const scroller = list?.parentElement;
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
    await sendPending(th, p);
  }
}
