// Languages: English and Finnish. Every text of the UI is a key in
// strings.js; t(key, params) looks it up in the current language and fills
// {name} placeholders. Dates and times go through Intl.DateTimeFormat.
// See docs/ui.md ("Adding a string").

import { strings } from './strings.js';
import { Emitter } from './dom.js';

export const LANGS = ['en', 'fi'];
const INTL_LOCALE = { en: 'en-GB', fi: 'fi-FI' };

export const i18nEvents = new Emitter();
let current = 'en';

// browserLang picks fi or en from the browser's preferences.
export function browserLang() {
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

export function lang() {
  return current;
}

export function setLang(l) {
  if (!LANGS.includes(l) || l === current) {
    document.documentElement.lang = current;
    return;
  }
  current = l;
  document.documentElement.lang = l;
  fmtCache.clear();
  i18nEvents.emit('change', l);
}

// t returns the text for key in the current language, falling back to
// English and then to the key itself (so a missing string is visible).
export function t(key, params) {
  let s = strings[current]?.[key] ?? strings.en[key];
  if (s == null) {
    console.warn('i18n: missing string', key);
    s = key;
  }
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] != null ? String(params[k]) : m));
  return s;
}

// tn picks key.one or key.other by count.
export function tn(key, n, params) {
  return t(key + (n === 1 ? '.one' : '.other'), { n, ...params });
}

const fmtCache = new Map();
function fmt(kind, opts) {
  const k = current + kind;
  if (!fmtCache.has(k)) fmtCache.set(k, new Intl.DateTimeFormat(INTL_LOCALE[current], opts));
  return fmtCache.get(k);
}

function asDate(v) {
  return v instanceof Date ? v : new Date(v);
}

export function fmtTime(v) {
  return fmt('time', { hour: '2-digit', minute: '2-digit' }).format(asDate(v));
}

export function fmtDateTime(v) {
  return fmt('datetime', { dateStyle: 'medium', timeStyle: 'short' }).format(asDate(v));
}

export function fmtDate(v) {
  return fmt('date', { dateStyle: 'medium' }).format(asDate(v));
}

export function dayKey(v) {
  const d = asDate(v);
  return d.getFullYear() + '-' + (d.getMonth() + 1) + '-' + d.getDate();
}

// fmtDay names a day for a separator: Today, Yesterday, or the date.
export function fmtDay(v) {
  const d = asDate(v);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return t('day.today');
  if (dayKey(d) === dayKey(yesterday)) return t('day.yesterday');
  return fmt('day', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(d);
}

// fmtInterval renders seconds as a short duration.
export function fmtInterval(sec) {
  if (!sec) return t('interval.none');
  if (sec % 86400 === 0) return tn('interval.days', sec / 86400);
  if (sec % 3600 === 0) return tn('interval.hours', sec / 3600);
  return tn('interval.minutes', Math.round(sec / 60));
}
