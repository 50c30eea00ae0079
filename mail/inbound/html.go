package inbound

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders an HTML body as plain text for the same quote and
// signature rules as a text/plain body: the quoted history that mail
// clients mark up (Gmail's gmail_quote, Apple Mail's and Thunderbird's
// blockquote type=cite, Yahoo's yahoo_quoted, any blockquote) comes out
// as "> " lines, and their signature blocks after a "-- " line. Outlook
// marks no quote; everything from its reply header (divRplyFwdMsg) on is
// the history and is dropped. Scripts, styles and markup never reach the
// text; entities are decoded. The tree is walked without recursion, so a
// deeply nested document cannot exhaust the stack.
func htmlToText(src string) string {
	if len(src) > maxHTMLTree {
		return flatText(src)
	}
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// x/net/html refuses documents nested over 512 elements deep.
		return flatText(src)
	}
	r := renderer{lineStart: true}
	n := doc
	for n != nil && !r.stopped {
		if r.enter(n) && n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		for n != nil && !r.stopped {
			r.leave(n)
			if n == doc {
				n = nil
				break
			}
			if n.NextSibling != nil {
				n = n.NextSibling
				break
			}
			n = n.Parent
		}
	}
	return r.out.String()
}

// maxHTMLTree bounds the HTML that is parsed into a tree: a tree costs
// some sixty times its source in memory. No mail client's reply comes
// near it; a larger body is read flat (flatText).
const maxHTMLTree = 1 << 20

type renderer struct {
	out       strings.Builder
	quote     int  // depth of quote elements around the current node
	pre       int  // depth of <pre> around the current node
	lineStart bool // nothing, not even the quote prefix, is on the current line yet
	space     bool // a collapsed space is owed before the next word
	stopped   bool // the rest of the document is quoted history
}

// skipped elements carry no text a reader sees.
var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Title: true,
	atom.Template: true, atom.Noscript: true, atom.Iframe: true, atom.Object: true,
	atom.Svg: true, atom.Math: true, atom.Select: true,
}

var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Ul: true, atom.Ol: true, atom.Li: true,
	atom.Table: true, atom.Tr: true, atom.Blockquote: true, atom.Pre: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Hr: true, atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Address: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Center: true, atom.Form: true, atom.Fieldset: true, atom.Figure: true,
}

// enter writes what opens n and says whether its children are to be read.
func (r *renderer) enter(n *html.Node) bool {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return false
	case html.DocumentNode:
		return true
	case html.ElementNode:
	default:
		return false
	}
	if skipped[n.DataAtom] {
		return false
	}
	if historyStarts(n) {
		r.stopped = true
		return false
	}
	if blocks[n.DataAtom] {
		r.newline()
	}
	switch {
	case n.DataAtom == atom.Br:
		r.lineBreak()
	case isQuote(n):
		r.quote++
	case isSignature(n):
		r.newline()
		r.write("-- ")
		r.newline()
	case n.DataAtom == atom.Pre:
		r.pre++
	case n.DataAtom == atom.Li:
		r.write("- ")
	case n.DataAtom == atom.Td || n.DataAtom == atom.Th:
		r.space = !r.lineStart
	}
	return true
}

// leave writes what closes n; it is called for every element entered.
func (r *renderer) leave(n *html.Node) {
	if n.Type != html.ElementNode || skipped[n.DataAtom] {
		return
	}
	switch {
	case isQuote(n):
		r.newline()
		r.quote--
	case n.DataAtom == atom.Pre:
		r.pre--
	case n.DataAtom == atom.A:
		r.link(n)
	}
	if blocks[n.DataAtom] {
		r.newline()
	}
}

func (r *renderer) text(s string) {
	if r.pre > 0 {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				r.lineBreak()
			}
			r.write(line)
		}
		return
	}
	if r.lineStart && strings.Contains(s, "\u00a0") && strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " ")) == "" {
		// Outlook's and Outlook on the web's blank line: <p>&nbsp;</p>.
		r.lineBreak()
		return
	}
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if s != "" && isSpace(s[0]) {
		r.space = true
	}
	words := strings.Fields(s)
	for i, w := range words {
		if i > 0 {
			r.space = true
		}
		r.write(w)
	}
	if len(words) > 0 && isSpace(s[len(s)-1]) {
		r.space = true
	}
}

// write puts s on the current line, after the quote prefix and any owed space.
func (r *renderer) write(s string) {
	if s == "" {
		return
	}
	if r.lineStart {
		r.out.WriteString(strings.Repeat("> ", r.quote))
		r.lineStart, r.space = false, false
	}
	if r.space {
		r.out.WriteByte(' ')
		r.space = false
	}
	r.out.WriteString(s)
}

// newline ends the current line unless nothing is on it: block elements
// start and end on a line of their own.
func (r *renderer) newline() {
	if !r.lineStart {
		r.out.WriteByte('\n')
		r.lineStart = true
	}
	r.space = false
}

// lineBreak is <br>: it ends the line even when it is empty, as Gmail's
// <div><br></div> blank line. A blank line in a quote keeps its ">" so
// that the quote stays one block.
func (r *renderer) lineBreak() {
	if r.lineStart {
		r.out.WriteString(strings.TrimSpace(strings.Repeat("> ", r.quote)))
	}
	r.lineStart = false
	r.newline()
}

// link adds a link's target after its text when the text does not show it.
func (r *renderer) link(n *html.Node) {
	href := strings.TrimSpace(attr(n, "href"))
	lower := strings.ToLower(href)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return
	}
	if strings.Contains(textOf(n), href) {
		return
	}
	r.write(" <" + href + ">")
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' }

func isQuote(n *html.Node) bool {
	return n.DataAtom == atom.Blockquote || hasClass(n, "gmail_quote") ||
		hasClass(n, "gmail_quote_container") || hasClass(n, "yahoo_quoted") ||
		hasClass(n, "moz-cite-prefix")
}

func isSignature(n *html.Node) bool {
	return hasClass(n, "gmail_signature") || hasClass(n, "moz-signature")
}

// historyStarts is Outlook's reply header (web, new Outlook, Outlook for
// Mac): what follows it in the document is the quoted message.
func historyStarts(n *html.Node) bool {
	switch attr(n, "id") {
	case "divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container":
		return true
	}
	return false
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// flatText is the text of a document too large for a tree or refused by
// the parser (nested over 512 elements deep): its words, a line for each
// block, no quote marks. No mail client writes such HTML, so keeping
// every word is safer than guessing at its quotes.
func flatText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	r := renderer{lineStart: true}
	skip := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return r.out.String()
		case html.TextToken:
			if !skip {
				r.text(string(z.Text()))
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			skip = skipped[a] && tt == html.StartTagToken
			if blocks[a] || a == atom.Br {
				r.newline()
			}
		}
	}
}

// textOf is the text of a link: its text children and theirs, a few
// levels down (a link's text is short; this keeps the walk bounded).
func textOf(n *html.Node) string {
	var b strings.Builder
	var collect func(n *html.Node, depth int)
	collect = func(n *html.Node, depth int) {
		for c := n.FirstChild; c != nil && b.Len() < 4096; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			} else if depth < 4 {
				collect(c, depth+1)
			}
		}
	}
	collect(n, 0)
	return b.String()
}
