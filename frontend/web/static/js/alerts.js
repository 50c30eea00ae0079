// Telling the user while Parley is not in front of them:
//   - the unread count in the tab title and a badge on the favicon;
//   - a desktop notification (Notification API) while the tab is hidden,
//     for what the user's settings send to the browser (mentions, topic
//     messages, their conversations);
//   - Web Push through the service worker (/sw.js) while no tab is open:
//     this device's subscription is made, kept and dropped here.
// docs/ui.md ("Notifications") and docs/notifications.md.

import { api, get, post } from './api.js';
import { t } from './i18n.js';
import { bus, socket, state, myId, findTopic } from './store.js';

const ICON_BADGE = '#d93025';

let registration = null; // the service worker's, when the browser has them
let prefs = null; // {email_notifications, channels} of the logged-in user
let push = null; // {enabled, public_key, devices} from the server

// ---- title and favicon ----

// unreadTotal is what the title counts: unread in-app notifications
// (mentions, conversations) and unread topic messages.
export function unreadTotal() {
  let n = state.notifUnread || 0;
  for (const g of state.groups || []) n += g.unread || 0;
  return n;
}

let baseIcon = '';
let iconDraw = 0;

function renderCount() {
  const n = state.me ? unreadTotal() : 0;
  document.title = n > 0 ? `(${n > 99 ? '99+' : n}) ${t('app.name')}` : t('app.name');
  renderFavicon(n);
}

// renderFavicon draws the app icon with a red badge holding the count (a
// data: URL, which the CSP's img-src allows), or restores the plain icon.
function renderFavicon(n) {
  const link = document.getElementById('favicon');
  if (!link) return;
  if (!baseIcon) baseIcon = link.getAttribute('href');
  const draw = ++iconDraw;
  if (n <= 0) {
    link.type = 'image/svg+xml';
    link.href = baseIcon;
    delete link.dataset.badge;
    return;
  }
  const img = new Image();
  img.onload = () => {
    if (draw !== iconDraw) return; // a newer count is being drawn
    const c = document.createElement('canvas');
    c.width = c.height = 64;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0, 64, 64);
    g.fillStyle = ICON_BADGE;
    g.beginPath();
    g.arc(44, 20, 20, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = '#fff';
    g.font = 'bold 26px sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(n > 9 ? '9+' : String(n), 44, 21);
    link.type = 'image/png';
    link.href = c.toDataURL('image/png');
    link.dataset.badge = String(n);
  };
  img.src = baseIcon;
}

// ---- desktop notifications while the tab is hidden ----

function tabHidden() {
  return document.visibilityState !== 'visible';
}

// kindOf maps a notification reason to the settings' kinds.
export function kindOf(reason) {
  if (reason === 'mention') return 'mention';
  if (reason === 'topic_message') return 'topic';
  return 'conversation';
}

function wantsBrowser(kind) {
  const c = prefs?.channels?.[kind];
  return c ? !!c.push : true;
}

export function permission() {
  return 'Notification' in window ? Notification.permission : 'unsupported';
}

// showDesktop shows one notification, through the service worker when
// there is one (the only way on Android, and the same path as a push).
async function showDesktop(title, opts) {
  if (permission() !== 'granted') return;
  const o = { icon: iconURL(), ...opts };
  try {
    if (registration) await registration.showNotification(title, o);
    else new Notification(title, o); // eslint-disable-line no-new
  } catch (e) {
    console.warn('notification', e);
  }
}

function iconURL() {
  return (baseIcon || '/favicon.ico').replace(/icon\.svg$/, 'app-192.png');
}

function linkOf(channel) {
  const [kind, id] = String(channel || '').split(':');
  return kind && id ? `/#/${kind}/${id}` : '/';
}

// An in-app notification (mention, conversation event) arrived live.
function onNotification(d) {
  renderCount();
  const n = d?.notification;
  if (!n || !tabHidden() || !wantsBrowser(kindOf(n.kind))) return;
  showDesktop(t('notif.kind.' + n.kind), { body: n.title || '', tag: n.channel, data: { link: linkOf(n.channel) } });
}

const topicAlertAt = new Map(); // topic id -> when this tab last told about it
const muteCache = new Map(); // channel -> {muted, at}

