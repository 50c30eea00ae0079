// DOM helpers. Every piece of text goes in as a text node or a property:
// the app never parses HTML (no innerHTML anywhere), so user content can
// never become markup.

// h builds an element. attrs: class, text, for, on<event> (functions),
// data (object), aria-*, and any other attribute or property. Children are
// nodes, strings (text nodes), arrays, or null/false (skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled' || k === 'indeterminate') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

// clear removes every child of el.
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// replace swaps el's children for the given ones.
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// reconcile makes container's children exactly the given nodes, in order,
// moving only what is out of place (a focused message keeps its focus when
// new ones are appended).
export function reconcile(container, nodes) {
  let cur = container.firstChild;
  for (const node of nodes) {
    if (node === cur) {
      cur = cur.nextSibling;
      continue;
    }
    container.insertBefore(node, cur);
  }
  while (cur) {
    const next = cur.nextSibling;
    container.removeChild(cur);
    cur = next;
  }
}

// debounce delays fn until calls stop for ms.
export function debounce(fn, ms) {
  let timer = 0;
  let pending = null;
  const d = (...args) => {
    clearTimeout(timer);
    pending = args;
    timer = setTimeout(() => {
      pending = null;
      fn(...args);
    }, ms);
  };
  // flush runs a pending call now.
  d.flush = () => {
    clearTimeout(timer);
    if (pending) {
      const args = pending;
      pending = null;
      fn(...args);
    }
  };
  d.cancel = () => {
    clearTimeout(timer);
    pending = null;
  };
  return d;
}

// uid returns a random id for client_msg_id.
export function uid() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Tiny event emitter.
export class Emitter {
  constructor() { this.handlers = new Map(); }
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type)?.delete(fn);
  }
  emit(type, ...args) {
    for (const fn of [...(this.handlers.get(type) || [])]) {
      try { fn(...args); } catch (e) { console.error(e); }
    }
  }
}

// icon is a decorative SVG icon (see app.css); give the control a label.
export function icon(name) {
  return h('span', { class: 'icon icon-' + name, 'aria-hidden': 'true' });
}
