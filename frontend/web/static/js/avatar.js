// Avatars: a person's initials on a colour that stays the same for them
// (picked from their id), so a face is easy to find in a busy thread.

import { h } from './dom.js';

const COLOURS = 10; // .avatar.c0 … .c9 in app.css

// initials are the first letters of the first and last word of name.
export function initials(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const first = [...words[0]][0];
  const last = words.length > 1 ? [...words[words.length - 1]][0] : '';
  return (first + last).toUpperCase();
}

// avatar is decorative (the name is always beside it): hidden from
// screen readers.
export function avatar(id, name) {
  return h('span', { class: ['avatar', 'c' + (Math.abs(Number(id) || 0) % COLOURS)], 'aria-hidden': 'true', data: { user: id } }, initials(name));
}
