// Drafts: what a user is writing is saved server-side while they type
// (/api/v1/drafts), so it survives a reload and resumes on another device.
// A copy in localStorage covers the moments the server cannot be reached.
// Keys: a thread's channel ("topic:3"), or "new" for a new conversation.

import { get, post, put, del } from './api.js';
import { state } from './store.js';

let listing = null; // promise of the server's drafts, kept current below
const ids = new Map(); // key -> server draft id
const chains = new Map(); // key -> promise of the last save, to keep saves in order

function localKey(key) {
  return 'parley.draft.' + (state.me?.user?.id || 0) + '.' + key;
}

function readLocal(key) {
  try {
    return JSON.parse(localStorage.getItem(localKey(key)) || 'null');
  } catch {
    return null;
  }
}

function keyOf(d) {
  return d.channel ? String(d.channel) : 'new:' + d.id;
}

// serverDrafts lists the caller's drafts once per page load.
export function serverDrafts(refresh) {
  if (!listing || refresh) {
    listing = get('/drafts').then((r) => {
      const items = r?.items || [];
      for (const d of items) if (d.channel) ids.set(String(d.channel), d.id);
      return items;
    }).catch(() => []);
  }
  return listing;
}

export function resetDrafts() {
  listing = null;
  ids.clear();
}

// loadDraft returns {id, subject, body, data} for key, the newer of the
// server's and the local copy.
export async function loadDraft(key) {
  const local = readLocal(key);
  const items = await serverDrafts();
  const server = key.startsWith('new:')
    ? items.find((d) => d.id === Number(key.slice(4)))
    : items.find((d) => String(d.channel) === key);
  if (server && (!local || new Date(server.updated_at) >= new Date(local.updated_at || 0))) return server;
  return local;
}

// saveDraft stores the draft; it resolves to "server" or "local".
export function saveDraft(key, draft) {
  const now = new Date().toISOString();
  try {
    localStorage.setItem(localKey(key), JSON.stringify({ ...draft, updated_at: now }));
  } catch {
    // storage full or disabled: the server copy still counts
  }
  const prev = chains.get(key) || Promise.resolve();
  const next = prev.then(async () => {
    const channel = key.startsWith('new') ? undefined : key;
    const id = ids.get(key) || draft.id || 0;
    const body = { subject: draft.subject || '', body: draft.body || '', data: draft.data || '' };
    if (channel) body.channel = channel;
    try {
      const saved = id ? await put('/drafts/' + id, body) : await post('/drafts', body);
      if (saved?.id) {
        ids.set(key, saved.id);
        const items = await serverDrafts();
        const i = items.findIndex((d) => d.id === saved.id);
        if (i >= 0) items[i] = saved;
        else items.push(saved);
      }
      return 'server';
    } catch (e) {
      if (e.status === 404 && id) ids.delete(key); // discarded elsewhere: create anew next time
      return 'local';
    }
  });
  chains.set(key, next);
  return next;
}

// draftIdFor is the server id of key's draft, if any.
export function draftIdFor(key) {
  return ids.get(key) || 0;
}

export function discardDraft(key, id) {
  localStorage.removeItem(localKey(key));
  const prev = chains.get(key) || Promise.resolve();
  const next = prev.then(async () => {
    const sid = id || ids.get(key);
    ids.delete(key);
    const items = await serverDrafts();
    for (let i = items.length - 1; i >= 0; i--) {
      if (items[i].id === sid || (!key.startsWith('new') && String(items[i].channel) === key)) items.splice(i, 1);
    }
    if (!sid) return;
    try {
      await del('/drafts/' + sid);
    } catch {
      // already gone
    }
  });
  chains.set(key, next);
  return next;
}

export { keyOf };
