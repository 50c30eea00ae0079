// The first-run welcome on the home view: the first steps that fit what
// the user may do (a tenant admin sets the tenant up, a messenger manager
// makes topics, a member finds their topics, a handler their queues, a
// customer starts a conversation). Dismissing it is remembered in this
// browser, per user: it is a hint, not a setting worth a server round.

import { h } from './dom.js';
import { t } from './i18n.js';
import { state, isAdmin, isHandler, messengerOn } from './store.js';

function dismissedKey() {
  return `parley.welcome.dismissed.${state.me.tenant.id}.${state.me.user.id}`;
}

export function welcomeDismissed() {
  return localStorage.getItem(dismissedKey()) === '1';
}

function step(id, title, text, href, label) {
  return h('li', { class: 'welcome-step', id: 'welcome-' + id },
    h('h3', null, title), h('p', null, text), h('a', { href, class: 'button' }, label));
}

// welcomeSteps are the steps for the user's roles, most specific first.
function welcomeSteps() {
  const steps = [];
  if (isAdmin()) {
    if (!messengerOn()) steps.push(step('messenger', t('welcome.admin.messenger'), t('welcome.admin.messenger.text'), '#/admin/settings', t('welcome.admin.messenger.go')));
    steps.push(step('groups', t('welcome.admin.groups'), t('welcome.admin.groups.text'), '#/admin/groups', t('welcome.admin.groups.go')));
    steps.push(step('categories', t('welcome.admin.categories'), t('welcome.admin.categories.text'), '#/admin/categories', t('welcome.admin.categories.go')));
  }
  const managed = state.groups.find((g) => g.can_manage);
  if (messengerOn() && managed) {
    steps.push(step('topics', t('welcome.manager.topics'), t('welcome.manager.topics.text', { group: managed.name }), '#/manage/' + managed.id, t('welcome.manager.topics.go')));
  }
  const topic = state.groups.flatMap((g) => g.topics)[0];
  if (messengerOn() && topic) {
    steps.push(step('member', t('welcome.member.topics'), t('welcome.member.topics.text'), '#/topic/' + topic.id, t('home.opentopic', { name: topic.name })));
  }
  if (isHandler()) {
    steps.push(step('queues', t('welcome.handler.queues'), t('welcome.handler.queues.text'), '#/queue/new', t('welcome.handler.queues.go')));
  } else if (!isAdmin()) {
    steps.push(step('start', t('welcome.customer.start'), t('welcome.customer.start.text'), '#/new', t('nav.newmessage')));
  }
  return steps;
}

// welcomeCard is the dismissible welcome, or null once dismissed.
export function welcomeCard(onDismiss) {
  if (welcomeDismissed()) return null;
  const close = h('button', { type: 'button', class: 'link welcome-dismiss', id: 'welcome-dismiss' }, t('welcome.dismiss'));
  const card = h('section', { class: 'welcome card', id: 'welcome', 'aria-labelledby': 'welcome-title' },
    h('h2', { id: 'welcome-title' }, t('welcome.title')),
    h('p', null, t('welcome.intro')),
    h('ol', { class: 'welcome-steps' }, welcomeSteps()),
    close);
  close.addEventListener('click', () => {
    localStorage.setItem(dismissedKey(), '1');
    card.remove();
    onDismiss?.();
  });
  return card;
}
