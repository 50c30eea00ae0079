// Files in threads and composers: image thumbnails with a viewer, cards
// for other files (type and size), and uploads by picker, paste or drop
// with progress and clear refusals. The server makes the thumbnails and
// is the judge of every upload; the limits it publishes
// (GET /api/v1/attachments/limits) only let the UI refuse a file before
// sending it.

import { h } from './dom.js';
import { get, upload, attachmentURL, errorText } from './api.js';
import { t, lang } from './i18n.js';

// thumbnailURL is where an image attachment's thumbnail is served.
export function thumbnailURL(id) {
  return attachmentURL(id) + '/thumbnail';
}

let limits = null;
// uploadLimits loads the server's upload bounds once; a failure leaves
// the checks to the server.
export function uploadLimits() {
  if (!limits) limits = get('/attachments/limits').catch(() => { limits = null; return null; });
  return limits;
}

const UNITS = ['size.b', 'size.kb', 'size.mb', 'size.gb'];
// fileSize renders a byte count in the current language (1.5 MB, 1,5 Mt).
export function fileSize(n) {
  let v = Number(n) || 0;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 10 ? 0 : 1;
  const num = new Intl.NumberFormat(lang() === 'fi' ? 'fi-FI' : 'en-GB', { maximumFractionDigits: digits }).format(v);
  return num + '\u00a0' + t(UNITS[u]);
}

// fileKind names a file's type for its card and icon, from the type the
// server detected.
export function fileKind(a) {
  const ct = String(a.content_type || '');
  if (ct.startsWith('image/')) return 'image';
  if (ct === 'application/pdf') return 'pdf';
  if (ct.startsWith('text/csv') || /spreadsheet|ms-excel/.test(ct)) return 'sheet';
  if (/presentation|powerpoint/.test(ct)) return 'slides';
  if (/wordprocessing|msword|opendocument\.text/.test(ct)) return 'doc';
  if (ct === 'application/zip') return 'zip';
  if (ct.startsWith('text/')) return 'text';
  return 'file';
}

// attachmentList renders a message's attachments: images with a
// thumbnail as buttons that open the viewer, everything else as a card
// that downloads.
export function attachmentList(atts) {
  const images = atts.filter((a) => a.image);
  return h('ul', { class: 'attachments' }, atts.map((a) => {
    if (a.image) return imageItem(a, images);
    return a.thumbnail_pending ? pendingImage(a) : fileCard(a);
  }));
}

// pendingImage is an image uploaded before thumbnails: a card at first,
// while the server makes its thumbnail on this first request; the card
// becomes the thumbnail when it loads (and stays a card when none can be
// made). Its full size is known from the next load of the thread.
function pendingImage(a) {
  const card = fileCard(a);
  const probe = new Image();
  probe.onload = () => {
    if (!card.isConnected) return;
    const shown = { ...a, image: { width: probe.naturalWidth, height: probe.naturalHeight, sizeUnknown: true }, thumbnail_pending: false };
    card.replaceWith(imageItem(shown, [shown]));
  };
  probe.src = thumbnailURL(a.id);
  return card;
}

function imageItem(a, images) {
  const { width, height } = a.image;
  const img = h('img', { src: thumbnailURL(a.id), alt: a.filename, width, height, loading: 'lazy', decoding: 'async' });
  const btn = h('button', { type: 'button', class: 'thumb', 'aria-label': t('file.open', { name: a.filename }), 'aria-haspopup': 'dialog' }, img);
  btn.addEventListener('click', () => openViewer(a, images, btn));
  return h('li', { class: 'image-att', data: { id: a.id } }, btn);
}

function fileCard(a) {
  const kind = fileKind(a);
  return h('li', { class: 'file-card', data: { id: a.id, kind } },
    h('a', { href: attachmentURL(a.id), download: a.filename, class: 'attachment', rel: 'noopener' },
      h('span', { class: 'file-icon kind-' + kind, 'aria-hidden': 'true' }, t('file.kind.' + kind + '.short')),
      h('span', { class: 'file-text' },
        h('span', { class: 'filename' }, a.filename),
        h('span', { class: 'muted small file-meta' }, t('file.kind.' + kind), ' · ', fileSize(a.size || 0)))));
}

// openViewer shows an image large in a modal dialog: Escape, the close
// button or a click beside the picture closes it and focus returns to
// the thumbnail; arrow keys move between the message's images.
export function openViewer(a, images = [a], opener = null) {
  let i = Math.max(0, images.findIndex((x) => x.id === a.id));
  const img = h('img', { class: 'viewer-img', alt: '' });
  const caption = h('p', { class: 'viewer-caption', id: 'viewer-caption' });
  const download = h('a', { class: 'button', rel: 'noopener' }, t('file.download'));
  const close = h('button', { type: 'button', class: 'viewer-close', 'aria-label': t('file.close') }, '×');
  const prev = h('button', { type: 'button', class: 'viewer-nav', 'aria-label': t('file.prev') }, '‹');
  const next = h('button', { type: 'button', class: 'viewer-nav', 'aria-label': t('file.next') }, '›');
  const dlg = h('dialog', { class: 'viewer', id: 'image-viewer', 'aria-labelledby': 'viewer-caption' },
    close, h('figure', null, img, h('figcaption', null, caption, download)),
    images.length > 1 ? h('div', { class: 'viewer-navs' }, prev, next) : null);
  function show() {
    const cur = images[i];
    // The thumbnail first (cached, instant), then the file itself.
    img.src = thumbnailURL(cur.id);
    const full = new Image();
    full.onload = () => { if (images[i] === cur) img.src = full.src; };
    full.src = attachmentURL(cur.id);
    img.alt = cur.filename;
    const dims = cur.image.sizeUnknown ? '' : cur.image.width + '×' + cur.image.height + ' · ';
    caption.textContent = cur.filename + ' · ' + dims + fileSize(cur.size || 0);
    download.href = attachmentURL(cur.id);
    download.setAttribute('download', cur.filename);
  }
  const step = (d) => { i = (i + d + images.length) % images.length; show(); };
  prev.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  close.addEventListener('click', () => dlg.close());
  dlg.addEventListener('click', (e) => { if (e.target === dlg) dlg.close(); });
  dlg.addEventListener('keydown', (e) => {
    if (images.length > 1 && e.key === 'ArrowLeft') step(-1);
    if (images.length > 1 && e.key === 'ArrowRight') step(1);
  });
  dlg.addEventListener('close', () => {
    dlg.remove();
    opener?.focus();
  });
  show();
  document.body.appendChild(dlg);
  dlg.showModal(); // modal: Escape closes it, focus stays inside
  close.focus();
  return dlg;
}

