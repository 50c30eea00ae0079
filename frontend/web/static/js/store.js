// Application state and how live events change it. Views listen on `bus`
// and re-render what changed:
//   me, groups, conversations, notifications, conn, thread:<channel>,
//   removed:<channel>

import { Emitter, debounce } from './dom.js';
import { get, getAll, query } from './api.js';
import { Socket, persisted } from './socket.js';
import { lang, t } from './i18n.js';

export const bus = new Emitter();
export const socket = new Socket();

export const state = {
  me: null,
  roles: [],
  groups: [],
  conversations: new Map(), // id -> conversation view
  convFilter: { mine: false, status: '' },
  notifUnread: 0,
  notifications: null, // loaded list, newest first
  threads: new Map(), // channel -> Thread
  users: new Map(), // id -> name
  avatars: new Map(), // user id -> avatar version (0: none, initials)
  online: new Map(), // user id -> bool
  categories: null,
  viewing: '', // channel of the open thread
};

export function isAdmin() {
  return !!state.me?.tenant_admin;
}

export function hasRoleKey(key) {
  return !!state.me?.roles?.some((r) => r.key === key);
}

export function isHandler() {
  return !!state.me?.roles?.some((r) => r.handler);
}

export function messengerOn() {
  return !!state.me?.tenant?.settings?.messenger_enabled;
}

export function myId() {
  return state.me?.user?.id;
}

export function rememberUser(id, name) {
  if (id && name) state.users.set(id, name);
}

// rememberNames takes a payload's {id: name} map (conversation.names).
export function rememberNames(names) {
  for (const [id, name] of Object.entries(names || {})) rememberUser(Number(id), name);
}

// userName is the one way the UI names a person. Names come with the
// payloads that need them (authors, a conversation's people, members);
// an id seen nowhere yet is asked from the server, which answers under
// the company-visibility rule, and views re-render on the 'users' event.
// Meanwhile, and for people the viewer may not see, a neutral word stands
// in: never a bare id.
export function userName(id) {
  const name = state.users.get(id);
  if (name) return name;
  if (id && !askedNames.has(id)) {
    askedNames.add(id);
    namesWanted.add(id);
    askNamesSoon();
  }
  return t('user.someone');
}

// avatarVersion is the version of a person's uploaded avatar, 0 for none
// (or not known yet: initials meanwhile). Versions come with the names
// the server gives (/users/names), by the same rule as names; views
// re-render on the 'users' event when they arrive.
export function avatarVersion(id) {
  if (state.avatars.has(id)) return state.avatars.get(id);
  if (id > 0 && !askedNames.has(id)) {
    askedNames.add(id);
    namesWanted.add(id);
    askNamesSoon();
  }
  return 0;
}

// setAvatarVersion records a changed avatar (the user's own upload).
export function setAvatarVersion(id, version) {
  state.avatars.set(id, version || 0);
  bus.emit('users');
}

const askedNames = new Set();
const namesWanted = new Set();
const askNamesSoon = debounce(async () => {
  const ids = [...namesWanted].slice(0, 200);
  for (const id of ids) namesWanted.delete(id);
  if (namesWanted.size) askNamesSoon();
  try {
    const r = await get('/users/names' + query({ ids: ids.join(',') }));
    for (const u of r.items || []) rememberUser(u.id, u.name);
    // The people the viewer may not see have no avatar for them either.
    for (const id of ids) state.avatars.set(id, 0);
    for (const u of r.items || []) state.avatars.set(u.id, u.avatar || 0);
    if (r.items?.length) bus.emit('users');
  } catch {
    for (const id of ids) askedNames.delete(id); // asked again when next shown
  }
}, 30);

export function roleName(role) {
  if (!role) return '';
  if (role.key) {
    const k = 'role.' + role.key;
    const s = t(k);
    if (s !== k) return s;
  }
  return role.name;
}

export function roleById(id) {
  return state.roles.find((r) => r.id === id);
}

// statusLabel names a conversation status in the current language; the
// tenant's own labels win.
export function statusLabel(status) {
  const labels = state.me?.tenant?.settings?.status_labels;
  return labels?.[lang()]?.[status] || t('status.' + status);
}

export function categoryName(c) {
  if (!c) return '';
  return (lang() === 'fi' ? c.name_fi || c.name_en : c.name_en || c.name_fi) || '#' + c.id;
}

// ---- threads ----

