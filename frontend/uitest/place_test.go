package uitest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Key modifiers of input.DispatchKeyEvent (a bit field).
const (
	modCtrl  int64 = 2
	modShift int64 = 8
)

// docShot keeps a screenshot of b as an artifact and, with
// PARLEY_UI_SCREENSHOTS=<dir> (docs/ when regenerating docs/ui.md's
// pictures), as <dir>/<name>.png.
func docShot(t *testing.T, b *browser, name string) {
	t.Helper()
	png := b.screenshot()
	writeArtifact(t, name+".png", png)
	if dir := os.Getenv("PARLEY_UI_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// press sends a real key press (down and up) to the focused element.
func (b *browser) press(key, code string, vk int64, mods int64) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	ev := input.DispatchKeyEventParams{Key: key, Code: code, WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk, Modifiers: mods}
	if len(key) == 1 && mods&^modShift == 0 {
		ev.Text = key
	}
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		ev.Type = typ
		if typ == input.DispatchKeyEventTypeKeyUp {
			ev.Text = ""
		}
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, ev); err != nil {
			b.t.Fatalf("%s: pressing %s: %v", b.name, key, err)
		}
	}
}

// TestSearchOpensAtMessage: a search narrowed to one topic and author
// highlights the word in the excerpt (markup in the message stays text),
// and its hit opens the thread at an old message with the messages around
// it loaded, the gap to the newest ones filled on demand.
func TestSearchOpensAtMessage(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	emmaAPI := srv.api(t, "employee@demo.example")
	mattiAPI := srv.api(t, "manager@demo.example")
	topic := emmaAPI.topic("Holiday calendar")
	stamp := fmt.Sprint(time.Now().UnixNano())
	miraAPI := srv.api(t, "messenger@demo.example")
	posters := []*client{emmaAPI, mattiAPI, miraAPI}
	// Half a page before it, so that its page is centred on it.
	for i := range 30 {
		posters[i%3].postTopic(topic.ID, fmt.Sprintf("earlier %d %s", i, stamp))
	}
	emmaAPI.postTopic(topic.ID, "Context before "+stamp)
	emmaAPI.postTopic(topic.ID, "The zanzibarquokka plan <img src=x onerror=alert(1)> "+stamp)
	mattiAPI.postTopic(topic.ID, "Matti on zanzibarquokka too "+stamp)
	emmaAPI.postTopic(topic.ID, "Context after "+stamp)
	// More than a page after it plus half a page: opening at it leaves a
	// gap (fillers 22-39) between its page and the newest one.
	for i := range 90 {
		posters[i%3].postTopic(topic.ID, fmt.Sprintf("filler %d %s", i, stamp))
	}

	emma := newBrowser(t, srv, "emma")
	emma.login("employee@demo.example")
	emma.route("#/search")
	emma.waitJS("filters", `document.querySelector('#search-where option[value="topic:`+fmt.Sprint(topic.ID)+`"]') && document.querySelectorAll('#search-author option').length > 1`)
	emma.setValue("#search-page-q", "zanzibarquokka")
	emma.setValue("#search-where", fmt.Sprintf("topic:%d", topic.ID))
	emma.setValue("#search-author", fmt.Sprint(emmaAPI.me.User.ID))
	emma.click("#search-submit")
	emma.waitJS("one hit", `document.querySelectorAll('#search-results .hit-item').length === 1`)
	if got := eval[string](emma, `document.querySelector('#search-results mark.hit')?.textContent`); got != "zanzibarquokka" {
		t.Fatalf("highlighted %q", got)
	}
	if eval[bool](emma, `!!document.querySelector('#search-results img')`) || !eval[bool](emma, hasText("#search-results .excerpt", "<img src=x")) {
		t.Fatal("the excerpt's markup was not kept as text")
	}
	if !strings.Contains(eval[string](emma, `location.hash`), "author=") {
		t.Fatal("the filters are not in the route")
	}
	docShot(t, emma, "ui-search")

	emma.click("#search-results a.hit")
	emma.waitJS("the message in the thread", `document.activeElement?.matches('#messages article.msg') && document.activeElement.textContent.includes('zanzibarquokka plan')`)
	emma.waitText("#messages .msg .body", "Context before "+stamp)
	emma.waitText("#messages .msg .body", "Context after "+stamp)
	emma.waitJS("the gap to the newest messages", `document.querySelector('#load-gap')`)
	docShot(t, emma, "ui-search-opened")
	if eval[bool](emma, hasText("#messages .msg .body", "filler 30 "+stamp)) {
		t.Fatal("the middle of the thread was loaded without asking")
	}
	for range 3 {
		if !eval[bool](emma, `!!document.querySelector('#load-gap')`) {
			break
		}
		emma.click("#load-gap")
		emma.waitJS("a gap page loaded", `!document.querySelector('#load-gap')?.disabled`)
	}
	emma.waitJS("the gap filled", `!document.querySelector('#load-gap') && `+hasText("#messages .msg .body", "filler 30 "+stamp))
	if n := eval[int](emma, countText("#messages .msg .body", "zanzibarquokka plan")); n != 1 {
		t.Fatalf("the message shows %d times", n)
	}
	emma.noDialogs()
}

// TestKeyboardShortcuts: Ctrl+K opens the quick switcher and Enter goes
// there; "?" lists the shortcuts and Escape closes the list; Up in an
// empty composer edits your last message; Escape cancels the edit.
func TestKeyboardShortcuts(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	stamp := fmt.Sprint(time.Now().UnixNano())
	emma := newBrowser(t, srv, "emma")
	emma.login("employee@demo.example")
	emma.waitJS("topics loaded", hasText("#sidebar", "Holiday calendar"))

	emma.press("k", "KeyK", 75, modCtrl)
	emma.waitJS("switcher", `document.querySelector('dialog#switcher[open]') && document.activeElement?.id === 'switcher-q'`)
	emma.typeInto("#switcher-q", "holiday cal")
	emma.waitJS("one match", `document.querySelectorAll('#switcher-list [role=option]').length === 1`)
	emma.press("Enter", "Enter", 13, 0)
	emma.waitJS("the topic", `location.hash.startsWith('#/topic/') && document.querySelector('#thread-title')?.textContent.includes('Holiday calendar')`)
	emma.waitJS("switcher closed", `!document.querySelector('dialog#switcher')`)

	emma.waitOnline()
	emma.send("My last words " + stamp)
	emma.waitText("#messages .msg:not(.pending) .body", "My last words "+stamp)
	emma.waitJS("composer empty", `document.querySelector('#composer-input').value === ''`)
	emma.press("ArrowUp", "ArrowUp", 38, 0)
	emma.waitJS("editing the last message", `document.querySelector('#composer-input').value === `+jsStr("My last words "+stamp)+` && !document.querySelector('.composer-banner').hidden`)
	emma.press("Escape", "Escape", 27, 0)
	emma.waitJS("edit cancelled", `document.querySelector('#composer-input').value === '' && document.querySelector('.composer-banner').hidden`)

	eval[bool](emma, `(document.activeElement.blur(), document.querySelector('#messages').focus(), true)`)
	emma.press("?", "Slash", 191, modShift)
	emma.waitJS("help", `document.querySelector('dialog#shortcuts-help[open]') && `+hasText("#shortcuts-help", "Ctrl+K"))
	docShot(t, emma, "ui-shortcuts")
	emma.press("Escape", "Escape", 27, 0)
	emma.waitJS("help closed", `!document.querySelector('dialog#shortcuts-help')`)
	emma.noDialogs()
}
