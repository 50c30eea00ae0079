// Full-text search over the topics and conversations the user can read;
// each hit links to its message in the thread.

import { h, replace } from './dom.js';
import { get, query, errorText } from './api.js';
import { t, tn, fmtDateTime } from './i18n.js';

export function searchView(main, q) {
  const input = h('input', { type: 'search', id: 'search-page-q', value: q, 'aria-label': t('search.label') });
  const results = h('div', { id: 'search-results', 'aria-live': 'polite' });
  const form = h('form', { role: 'search', class: 'inline' }, input, h('button', { type: 'submit', class: 'primary' }, t('search.submit')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = '#/search?q=' + encodeURIComponent(input.value.trim());
  });
  replace(main, h('section', { class: 'page' }, h('h1', null, t('search.title')), form, results));
  if (q) {
    replace(results, h('p', { class: 'muted' }, t('search.searching')));
    get('/search' + query({ q, limit: 50 })).then((r) => {
      const items = r.items || [];
      replace(results, h('p', null, tn('search.count', items.length)),
        h('ul', { class: 'hits' }, items.map((x) => {
          const [kind, id] = String(x.channel).split(':');
          return h('li', null,
            h('a', { href: `#/${kind}/${id}?m=${x.message_id}`, class: 'hit' }, x.title || x.channel), ' · ',
            h('span', { class: 'muted small' }, x.author_name, ' · ', fmtDateTime(x.created_at)),
            h('p', { class: 'excerpt' }, x.excerpt));
        })));
    }).catch((e) => replace(results, h('p', { class: 'error' }, errorText(e))));
  }
  return null;
}