export class Thread {
  constructor(channel) {
    this.channel = channel;
    const [kind, id] = channel.split(':');
    this.kind = kind;
    this.id = Number(id);
    this.msgs = new Map(); // message id -> message
    this.evSeq = new Map(); // message id -> seq of the last event applied
    this.loaded = false;
    this.loading = null;
    this.hasMore = true;
    this.readSeq = 0;
    this.typing = new Map(); // user id -> {name, until}
    this.readers = new Map(); // user id -> read seq (other members)
    this.pending = new Map(); // client_msg_id -> pending message
    this.gone = false;
  }

  sorted() {
    return [...this.msgs.values()].sort((a, b) => a.seq - b.seq);
  }

  maxSeq() {
    let n = socket.lastSeq(this.channel) || 0;
    for (const m of this.msgs.values()) n = Math.max(n, m.seq);
    return n;
  }

  // apply stores a message from a live event or an ack; evSeq orders
  // edits and deletes of the same message.
  apply(m, evSeq) {
    const last = this.evSeq.get(m.id);
    if (evSeq != null && last != null && evSeq < last) return false;
    const old = this.msgs.get(m.id);
    if (old && evSeq == null && (old.edited_at || old.deleted_at) && !m.edited_at && !m.deleted_at) return false;
    rememberUser(m.author_id, m.author_name);
    this.msgs.set(m.id, m);
    if (evSeq != null) this.evSeq.set(m.id, evSeq);
    if (m.client_msg_id && m.author_id === myId()) this.pending.delete(m.client_msg_id);
    return true;
  }

  // merge adds history; messages seen live already are newer or equal.
  merge(list) {
    for (const m of list) {
      rememberUser(m.author_id, m.author_name);
      if (!this.msgs.has(m.id)) this.msgs.set(m.id, m);
      if (m.client_msg_id && m.author_id === myId()) this.pending.delete(m.client_msg_id);
    }
  }
}

export function thread(channel) {
  let th = state.threads.get(channel);
  if (!th) {
    th = new Thread(channel);
    state.threads.set(channel, th);
  }
  return th;
}

// loadHistory fetches messages older than before (0: newest).
export async function loadHistory(th, before = 0, limit = 50) {
  let items;
  if (th.kind === 'topic') {
    const page = await get(`/messenger/topics/${th.id}/messages` + query({ before: before || '', limit }));
    items = page.items || [];
  } else {
    const page = await get(`/conversations/${th.id}/messages` + query({ before: before || '', limit }));
    items = page.items || page.messages || [];
  }
  th.merge(items);
  th.hasMore = items.length === limit;
  return items;
}

// loadAround fetches the page of messages centred on message id (a search
// hit) and returns it, newest first; hasMore is left alone.
export async function loadAround(th, id, limit = 50) {
  const base = th.kind === 'topic' ? `/messenger/topics/${th.id}/messages` : `/conversations/${th.id}/messages`;
  const page = await get(base + query({ around: id, limit }));
  const items = page.items || page.messages || [];
  th.merge(items);
  return items;
}

// loadBetween fetches the messages just older than before (filling a gap
// above loaded messages); hasMore is left alone.
export async function loadBetween(th, before, limit = 50) {
  const base = th.kind === 'topic' ? `/messenger/topics/${th.id}/messages` : `/conversations/${th.id}/messages`;
  const page = await get(base + query({ before, limit }));
  const items = page.items || page.messages || [];
  th.merge(items);
  return items;
}

// ---- messenger ----

export async function loadMessenger() {
  if (!messengerOn()) {
    state.groups = [];
    bus.emit('groups');
    return;
  }
  try {
    const o = await get('/messenger');
    state.groups = o.groups || [];
  } catch (e) {
    if (e.status === 404) state.groups = [];
    else throw e;
  }
  for (const g of state.groups) {
    for (const tp of g.topics) {
      const ch = 'topic:' + tp.id;
      // Subscribe from the seq the overview reflects: anything newer is
      // replayed, so the unread badges stay right.
      socket.subscribe(ch, tp.last_seq);
      thread(ch).readSeq = Math.max(thread(ch).readSeq, tp.read_seq || 0);
    }
  }
  bus.emit('groups');
}

export const reloadMessenger = debounce(() => loadMessenger().catch((e) => console.warn('messenger', e)), 200);