async function mutedChannel(ch) {
  const c = muteCache.get(ch);
  if (c && Date.now() - c.at < 60000) return c.muted;
  try {
    const r = await get('/notifications/mutes/' + encodeURIComponent(ch));
    muteCache.set(ch, { muted: !!r.muted, at: Date.now() });
    return !!r.muted;
  } catch {
    return false;
  }
}

// A topic message arrived live. The tab tells about it as the server
// would: the topic sends notifications, not muted, not the user's own,
// at most once per the topic's interval; a mention is told by its in-app
// notification instead. Replays after a reconnect (old messages) are not.
async function onTopicMessage(f) {
  const d = f.data || {};
  const me = myId();
  if (d.author_id === me || !tabHidden() || !wantsBrowser('topic') || (d.mentions || []).includes(me)) return;
  if (Date.now() - Date.parse(d.created_at || 0) > 120000) return;
  const found = findTopic(Number(String(f.channel).split(':')[1]));
  if (!found || !found.topic.email_notify) return;
  const last = topicAlertAt.get(found.topic.id);
  if (last && Date.now() - last < (found.topic.notify_interval_seconds || 0) * 1000) return;
  if (await mutedChannel(f.channel)) return;
  topicAlertAt.set(found.topic.id, Date.now());
  // The message text only where the tenant lets emails carry it.
  const body = state.me?.tenant?.settings?.email_excerpts ? `${d.author_name || ''}: ${String(d.body || '').slice(0, 140)}` : d.author_name || '';
  showDesktop(t('alerts.topic', { topic: found.topic.name }), { body, tag: f.channel, data: { link: linkOf(f.channel) } });
}

socket.on('event', (f) => {
  if (f.event === 'message.new' && String(f.channel).startsWith('topic:')) onTopicMessage(f).catch((e) => console.warn(e));
});
bus.on('notifications', onNotification);
bus.on('groups', renderCount);
document.addEventListener('visibilitychange', renderCount);

// ---- the service worker and Web Push ----

async function registerWorker() {
  if (!('serviceWorker' in navigator)) return null;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    registration = await navigator.serviceWorker.ready;
  } catch (e) {
    console.warn('service worker', e);
    registration = null;
  }
  return registration;
}

if ('serviceWorker' in navigator) {
  // A click on a notification of this app: go to its thread.
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data?.type === 'parley.open' && typeof e.data.link === 'string') {
      const hash = e.data.link.replace(/^[^#]*/, '');
      if (hash && location.hash !== hash) location.hash = hash;
    }
  });
}

function keyBytes(b64) {
  const s = b64.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

// currentSubscription is this browser's push subscription, if any.
export async function currentSubscription() {
  if (!registration?.pushManager) return null;
  try {
    return await registration.pushManager.getSubscription();
  } catch {
    return null;
  }
}

export async function pushInfo() {
  try {
    push = await get('/push');
  } catch {
    push = { enabled: false, devices: 0 };
  }
  return push;
}

// enableAlerts asks for permission and, where the server sends pushes,
// subscribes this browser. It answers the permission.
export async function enableAlerts() {
  if (!('Notification' in window)) return 'unsupported';
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') return perm;
  if (!registration) await registerWorker();
  const info = push || (await pushInfo());
  if (info.enabled && registration?.pushManager) {
    let sub = await currentSubscription();
    if (!sub) sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(info.public_key) });
    await post('/push/subscriptions', sub.toJSON());
  }
  return perm;
}

// disableAlerts drops this browser's subscription here and on the server.
export async function disableAlerts() {
  const sub = await currentSubscription();
  if (!sub) return;
  try {
    await api('DELETE', '/push/subscriptions', { endpoint: sub.endpoint });
  } catch {
    // gone already
  }
  await sub.unsubscribe().catch(() => {});
}

// forgetDevice runs before a logout: this browser must not receive the
// leaving user's pushes (a shared computer).
export async function forgetDevice() {
  await disableAlerts().catch((e) => console.warn('push', e));
}

// ---- settings ----

export async function loadAlertPrefs() {
  try {
    prefs = await get('/notifications/preferences');
  } catch {
    prefs = null;
  }
  return prefs;
}

export function alertPrefsSaved(p) {
  prefs = p;
}

// startAlerts runs when a session starts.
export function startAlerts() {
  registerWorker();
  loadAlertPrefs();
  renderCount();
}

// stopAlerts runs when a session ends.
export function stopAlerts() {
  prefs = null;
  push = null;
  topicAlertAt.clear();
  muteCache.clear();
  renderCount();
}
