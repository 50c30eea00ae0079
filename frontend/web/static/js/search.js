// Full-text search over the topics and conversations the user can read,
// with filters (where, who, when); matches are highlighted in the
// excerpts (as text nodes and <mark> elements: no HTML is parsed), and
// each hit opens its thread at the message with the messages around it.

import { h, replace } from './dom.js';
import { get, query, errorText } from './api.js';
import { t, tn, fmtDateTime } from './i18n.js';
import { state, directory } from './store.js';

// highlight splits text into plain runs and <mark> runs of the words
// (case-insensitive, whole or prefix), for a hit's excerpt.
export function highlight(text, words) {
  const ws = words.map((w) => w.toLowerCase()).filter(Boolean);
  if (!ws.length) return [text];
  const out = [];
  const lower = text.toLowerCase();
  let i = 0;
  let plain = 0;
  while (i < text.length) {
    const w = ws.find((x) => lower.startsWith(x, i) && (i === 0 || !/[\p{L}\p{N}]/u.test(text[i - 1])));
    if (!w) {
      i++;
      continue;
    }
    if (i > plain) out.push(text.slice(plain, i));
    out.push(h('mark', { class: 'hit' }, text.slice(i, i + w.length)));
    i += w.length;
    plain = i;
  }
  if (plain < text.length) out.push(text.slice(plain));
  return out;
}

function words(q) {
  return q.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, 16);
}

// dayStart is local midnight of a yyyy-mm-dd date, as RFC 3339; next
// gives the following midnight (an inclusive "to" date).
function dayStart(d, next) {
  if (!d) return '';
  const [y, m, day] = d.split('-').map(Number);
  return new Date(y, m - 1, day + (next ? 1 : 0)).toISOString();
}

function whereSelect(value) {
  const opts = [['', t('search.anywhere')], ['topic', t('search.topics')], ['conversation', t('search.conversations')]];
  for (const g of state.groups) for (const tp of g.topics) opts.push(['topic:' + tp.id, '# ' + tp.name]);
  for (const c of state.conversations.values()) opts.push(['conversation:' + c.id, c.subject]);
  return h('select', { id: 'search-where', name: 'where' }, opts.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

function filtersForm(p) {
  const input = h('input', { type: 'search', id: 'search-page-q', name: 'q', value: p.get('q') || '', 'aria-label': t('search.label') });
  const where = whereSelect(p.get('where') || '');
  const who = h('select', { id: 'search-author', name: 'author' }, h('option', { value: '' }, t('search.anyone')));
  directory().then((users) => {
    for (const u of users) who.appendChild(h('option', { value: u.id, selected: String(u.id) === p.get('author') }, u.name));
  }).catch(() => {});
  const from = h('input', { type: 'date', id: 'search-from', name: 'from', value: p.get('from') || '' });
  const to = h('input', { type: 'date', id: 'search-to', name: 'to', value: p.get('to') || '' });
  const label = (text, el) => h('label', { class: 'filter' }, text, ' ', el);
  const form = h('form', { role: 'search', class: 'search-filters' }, input,
    label(t('search.where'), where), label(t('search.who'), who), label(t('search.from'), from), label(t('search.to'), to),
    h('button', { type: 'submit', class: 'primary', id: 'search-submit' }, t('search.submit')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, el] of [['q', input], ['where', where], ['author', who], ['from', from], ['to', to]]) if (el.value.trim()) next.set(k, el.value.trim());
    location.hash = '#/search?' + next.toString();
  });
  return form;
}

function hitItem(x, ws) {
  const [kind, id] = String(x.channel).split(':');
  // An internal note opens in its conversation's timeline.
  const note = kind === 'note';
  return h('li', { class: 'hit-item' },
    note ? [h('span', { class: 'badge internal' }, t('notes.label')), ' '] : null,
    h('a', { href: `#/${note ? 'conversation' : kind}/${id}?m=${x.message_id}`, class: 'hit', data: { message: x.message_id } }, x.title || x.channel), ' · ',
    h('span', { class: 'muted small' }, x.author_name, ' · ', fmtDateTime(x.created_at)),
    h('p', { class: 'excerpt' }, highlight(x.excerpt || '', ws)));
}

// searchView shows the form and, when the route has a query, its hits.
export function searchView(main, params) {
  const p = params instanceof URLSearchParams ? params : new URLSearchParams({ q: params || '' });
  const q = p.get('q') || '';
  const results = h('div', { id: 'search-results', 'aria-live': 'polite' });
  replace(main, h('section', { class: 'page' }, h('h1', null, t('search.title')), filtersForm(p), results));
  if (!q) return null;
  replace(results, h('p', { class: 'muted' }, t('search.searching')));
  const args = { q, limit: 50, where: p.get('where') || '', author: p.get('author') || '', after: dayStart(p.get('from')), before: dayStart(p.get('to'), true) };
  get('/search' + query(args)).then((r) => {
    const items = r.items || [];
    const ws = words(q);
    replace(results, h('p', null, tn('search.count', items.length)), h('ul', { class: 'hits' }, items.map((x) => hitItem(x, ws))));
  }).catch((e) => replace(results, h('p', { class: 'error' }, errorText(e))));
  return null;
}