export function findTopic(id) {
  for (const g of state.groups) {
    const tp = g.topics.find((x) => x.id === id);
    if (tp) return { group: g, topic: tp };
  }
  return null;
}

function recountGroup(g) {
  g.unread = g.topics.reduce((n, x) => n + (x.unread || 0), 0);
}

function topicUnreadAdd(id, seq) {
  const f = findTopic(id);
  // The overview counted everything up to its last_seq already.
  if (!f || seq <= (f.topic.last_seq || 0)) return;
  f.topic.last_seq = seq;
  f.topic.unread = Math.max(0, (f.topic.unread || 0) + 1);
  recountGroup(f.group);
  bus.emit('groups');
}

export function topicMarkedRead(id, seq) {
  const f = findTopic(id);
  const th = thread('topic:' + id);
  th.readSeq = Math.max(th.readSeq, seq);
  if (!f) return;
  if (seq >= th.maxSeq()) f.topic.unread = 0;
  f.topic.read_seq = th.readSeq;
  recountGroup(f.group);
  bus.emit('groups');
}

// ---- conversations ----

export async function loadConversations() {
  try {
    const page = await get('/conversations' + query({ limit: 50, mine: state.convFilter.mine ? 'true' : '', status: state.convFilter.status }));
    state.conversations = new Map((page.items || []).map((c) => [c.id, c]));
    for (const c of state.conversations.values()) indexConversation(c);
  } catch (e) {
    if (e.status !== 404) throw e;
    state.conversations = new Map();
  }
  bus.emit('conversations');
}

export function indexConversation(c) {
  rememberNames(c.names);
}

export const reloadConversations = debounce(() => loadConversations().catch((e) => console.warn('conversations', e)), 300);

const refreshing = new Map();
// refreshConversation fetches one conversation as the caller sees it
// (unread, allowed actions), coalescing bursts of events.
export function refreshConversation(id) {
  clearTimeout(refreshing.get(id));
  refreshing.set(id, setTimeout(async () => {
    refreshing.delete(id);
    try {
      const c = await get('/conversations/' + id);
      upsertConversation(c);
    } catch (e) {
      if (e.status === 404) removeConversation(id);
    }
  }, 150));
}

export function upsertConversation(c) {
  const old = state.conversations.get(c.id);
  state.conversations.set(c.id, { ...old, ...c });
  indexConversation(c);
  bus.emit('conversations');
  bus.emit('conversation:' + c.id, state.conversations.get(c.id));
}

function removeConversation(id) {
  state.conversations.delete(id);
  bus.emit('conversations');
  channelGone('conversation:' + id);
}

// ---- notifications ----

export async function loadNotificationCount() {
  try {
    const r = await get('/notifications/unread');
    state.notifUnread = r.unread ?? r.count ?? 0;
  } catch {
    state.notifUnread = 0;
  }
  bus.emit('notifications');
}

// ---- live events ----

function channelGone(ch) {
  const th = state.threads.get(ch);
  if (th) th.gone = true;
  socket.unsubscribe(ch);
  bus.emit('removed:' + ch);
}

function typingChanged(th) {
  bus.emit('typing:' + th.channel);
}

