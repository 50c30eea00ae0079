// Parley's service worker (served at /sw.js, scope /): it shows the Web
// Pushes the server sends while no tab of the user is open, and opens the
// thread when one is clicked. The payload is {title, body, link, tag}
// (chat.PushPayload); it carries no message text unless the tenant allows
// excerpts. The page also shows its own desktop notifications through
// this worker's registration (js/alerts.js).

const ICON = '/assets/__VERSION__/app-192.png';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let d = {};
  try {
    d = event.data ? event.data.json() : {};
  } catch {
    d = {};
  }
  // Browsers require a notification for every push (userVisibleOnly).
  event.waitUntil(self.registration.showNotification(String(d.title || 'Parley'), {
    body: String(d.body || ''),
    tag: d.tag ? String(d.tag) : undefined,
    icon: ICON,
    data: { link: sameOriginLink(d.link) },
  }));
});

// sameOriginLink keeps a click inside the app: anything else opens /.
function sameOriginLink(link) {
  try {
    const u = new URL(String(link || '/'), self.location.origin);
    return u.origin === self.location.origin ? u.pathname + u.search + u.hash : '/';
  } catch {
    return '/';
  }
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const link = sameOriginLink(event.notification.data?.link);
  event.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const win = wins.find((c) => c.focused) || wins[0];
    if (win) {
      // The page routes by its hash; it moves there itself.
      win.postMessage({ type: 'parley.open', link });
      if ('focus' in win) await win.focus();
      return;
    }
    await self.clients.openWindow(link);
  })());
});

// The push service replaced the subscription (keys rotated, expired):
// subscribe again with the same key and tell the server, which drops the
// old endpoint when it answers 410.
self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil((async () => {
    const key = event.oldSubscription?.options?.applicationServerKey;
    if (!key) return;
    const sub = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await fetch('/api/v1/push/subscriptions', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(sub.toJSON()),
    });
  })());
});
