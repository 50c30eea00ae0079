package inbound

import (
	"strings"
	"testing"
	"time"
)

// TestReplyText covers the stripping rules one at a time, and above all
// the cases where text that only looks like a marker must be kept.
func TestReplyText(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"nothing new", "> only the quote\n> of the old mail\n", ""},
		{"signature only", "-- \nJohn\n", ""},
		{"wrapped attribution over three lines", "Fine.\n\nOn Mon, Dec 1, 2026 at 10:00 AM Parley\nNotifications <\nreply@parley.example> wrote:\n> old\n", "Fine."},
		{"finnish attribution", "Selvä.\n\nti 2.12.2026 klo 8.05 Parley <r@parley.example> kirjoitti:\n> vanha\n", "Selvä."},
		{"finnish outlook for mac attribution", "Selvä.\n\nParley <r@parley.example> kirjoitti 2.12.2026 kello 8.05:\n> vanha\n", "Selvä."},
		{"swedish attribution", "Okej.\n\nDen 2 dec. 2026 kl. 08:05 skrev Parley <r@parley.example>:\n> gammalt\n", "Okej."},
		{"outlook rule and finnish header", "Kyllä.\n\n________________________________\nLähettäjä: Parley <r@parley.example>\nLähetetty: tiistai 2. joulukuuta 2026 8.05\nVastaanottaja: Minä\nAihe: Lasku\n\nvanha\n", "Kyllä."},
		{"outlook bold header from html", "Yes.\n\n*From:* Parley <r@parley.example>\n*Sent:* Tuesday, December 2, 2026 8:05 AM\n*To:* Me\n*Subject:* Invoice\nold\n", "Yes."},
		{"finnish original message", "Ok.\n-----Alkuperäinen viesti-----\nLähettäjä: x\n", "Ok."},
		{"get outlook for ios", "Sure.\n\nGet Outlook for iOS\n", "Sure."},
		{"finnish android footer", "Käy.\n\nLähetetty Android-laitteesta\n", "Käy."},
		{"hanki outlook", "Käy.\n\nHanki Outlook for Android\n", "Käy."},
		{"sent from my iphone mid-text is kept", "Sent from my iPhone\nis how I write, and more text follows.\n", "Sent from my iPhone\nis how I write, and more text follows."},
		{"a sentence like an attribution without a quote is kept", "On Monday, 1 Dec, my colleague wrote:\nthe report is ready.\n", "On Monday, 1 Dec, my colleague wrote:\nthe report is ready."},
		{"an attribution-like sentence above the quote with no date stays", "As the docs wrote:\n> a quote\n", "As the docs wrote:"},
		{"a from line alone is kept", "From: the warehouse, 3 boxes\nSent back tomorrow.\n", "From: the warehouse, 3 boxes\nSent back tomorrow."},
		{"a dashed line that is not a signature", "Steps:\n--- first\n--- second\n", "Steps:\n--- first\n--- second"},
		{"quote in the middle is context", "> question\nanswer\n> another\nanswer two\n", "> question\nanswer\n> another\nanswer two"},
		{"forward by subject keeps all", "See below\n\nFrom: a@b.example\nSent: today\nTo: me\n", "See below\n\nFrom: a@b.example\nSent: today\nTo: me"},
		{"trailing spaces and blank lines", "\n\n  indented line   \nlast\t\n\n\n", "  indented line\nlast"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			subject := "Re: x"
			if strings.HasPrefix(c.name, "forward") {
				subject = "VL: x"
			}
			if got := replyText(body{plain: c.in}, subject); got != c.want {
				t.Fatalf("got:\n%q\nwant:\n%q", got, c.want)
			}
		})
	}
}

func TestReplyTextPrefersPlain(t *testing.T) {
	if got := replyText(body{plain: "plain words", html: "html words"}, ""); got != "plain words" {
		t.Fatalf("got %q", got)
	}
	if got := replyText(body{plain: " \n", html: "html words"}, ""); got != "html words" {
		t.Fatalf("got %q", got)
	}
}

func TestHTMLToText(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"no markup or script reaches the text", `<html><head><title>t</title><style>p{}</style></head><body><script>alert(1)</script><p>Hi &lt;b&gt; &amp; &quot;you&quot;</p></body></html>`, `Hi <b> & "you"`},
		{"lists and breaks", `<ul><li>one</li><li>two</li></ul>line<br>next`, "- one\n- two\nline\nnext"},
		{"pre keeps its lines", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"whitespace collapses", "<p>a\n   b\t c</p>", "a b c"},
		{"a link shows its target", `<a href="https://x.example/a">here</a> and <a href="https://x.example/b">https://x.example/b</a>`, "here <https://x.example/a> and https://x.example/b"},
		{"javascript links do not", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"blockquote becomes a quote", "<div>mine</div><blockquote><div>a</div><div><br></div><div>b</div></blockquote>", "mine\n> a\n>\n> b"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"outlook history stops the text", `<div>mine</div><div id="divRplyFwdMsg">From: x</div><div>old</div>`, "mine"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.TrimSpace(htmlToText(c.in)); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestHTMLToTextDeep: a document nested far deeper than any mail neither
// exhausts the stack nor takes long.
func TestHTMLToTextDeep(t *testing.T) {
	in := strings.Repeat("<div><blockquote>", 20000) + "deep" + strings.Repeat("</blockquote></div>", 20000)
	start := time.Now()
	got := htmlToText(in)
	if !strings.Contains(got, "deep") {
		t.Fatalf("text lost: %d bytes", len(got))
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestFlatText(t *testing.T) {
	in := strings.Repeat("<div>", 600) + "<script>alert(1)</script><style>p{}</style>a &amp; b<br>c" + strings.Repeat("</div>", 600)
	if got := strings.TrimSpace(htmlToText(in)); got != "a & b\nc" {
		t.Fatalf("got %q", got)
	}
}

func TestUnflow(t *testing.T) {
	cases := []struct {
		name, in string
		delsp    bool
		want     string
	}{
		{"soft breaks join", "one two \nthree\nfour", false, "one two three\nfour"},
		{"delsp removes the added space", "longword\u0020\nend", true, "longwordend"},
		{"space stuffing is removed", " From here\n >x", false, "From here\n>x"},
		{"quote depth ends a paragraph", "> a \n> b\n>> c \n>> d\ne", false, "> a b\n>> c d\ne"},
		{"a flowed line before a quote stops", "mine \n> old", false, "mine \n> old"},
		{"the signature line is not flowed", "text\n-- \nJohn", false, "text\n-- \nJohn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := unflow(c.in, c.delsp); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestHTMLToTextLarge(t *testing.T) {
	in := "<blockquote>kept</blockquote>" + strings.Repeat("<p>a</p>", maxHTMLTree/8)
	got := htmlToText(in)
	if !strings.HasPrefix(got, "kept\na\n") {
		t.Fatalf("got %q...", got[:min(len(got), 40)])
	}
}