// checkFile is why the server would refuse f, from its published limits,
// or '' when it may be sent.
export function checkFile(f, lim) {
  if (!lim) return '';
  if (f.size === 0) return t('upload.empty', { name: f.name });
  if (f.size > lim.max_bytes) return t('upload.toobig', { name: f.name, size: fileSize(f.size), max: fileSize(lim.max_bytes) });
  const dot = f.name.lastIndexOf('.');
  const ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : '';
  if (ext && lim.extensions && !lim.extensions.includes(ext)) return t('upload.type', { name: f.name });
  return '';
}

// uploadItem starts uploading f and returns its entry for a composer's
// list: {el, done, id, error, abort}. done always resolves; id is set on
// success, error holds the reason otherwise (shown in the entry).
export function uploadItem(f, onRemove) {
  const u = { file: f, id: null, error: '', abort: () => {} };
  const bar = h('progress', { max: 100, value: 0, 'aria-label': t('upload.progress', { name: f.name }) });
  const status = h('span', { class: 'muted small upload-status', 'aria-live': 'polite' });
  const remove = h('button', { type: 'button', class: 'link', 'aria-label': t('upload.remove', { name: f.name }) }, '×');
  u.el = h('li', { class: 'upload' }, h('span', { class: 'filename' }, f.name), ' ', h('span', { class: 'muted small' }, fileSize(f.size)), bar, status, remove);
  const fail = (msg) => {
    u.error = msg;
    bar.remove();
    status.textContent = msg;
    status.className = 'upload-status error';
    status.setAttribute('role', 'alert');
    u.el.classList.add('failed');
  };
  u.done = uploadLimits().then((lim) => {
    const refused = checkFile(f, lim);
    if (refused) return fail(refused);
    const up = upload(f, (loaded, total) => { bar.value = Math.round((loaded / total) * 100); });
    u.abort = up.abort;
    return up.done.then((a) => {
      u.id = a.id;
      u.attachment = a;
      // The uploader may see the thumbnail before posting: a preview.
      if (a.image) u.el.prepend(h('img', { class: 'upload-thumb', src: thumbnailURL(a.id), alt: '' }));
      bar.value = 100;
      status.textContent = t('upload.done');
      u.el.classList.add('done');
    }).catch((e) => {
      if (e.code !== 'aborted') fail(uploadErrorText(e, f, lim));
    });
  });
  remove.addEventListener('click', () => {
    u.abort();
    u.el.remove();
    onRemove?.(u);
  });
  return u;
}

// uploadErrorText says why the server refused f, naming the file; the
// size refusals in the user's language.
function uploadErrorText(e, f, lim) {
  if (e.code === 'too_large' && lim && f.type.startsWith('image/') && f.size <= lim.max_bytes) {
    return t('upload.image.toobig', { name: f.name, mp: Math.floor(lim.max_image_pixels / 1e6), side: lim.max_image_side });
  }
  if (e.code === 'too_large') return t('upload.refused.big', { name: f.name, reason: e.message || '' });
  if (e.code === 'invalid') return t('upload.refused', { name: f.name, reason: e.message || '' });
  return t('upload.failed', { name: f.name, reason: errorText(e) });
}

// filesOf are the files a paste or drop carries (none for plain text).
export function filesOf(dt) {
  if (!dt) return [];
  const out = [...(dt.files || [])];
  if (!out.length && dt.items) {
    for (const it of dt.items) if (it.kind === 'file') { const f = it.getAsFile(); if (f) out.push(f); }
  }
  return out;
}

// acceptFiles makes zone take files dropped on it and files pasted into
// input (a pasted screenshot, copied files), handing them to add. While
// files are dragged over it the zone is highlighted and says so.
export function acceptFiles(zone, input, add) {
  const hint = h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, t('upload.drop'));
  zone.classList.add('drop-zone');
  zone.appendChild(hint);
  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  const reset = () => { depth = 0; zone.classList.remove('dragging'); };
  zone.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => { if (--depth <= 0) reset(); });
  zone.addEventListener('drop', (e) => {
    const files = filesOf(e.dataTransfer);
    reset();
    if (!files.length) return;
    e.preventDefault();
    for (const f of files) add(f);
  });
  input.addEventListener('paste', (e) => {
    const files = filesOf(e.clipboardData);
    if (!files.length) return; // text pastes as text
    e.preventDefault();
    for (const f of files) add(f);
  });
}
