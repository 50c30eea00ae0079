// Emoji reactions on a message: the chips under it (emoji, count, who
// reacted; pressing one toggles your own) and the picker of the allowed
// set. Changes go over the socket (react frame); the message.reacted
// event that follows re-renders the message on every device.

import { h, replace } from './dom.js';
import { t } from './i18n.js';
import { errorText } from './api.js';
import { socket, myId, userName } from './store.js';

// EMOJI is chat.ReactionEmoji, in the same order (frontend's
// TestReactionEmojiMatchServer holds them together).
export const EMOJI = ['👍', '❤️', '😄', '🎉', '😮', '😢', '🙏', '👀', '✅', '👎'];

function mine(m, emoji) {
  return !!(m.reactions || []).find((r) => r.emoji === emoji)?.users.some((u) => u.id === myId());
}

async function toggle(m, emoji, onError) {
  try {
    await socket.request({ type: 'react', message_id: m.id, emoji, remove: mine(m, emoji) });
  } catch (e) {
    onError(errorText(e));
  }
}

// reactionKey is what of m's reactions a rendered message depends on.
export function reactionKey(m) {
  return (m.reactions || []).map((r) => [r.emoji, r.users.map((u) => u.id)]);
}

// reactionBar is the chips of m's reactions, or null when it has none.
export function reactionBar(m, onError) {
  const rs = m.reactions || [];
  if (!rs.length) return null;
  return h('div', { class: 'reactions', role: 'group', 'aria-label': t('react.group') }, rs.map((r) => {
    const me = r.users.some((u) => u.id === myId());
    const names = r.users.map((u) => u.name || userName(u.id)).join(', ');
    return h('button', {
      type: 'button', class: ['reaction', me && 'mine'], 'aria-pressed': me ? 'true' : 'false',
      title: t('react.who', { names, emoji: r.emoji }), 'aria-label': t('react.label', { emoji: r.emoji, n: r.count, names }),
      data: { emoji: r.emoji, action: 'reaction' }, onclick: () => toggle(m, r.emoji, onError),
    }, h('span', { class: 'emoji', 'aria-hidden': 'true' }, r.emoji), h('span', { class: 'count', 'aria-hidden': 'true' }, String(r.count)));
  }));
}

// reactButton opens the picker; Escape or a pick closes it.
export function reactButton(m, onError) {
  const wrap = h('span', { class: 'react-wrap' });
  const btn = h('button', { type: 'button', class: 'link', data: { action: 'react' }, 'aria-haspopup': 'true', 'aria-expanded': 'false' }, t('msg.react'));
  const close = () => {
    replace(wrap, btn);
    btn.setAttribute('aria-expanded', 'false');
  };
  btn.addEventListener('click', () => {
    if (wrap.querySelector('.react-picker')) return close();
    const picker = h('div', { class: 'react-picker', role: 'group', 'aria-label': t('react.pick') }, EMOJI.map((e) => h('button', {
      type: 'button', class: ['pick', mine(m, e) && 'mine'], data: { emoji: e }, 'aria-pressed': mine(m, e) ? 'true' : 'false',
      'aria-label': t('react.toggle', { emoji: e }), title: t('react.toggle', { emoji: e }),
      onclick: () => { close(); btn.focus(); toggle(m, e, onError); },
    }, e)));
    picker.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.stopPropagation();
        close();
        btn.focus();
      }
    });
    wrap.appendChild(picker);
    btn.setAttribute('aria-expanded', 'true');
    picker.querySelector('button')?.focus();
  });
  wrap.appendChild(btn);
  return wrap;
}
