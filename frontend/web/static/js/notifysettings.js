// The settings' notification parts: which channels (email, browser) each
// kind of notification uses, and this device's browser notifications.

import { h, replace } from './dom.js';
import { errorText } from './api.js';
import { t, tn } from './i18n.js';
import { enableAlerts, disableAlerts, currentSubscription, pushInfo, permission, alertPrefsSaved } from './alerts.js';

const KINDS = ['mention', 'topic', 'conversation'];

// channelsEditor is a table of kinds by channels; value() reads it back
// as the API's "channels".
export function channelsEditor() {
  const boxes = {};
  const rows = KINDS.map((k) => {
    boxes[k] = {
      email: h('input', { type: 'checkbox', id: `set-ch-${k}-email`, checked: true, 'aria-label': `${t('alerts.kind.' + k)}: ${t('alerts.email')}` }),
      push: h('input', { type: 'checkbox', id: `set-ch-${k}-push`, checked: true, 'aria-label': `${t('alerts.kind.' + k)}: ${t('alerts.push')}` }),
    };
    return h('tr', null, h('th', { scope: 'row' }, t('alerts.kind.' + k)), h('td', null, boxes[k].email), h('td', null, boxes[k].push));
  });
  const el = h('div', { class: 'channels' },
    h('h3', null, t('alerts.channels')),
    h('table', { class: 'channels-table', id: 'set-channels' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('alerts.kind')), h('th', { scope: 'col' }, t('alerts.email')), h('th', { scope: 'col' }, t('alerts.push')))),
      h('tbody', null, rows)),
    h('p', { class: 'help muted small' }, t('alerts.channels.help')));
  return {
    el,
    set(channels) {
      for (const k of KINDS) {
        boxes[k].email.checked = channels?.[k]?.email ?? true;
        boxes[k].push.checked = channels?.[k]?.push ?? true;
      }
    },
    value() {
      const out = {};
      for (const k of KINDS) out[k] = { email: boxes[k].email.checked, push: boxes[k].push.checked };
      return out;
    },
    saved: alertPrefsSaved,
  };
}

// deviceCard turns this browser's notifications on or off and says how
// many devices receive pushes.
export function deviceCard() {
  const status = h('p', { id: 'alerts-status', role: 'status' });
  const devices = h('p', { class: 'muted small', id: 'alerts-devices' });
  const on = h('button', { type: 'button', class: 'primary', id: 'alerts-enable' }, t('alerts.enable'));
  const off = h('button', { type: 'button', id: 'alerts-disable', hidden: true }, t('alerts.disable'));
  async function draw() {
    const perm = permission();
    const info = await pushInfo();
    const sub = await currentSubscription();
    const active = perm === 'granted' && (!info.enabled || !!sub);
    on.hidden = active || perm === 'unsupported' || perm === 'denied';
    off.hidden = !sub;
    const lines = [];
    if (perm === 'unsupported') lines.push(t('alerts.unsupported'));
    else if (perm === 'denied') lines.push(t('alerts.denied'));
    else lines.push(active ? t('alerts.on') : t('alerts.off'));
    if (!info.enabled) lines.push(t('alerts.nopush'));
    status.textContent = lines.join(' ');
    status.dataset.permission = perm;
    status.dataset.subscribed = sub ? 'true' : 'false';
    devices.textContent = info.enabled && info.devices ? tn('alerts.devices', info.devices) : '';
  }
  on.addEventListener('click', async () => {
    on.disabled = true;
    try {
      await enableAlerts();
    } catch (e) {
      status.textContent = t('alerts.failed', { error: errorText(e) });
      on.disabled = false;
      return;
    }
    on.disabled = false;
    draw();
  });
  off.addEventListener('click', async () => {
    await disableAlerts();
    draw();
  });
  draw();
  return h('div', { class: 'card', id: 'alerts-card' }, h('h2', null, t('alerts.title')),
    h('p', { class: 'help muted small' }, t('alerts.help')), status, devices, on, off);
}
