package uitest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// shared is one demo server for the tests that do not restart it; they
// use different topics, conversations and users, so they run in parallel.
var shared struct {
	once sync.Once
	srv  *server
}

// sharedServer starts the shared server on first use. It lives for the
// whole run (tests cannot share a t.Cleanup), so the run owns it.
func sharedServer(t *testing.T) *server {
	t.Helper()
	skipShort(t) // before once.Do: a skip inside it would leave no server
	shared.once.Do(func() {
		shared.srv = startServer(suiteTB{t})
	})
	if shared.srv == nil {
		t.Fatal("the shared server did not start")
	}
	return shared.srv
}

// TestTopicChatLive: two users in two browsers chat live in a topic;
// typing, presence and read state show on the other side.
func TestTopicChatLive(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	api := srv.api(t, "messenger@demo.example")
	topic := api.topic("Payments processing")
	route := fmt.Sprintf("#/topic/%d", topic.ID)

	mira := newBrowser(t, srv, "mira")
	hannu := newBrowser(t, srv, "hannu")
	mira.login("messenger@demo.example")
	hannu.login("handler@demo.example")
	mira.route(route)
	hannu.route(route)
	for _, b := range []*browser{mira, hannu} {
		b.waitOnline()
		b.waitJS("history", `document.querySelectorAll('#messages .msg').length > 0`)
	}

	// Presence: Mira sees Hannu online in the member list.
	mira.waitJS("Hannu online", `document.querySelector('#members-online')?.textContent.match(/^[2-9]/)`)

	// Typing shows on the other side.
	mira.typeUntilSeen("#composer-input", "Hello Hannu", hannu, "Mira Messenger")
	mira.setValue("#composer-input", "Hello Hannu")

	// Sending: the message appears once on both sides.
	stamp := fmt.Sprint(time.Now().UnixNano())
	mira.send(" " + stamp)
	for _, b := range []*browser{mira, hannu} {
		b.waitText("#messages .msg:not(.pending) .body", "Hello Hannu "+stamp)
	}
	if n := eval[int](mira, countText("#messages .msg", stamp)); n != 1 {
		t.Fatalf("mira sees the message %d times", n)
	}
	hannu.waitJS("typing cleared", `document.querySelector('#typing').textContent === ''`)

	// A reply with formatting comes back live.
	hannu.msgAction("Hello Hannu "+stamp, "reply")
	hannu.send("**Got it** " + stamp)
	mira.waitJS("bold reply", fmt.Sprintf(`[...document.querySelectorAll('#messages .msg .body strong')].some(e => e.textContent === 'Got it') && %s`, hasText("#messages .reply-ref", "Mira Messenger")))

	// Edit and delete own messages, live on the other side.
	mira.msgAction("Hello Hannu "+stamp, "edit")
	mira.setValue("#composer-input", "Hello Hannu (edited) "+stamp)
	mira.enter("#composer-input")
	hannu.waitText("#messages .msg.is-edited .body", "(edited) "+stamp)
	hannu.waitJS("edited marker", `document.querySelector('#messages .msg.is-edited .edited')`)

	// A mention with completion, and an attachment from the composer.
	mira.typeInto("#composer-input", "Thanks @Han")
	mira.waitText("#mention-list li.active", "Hannu Handler")
	mira.enter("#composer-input")
	mira.waitJS("mention inserted", `document.querySelector('#composer-input').value === 'Thanks @Hannu Handler '`)
	file := filepath.Join(t.TempDir(), "report-"+stamp+".txt")
	if err := os.WriteFile(file, []byte("quarterly report "+stamp+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mira.do(chromedp.SetUploadFiles(chromedp.CSS("#composer-file"), []string{file}))
	mira.waitJS("upload done", `document.querySelector('.composer .upload.done')`)
	bellBefore := eval[int](hannu, `Number(document.querySelector('#bell-badge')?.textContent) || 0`)
	mira.send("see the file " + stamp)
	hannu.waitJS("mention shown", fmt.Sprintf(`[...document.querySelectorAll('#messages .msg')].some(m => m.querySelector('.mention')?.textContent === '@Hannu Handler' && m.textContent.includes(%s))`, jsStr("see the file "+stamp)))
	hannu.waitText("#messages .attachment .filename", "report-"+stamp+".txt")
	got := evalAsync[string](hannu, fmt.Sprintf(`(async () => { const a = [...document.querySelectorAll('#messages a.attachment')].find(a => a.textContent.includes(%s)); return await (await fetch(a.href)).text(); })()`, jsStr(stamp)))
	if got != "quarterly report "+stamp+"\n" {
		t.Fatalf("downloaded attachment: %q", got)
	}

	// The mention reaches Hannu's in-app notifications live: the bell
	// shows an unread count and the list links to the topic.
	hannu.waitJS("bell badge up", fmt.Sprintf(`(Number(document.querySelector('#bell-badge')?.textContent) || 0) > %d`, bellBefore))
	hannu.route("#/notifications")
	hannu.waitJS("mention notification", fmt.Sprintf(`[...document.querySelectorAll('#notifications a')].some(a => a.getAttribute('href') === %s && a.textContent.includes('Payments processing'))`, jsStr(route)))
	hannu.route(route)
	hannu.waitText("#messages .msg .body", "see the file "+stamp)

	// Unread badge: Hannu leaves the topic; a new message from Mira shows
	// as unread in his left panel.
	hannu.route("#/")
	mira.send("are you there " + stamp)
	hannu.waitJS("unread badge", fmt.Sprintf(`document.querySelector('a[data-topic="%d"] .badge')?.textContent === '1'`, topic.ID))
	hannu.route(route)
	hannu.waitText("#messages .msg .body", "are you there "+stamp)
	// Read markers: the "New" divider sits above what he had not read, and
	// opening the topic marked it read (badge gone).
	hannu.waitJS("new divider", `document.querySelector('.unread-sep')?.nextElementSibling?.textContent.includes('are you there')`)
	hannu.waitJS("badge cleared", fmt.Sprintf(`!document.querySelector('a[data-topic="%d"] .badge')`, topic.ID))
	// Read state shows on the other side: Mira sees that Hannu has seen it.
	mira.waitText("#seen", "Hannu Handler")

	// The last view is remembered across a reload.
	hannu.open("")
	hannu.waitJS("remembered route", fmt.Sprintf(`location.hash === %s && document.querySelector('#thread-title')?.textContent.includes('Payments processing')`, jsStr(route)))

	mira.noDialogs()
	hannu.noDialogs()
}

// TestTopicLifecycle: a messenger manager creates a topic and a member sees
// it appear without reloading; deactivating it removes it live, also from
// the member's open thread.
func TestTopicLifecycle(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	api := srv.api(t, "messenger@demo.example")
	group := api.topic("Salary questions").GroupID
	name := fmt.Sprint("Benefits ", time.Now().UnixNano())

	mira := newBrowser(t, srv, "mira")
	emma := newBrowser(t, srv, "emma")
	mira.login("messenger@demo.example")
	emma.login("employee@demo.example")
	emma.waitOnline()

	mira.click(fmt.Sprintf(`a.manage[href="#/manage/%d"]`, group))
	mira.typeInto("#nt-name", name)
	mira.setValue("#nt-interval", "0")
	mira.click("#nt-save")
	mira.waitText(".topic-form h2", name)

	link := fmt.Sprintf(`[...document.querySelectorAll('a.topic-link')].find(a => a.textContent.includes(%s))`, jsStr(name))
	emma.waitJS("new topic in the left panel", link)
	topic := api.topic(name)
	emma.route(fmt.Sprintf("#/topic/%d", topic.ID))
	emma.waitJS("empty topic", `document.querySelector('#thread-title')?.textContent.includes('Benefits') && document.querySelector('#messages .empty')`)
	api.postTopic(topic.ID, "Welcome to "+name)
	emma.waitText("#messages .msg .body", "Welcome to "+name)

	// Deactivate: gone from the left panel and from the open thread.
	mira.waitJS("topic form", fmt.Sprintf(`document.querySelector('#et-%d-active')`, topic.ID))
	mira.do(chromedp.Click(chromedp.CSS(fmt.Sprintf("#et-%d-active", topic.ID))))
	mira.click(fmt.Sprintf("#et-%d-save", topic.ID))
	emma.waitJS("topic gone from the left panel", "!("+link+")")
	emma.waitJS("thread closed", `document.querySelector('.gone')`)
	mira.waitJS("topic gone from the manager's panel too", "!("+link+")")
	if code, _ := api.call("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", topic.ID), map[string]any{"body": "still there?"}, nil); code != 404 {
		t.Fatalf("posting to an inactive topic: %d", code)
	}
}

// TestReconnectAfterRestart: the server is killed and started again while
// a browser is open; messages sent meanwhile appear after the reconnect,
// once each and in order.
func TestReconnectAfterRestart(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	api := srv.api(t, "messenger@demo.example")
	topic := api.topic("Salary questions")

	emma := newBrowser(t, srv, "emma")
	emma.login("employee@demo.example")
	emma.route(fmt.Sprintf("#/topic/%d", topic.ID))
	emma.waitOnline()
	stamp := fmt.Sprint(time.Now().UnixNano())
	api.postTopic(topic.ID, "before the restart "+stamp)
	emma.waitText("#messages .msg .body", "before the restart "+stamp)

	srv.stop(syscall.SIGKILL)
	emma.waitJS("shows the lost connection", `['reconnecting', 'connecting'].includes(document.querySelector('#conn')?.dataset.state)`)
	srv.start()
	for i := 1; i <= 3; i++ {
		api.postTopic(topic.ID, fmt.Sprintf("meanwhile %d %s", i, stamp))
	}
	emma.waitJSFor("reconnected", `document.querySelector('#conn')?.dataset.state === 'online'`, 45*time.Second)
	emma.waitText("#messages .msg .body", "meanwhile 3 "+stamp)
	order := eval[[]string](emma, fmt.Sprintf(`[...document.querySelectorAll('#messages .msg .body')].map(e => e.textContent).filter(s => s.includes(%s))`, jsStr(stamp)))
	want := []string{"before the restart " + stamp, "meanwhile 1 " + stamp, "meanwhile 2 " + stamp, "meanwhile 3 " + stamp}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("messages after the reconnect:\n got %q\nwant %q", order, want)
	}

	// Still live after the reconnect, in both directions.
	emma.send("back online " + stamp)
	emma.waitText("#messages .msg:not(.pending) .body", "back online "+stamp)
	api.postTopic(topic.ID, "and live again "+stamp)
	emma.waitText("#messages .msg .body", "and live again "+stamp)
	if n := eval[int](emma, countText("#messages .msg .body", "meanwhile 2 "+stamp)); n != 1 {
		t.Fatalf("a replayed message shows %d times", n)
	}
}
