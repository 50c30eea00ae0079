// Avatars: the picture a person uploaded, or else their initials on a
// colour that stays the same for them (picked from their id), so a face
// is easy to find in a busy thread.

import { h, replace } from './dom.js';
import { del, errorText, upload } from './api.js';
import { t } from './i18n.js';
import { avatarVersion, setAvatarVersion, state } from './store.js';

const COLOURS = 10; // .avatar.c0 … .c9 in app.css

// initials are the first letters of the first and last word of name.
export function initials(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = [...words[0]][0];
  const last = words.length > 1 ? [...words[words.length - 1]][0] : '';
  return (first + last).toUpperCase();
}

// avatarURL is where a person's avatar picture of a version is; the
// version makes it cacheable.
export function avatarURL(id, version) {
  return '/api/v1/users/' + encodeURIComponent(id) + '/avatar?v=' + encodeURIComponent(version);
}

// avatar is decorative (the name is always beside it): hidden from
// screen readers. A picture that fails to load gives way to initials.
export function avatar(id, name) {
  const version = avatarVersion(Number(id));
  if (version) {
    const img = h('img', { class: 'avatar', src: avatarURL(id, version), alt: '', 'aria-hidden': 'true', data: { user: id } });
    img.addEventListener('error', () => img.replaceWith(initialsAvatar(id, name)), { once: true });
    return img;
  }
  return initialsAvatar(id, name);
}

function initialsAvatar(id, name) {
  return h('span', { class: ['avatar', 'c' + (Math.abs(Number(id) || 0) % COLOURS)], 'aria-hidden': 'true', data: { user: id } }, initials(name));
}

// Avatar pictures must be one of these (chat.SetAvatar checks the bytes)
// and at most this big (chat.MaxAvatarBytes).
const AVATAR_TYPES = 'image/png,image/jpeg,image/gif,image/webp,image/bmp';
const AVATAR_MAX_MIB = 10;

// avatarCard is the settings card where users choose or remove their own
// picture; msg shows what happened.
export function avatarCard(msg) {
  const me = state.me.user;
  const preview = h('span', { class: 'avatar-preview' });
  const input = h('input', { type: 'file', id: 'set-avatar', accept: AVATAR_TYPES });
  const bar = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': t('settings.avatar.uploading') });
  const remove = h('button', { type: 'button', id: 'set-avatar-remove' }, t('settings.avatar.remove'));
  const draw = () => {
    replace(preview, avatar(me.id, me.name));
    remove.hidden = !avatarVersion(me.id);
  };
  const done = (version, text) => {
    setAvatarVersion(me.id, version);
    draw();
    msg.textContent = text;
  };
  input.addEventListener('change', async () => {
    const f = input.files?.[0];
    if (!f) return;
    if (f.size > AVATAR_MAX_MIB << 20) {
      msg.textContent = t('settings.avatar.toobig', { mib: AVATAR_MAX_MIB });
      return;
    }
    bar.hidden = false;
    try {
      const up = upload(f, (loaded, total) => { bar.value = Math.round((loaded / total) * 100); }, { method: 'PUT', path: '/me/avatar' });
      done((await up.done).version, t('settings.avatar.saved'));
    } catch (err) {
      msg.textContent = avatarErrorText(err);
    } finally {
      bar.hidden = true;
      input.value = '';
    }
  });
  remove.addEventListener('click', async () => {
    try {
      await del('/me/avatar');
      done(0, t('settings.avatar.removed'));
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });
  draw();
  return h('div', { class: 'card' }, h('h2', null, t('settings.avatar')),
    h('div', { class: 'avatar-edit' }, preview,
      h('label', { for: 'set-avatar' }, t('settings.avatar.choose')), input, bar, remove),
    h('p', { class: 'help muted small' }, t('settings.avatar.help', { mib: AVATAR_MAX_MIB })));
}

// avatarErrorText says in the user's language why a picture was refused.
function avatarErrorText(e) {
  if (e.code === 'too_large') return t('settings.avatar.toobig', { mib: AVATAR_MAX_MIB });
  if (e.code === 'invalid') return t('settings.avatar.type');
  return errorText(e);
}