export function handleEvent(f) {
  const ch = f.channel;
  const d = f.data || {};
  switch (f.event) {
    case 'message.new':
    case 'message.edited':
    case 'message.deleted':
    case 'message.reacted': {
      const th = thread(ch);
      const fresh = !th.msgs.has(d.id);
      th.apply(d, f.seq);
      if (f.event !== 'message.reacted' && th.typing.delete(d.author_id)) typingChanged(th);
      const fromOther = d.author_id !== myId();
      if (f.event === 'message.new' && fresh && fromOther) {
        const viewing = state.viewing === ch && document.visibilityState === 'visible';
        if (th.kind === 'topic' && !viewing && d.seq > th.readSeq) topicUnreadAdd(th.id, d.seq);
      }
      bus.emit('thread:' + ch, f);
      return;
    }
    case 'typing': {
      if (d.user_id === myId()) return;
      const th = thread(ch);
      rememberUser(d.user_id, d.name);
      th.typing.set(d.user_id, { name: d.name, until: Date.now() + 6000 });
      typingChanged(th);
      setTimeout(() => typingChanged(th), 6100);
      return;
    }
    case 'presence':
      state.online.set(d.user_id, !!d.online);
      bus.emit('presence', d);
      return;
    case 'read': {
      const target = d.channel || ch;
      if (d.user_id === myId() || (!d.user_id && ch === socket.userChannel)) {
        // Our own marker moved (another device or tab).
        const th = thread(target);
        th.readSeq = Math.max(th.readSeq, d.seq || 0);
        if (target.startsWith('topic:')) {
          const f2 = findTopic(th.id);
          if (f2 && (d.seq || 0) >= th.maxSeq()) topicMarkedRead(th.id, d.seq);
          else reloadMessenger();
        } else if (target.startsWith('conversation:')) {
          const c = state.conversations.get(th.id);
          if (c) upsertConversation({ ...c, read_seq: d.seq, unread: d.seq >= (c.last_seq || 0) ? 0 : c.unread });
        }
      } else {
        // Another member read up to seq.
        const th = thread(target);
        th.readers.set(d.user_id, Math.max(th.readers.get(d.user_id) || 0, d.seq || 0));
        bus.emit('readers:' + target);
      }
      return;
    }
    case 'topic.changed': {
      const found = findTopic(d.id);
      if (!found || !d.active) {
        reloadMessenger();
      } else {
        Object.assign(found.topic, { name: d.name, email_notify: d.email_notify, notify_interval_seconds: d.notify_interval_seconds });
        bus.emit('groups');
        bus.emit('topic:' + d.id);
      }
      return;
    }
    case 'topic.removed': {
      const id = d.id || Number(ch.split(':')[1]);
      for (const g of state.groups) {
        const i = g.topics.findIndex((x) => x.id === id);
        if (i >= 0) {
          g.topics.splice(i, 1);
          recountGroup(g);
        }
      }
      bus.emit('groups');
      channelGone('topic:' + id);
      return;
    }
    case 'group.changed':
      reloadMessenger();
      return;
    case 'group.removed': {
      const g = state.groups.find((x) => x.id === d.id);
      state.groups = state.groups.filter((x) => x.id !== d.id);
      bus.emit('groups');
      if (g) for (const tp of g.topics) channelGone('topic:' + tp.id);
      return;
    }
    case 'access.revoked':
      for (const c of d.channels || []) {
        if (c.startsWith('conversation:')) removeConversation(Number(c.split(':')[1]));
        else if (c.startsWith('note:')) channelGone(c); // lost the right to the internal notes
        else {
          channelGone(c);
          reloadMessenger();
        }
      }
      return;
    case 'conversation.changed': {
      const old = state.conversations.get(d.id);
      if (old) upsertConversation({ ...old, ...d });
      refreshConversation(d.id);
      if (ch.startsWith('conversation:')) bus.emit('thread:' + ch, f);
      return;
    }
    case 'notification':
      if (typeof d.unread === 'number') state.notifUnread = d.unread;
      if (state.notifications) {
        if (d.notification && !state.notifications.some((n) => n.id === d.notification.id)) state.notifications.unshift(d.notification);
        for (const id of d.read_ids || []) {
          const n = state.notifications.find((x) => x.id === id);
          if (n && !n.read_at) n.read_at = new Date().toISOString();
        }
        if (d.read_up_to) {
          for (const n of state.notifications) if (!n.read_at && n.id <= d.read_up_to) n.read_at = new Date().toISOString();
        }
      }
      bus.emit('notifications', d);
      return;
    case 'tenant.changed':
      bus.emit('tenant-changed', d);
      return;
    case 'session.revoked':
      socket.stop();
      bus.emit('session-revoked');
      return;
  }
}

socket.on('event', handleEvent);
socket.on('unsubscribed', (f) => {
  if (f.reason && f.reason !== 'client') {
    if (f.channel.startsWith('conversation:')) removeConversation(Number(f.channel.split(':')[1]));
    else channelGone(f.channel);
  }
});
socket.on('reload', (f) => {
  // Too far behind to replay: reload the thread from history.
  const th = state.threads.get(f.channel);
  if (th) {
    th.msgs.clear();
    th.evSeq.clear();
    th.loaded = false;
    bus.emit('reload:' + f.channel);
  }
  if (f.channel.startsWith('topic:')) reloadMessenger();
});

export { persisted };

// loadAllUsers fetches the user directory once (tenant admins see all,
// others as the company rule allows).
export async function directory(q = '') {
  const items = await getAll('/users' + query({ q, active: 'true' }), 400);
  for (const u of items) rememberUser(u.id, u.name);
  return items;
}
