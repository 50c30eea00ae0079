// Safe basic formatting: a tiny markdown-like parser that builds DOM nodes
// directly. Supported: **bold**, *italic* or _italic_, `code`, ``` code
// blocks ```, "- " and "1. " lists, "> " quotes, [text](url) and bare
// links (http, https and mailto only; rel=noopener), and @mentions of
// known names. Anything else is plain text. No HTML is ever parsed.

import { h } from './dom.js';

const SAFE_SCHEMES = ['http:', 'https:', 'mailto:'];

// safeUrl returns the URL when it is an absolute http(s) or mailto link,
// else null.
export function safeUrl(raw) {
  if (!/^(https?:\/\/|mailto:)/i.test(raw)) return null;
  try {
    const u = new URL(raw);
    return SAFE_SCHEMES.includes(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

function link(text, href) {
  return h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank', class: 'ext' }, text);
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Inline patterns, tried at every position; the earliest match wins.
function inlinePatterns(mentions) {
  const pats = [
    { re: /`([^`\n]+)`/g, make: (m) => h('code', null, m[1]) },
    { re: /\*\*(?=\S)([\s\S]*?\S)\*\*/g, make: (m, ctx) => h('strong', null, inline(m[1], ctx)) },
    { re: /\*(?=[^\s*])([^*\n]*?[^\s*])\*/g, make: (m, ctx) => h('em', null, inline(m[1], ctx)) },
    { re: /(?<![\w])_(?=\S)([^_\n]*?\S)_(?![\w])/g, make: (m, ctx) => h('em', null, inline(m[1], ctx)) },
    {
      re: /\[([^\]\n]+)\]\(([^)\s]+)\)/g,
      make: (m, ctx) => {
        const href = safeUrl(m[2]);
        if (!href || ctx.noLinks) return document.createTextNode(m[0]);
        return link(inline(m[1], { ...ctx, noLinks: true }), href);
      },
    },
    {
      re: /\b(?:https?:\/\/|mailto:)[^\s<>"]*[^\s<>".,:;'!?)\]]/gi,
      make: (m, ctx) => {
        const href = safeUrl(m[0]);
        if (!href || ctx.noLinks) return document.createTextNode(m[0]);
        return link(m[0], href);
      },
    },
  ];
  if (mentions && mentions.length) {
    const names = [...mentions].sort((a, b) => b.length - a.length).map(escapeRe);
    pats.push({ re: new RegExp('@(?:' + names.join('|') + ')', 'g'), make: (m) => h('span', { class: 'mention' }, m[0]) });
  }
  return pats;
}

// inline renders one run of text with inline formatting into nodes.
function inline(text, ctx) {
  const out = [];
  let pos = 0;
  while (pos < text.length) {
    let best = null;
    let bestPat = null;
    for (const p of ctx.pats) {
      p.re.lastIndex = pos;
      const m = p.re.exec(text);
      if (m && (!best || m.index < best.index)) {
        best = m;
        bestPat = p;
      }
    }
    if (!best) break;
    if (best.index > pos) out.push(document.createTextNode(text.slice(pos, best.index)));
    out.push(bestPat.make(best, ctx));
    pos = best.index + best[0].length;
  }
  if (pos < text.length) out.push(document.createTextNode(text.slice(pos)));
  return out;
}

function lines(nodesPerLine) {
  const out = [];
  nodesPerLine.forEach((nodes, i) => {
    if (i > 0) out.push(h('br'));
    out.push(...nodes);
  });
  return out;
}

const UL = /^\s*[-*+]\s+(.*)$/;
const OL = /^\s*\d{1,3}[.)]\s+(.*)$/;
const QUOTE = /^>\s?(.*)$/;
const FENCE = /^\s*```/;

// renderBody returns a fragment with the formatted message body. mentions
// are display names that appear as @Name in the text.
export function renderBody(text, mentions) {
  const ctx = { pats: inlinePatterns(mentions), noLinks: false };
  return blocks(String(text || '').replace(/\r\n?/g, '\n'), ctx, 0);
}

function blocks(text, ctx, depth) {
  const frag = document.createDocumentFragment();
  const ls = text.split('\n');
  let i = 0;
  while (i < ls.length) {
    const line = ls[i];
    if (FENCE.test(line)) {
      const code = [];
      i++;
      while (i < ls.length && !FENCE.test(ls[i])) code.push(ls[i++]);
      i++; // the closing fence, if any
      frag.appendChild(h('pre', null, h('code', null, code.join('\n'))));
      continue;
    }
    if (UL.test(line) || OL.test(line)) {
      const ordered = !UL.test(line) && OL.test(line);
      const re = ordered ? OL : UL;
      const list = h(ordered ? 'ol' : 'ul');
      while (i < ls.length && re.test(ls[i])) {
        list.appendChild(h('li', null, inline(re.exec(ls[i])[1], ctx)));
        i++;
      }
      frag.appendChild(list);
      continue;
    }
    if (QUOTE.test(line) && depth < 3) {
      const q = [];
      while (i < ls.length && QUOTE.test(ls[i])) q.push(QUOTE.exec(ls[i++])[1]);
      frag.appendChild(h('blockquote', null, blocks(q.join('\n'), ctx, depth + 1)));
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const para = [];
    while (i < ls.length && ls[i].trim() !== '' && !FENCE.test(ls[i]) && !UL.test(ls[i]) && !OL.test(ls[i]) && !QUOTE.test(ls[i])) {
      para.push(inline(ls[i], ctx));
      i++;
    }
    frag.appendChild(h('p', null, lines(para)));
  }
  return frag;
}

// excerpt is a short plain-text version of a body, for reply previews.
export function excerpt(text, n = 90) {
  const s = String(text || '').replace(/```/g, '').replace(/[*_`>#]/g, '').replace(/\s+/g, ' ').trim();
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
