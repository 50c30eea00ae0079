// The JSON API client. Errors carry the server's code and message
// ({"error": {"code", "message"}}); a 401 on any call tells the app the
// session is gone.

import { Emitter } from './dom.js';
import { t } from './i18n.js';

export const apiEvents = new Emitter();

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || 'HTTP ' + status);
    this.status = status;
    this.code = code || '';
  }
}

async function errorOf(res) {
  let code = '';
  let message = '';
  try {
    const body = await res.json();
    code = body?.error?.code || '';
    message = body?.error?.message || '';
  } catch {
    // not JSON: keep the status
  }
  return new ApiError(res.status, code, message);
}

// api calls the JSON API. body, when given, is sent as JSON. Answers 204
// as null.
export async function api(method, path, body) {
  const opts = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1' + path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && path !== '/session') apiEvents.emit('unauthenticated', err);
    throw err;
  }
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const patch = (p, b) => api('PATCH', p, b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);

// getAll follows "next" cursors of a list endpoint (bounded, for small
// admin lists).
export async function getAll(path, max = 2000) {
  const items = [];
  let after = '';
  const sep = path.includes('?') ? '&' : '?';
  for (;;) {
    const page = await get(path + sep + 'limit=200' + (after ? '&after=' + encodeURIComponent(after) : ''));
    items.push(...(page.items || []));
    if (!page.next || items.length >= max) return items;
    after = page.next;
  }
}

// query builds a query string from an object, skipping empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// upload sends one file to the attachments endpoint (or another upload
// endpoint: the avatar's) with progress (fetch cannot report upload
// progress; XMLHttpRequest can). It resolves to the answer, the stored
// attachment; abort() on the returned handle cancels.
export function upload(file, onProgress, target = { method: 'POST', path: '/attachments' }) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open(target.method, '/api/v1' + target.path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded, e.total);
    };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        if (xhr.status === 401) apiEvents.emit('unauthenticated');
        reject(new ApiError(xhr.status, body?.error?.code, body?.error?.message));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

export function attachmentURL(id) {
  return '/api/v1/attachments/' + encodeURIComponent(id);
}

// errorText is the message to show for a failed call.
export function errorText(e) {
  if (!e) return t('error.generic');
  if (e.code === 'network' || e.code === 'offline' || e.code === 'timeout') return t('error.network');
  if (e.code === 'forbidden') return t('error.forbidden') + (e.message ? ' (' + e.message + ')' : '');
  if (e.code === 'not_found') return t('error.notfound');
  if (e.code === 'rate_limited') return t('error.ratelimited');
  return e.message || t('error.generic');
}
