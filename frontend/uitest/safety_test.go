package uitest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// xss is a payload that would run script or add elements if any of it
// were parsed as HTML.
const xss = `<img src=x onerror=alert(1)><script>alert(2)</script>"><svg onload=alert(3)>`

// injected is a JS condition: the page holds an element that no
// legitimate screen renders.
const injected = `document.querySelector('#app img, #app script, #app svg, #app iframe, a[href^="javascript"]')`

// TestUserContentIsText: an XSS payload in a message, a subject, a user
// name and a file name renders as text; no dialog opens and no element is
// injected. Links are only http(s) or mailto.
func TestUserContentIsText(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	stamp := fmt.Sprint(time.Now().UnixNano())
	admin := srv.api(t, "admin@demo.example")
	mira := srv.api(t, "messenger@demo.example")

	// A user whose name is the payload, in a group of their own with Mira.
	employee := admin.roleID("employee")
	email := "xss-" + stamp + "@demo.example"
	var evil struct {
		ID int64 `json:"id"`
	}
	admin.must("POST", "/api/v1/users", map[string]any{"email": email, "name": xss, "password": demoPassword, "locale": "en", "role_ids": []int64{employee}}, &evil)
	var group struct {
		ID int64 `json:"id"`
	}
	admin.must("POST", "/api/v1/messenger/groups", map[string]any{"name": "Safety " + stamp, "description": xss}, &group)
	admin.must("PUT", fmt.Sprintf("/api/v1/messenger/groups/%d/members", group.ID), map[string]any{"user_ids": []int64{mira.me.User.ID, evil.ID}}, nil)
	var topic topicInfo
	mira.must("POST", fmt.Sprintf("/api/v1/messenger/groups/%d/topics", group.ID), map[string]any{"name": "Topic " + xss}, &topic)

	// The payload user posts a message with the payload, a javascript:
	// link and an attachment whose name is the payload.
	evilAPI := srv.api(t, email)
	att := evilAPI.upload(xss+".txt", []byte("just text\n"))
	var attView struct {
		Attachments []struct {
			Filename string `json:"filename"`
		} `json:"attachments"`
	}
	evilAPI.must("POST", fmt.Sprintf("/api/v1/messenger/topics/%d/messages", topic.ID), map[string]any{
		"body": "msg " + stamp + " " + xss + " [click](javascript:alert(4)) **bold** [ok](https://example.com/a?b=1)", "attachment_ids": []int64{att},
	}, &attView)
	if len(attView.Attachments) != 1 {
		t.Fatalf("attachment not attached: %+v", attView)
	}
	storedName := attView.Attachments[0].Filename

	// A support conversation with the payload as subject.
	emma := srv.api(t, "employee@demo.example")
	var conv struct {
		ID int64 `json:"id"`
	}
	emma.must("POST", "/api/v1/conversations", map[string]any{"subject": xss + " " + stamp, "category_id": 1, "body": xss}, &conv)

	b := newBrowser(t, srv, "mira")
	b.login("messenger@demo.example")
	b.route(fmt.Sprintf("#/topic/%d", topic.ID))
	b.waitText("#messages .msg .body", "msg "+stamp)
	b.waitText("#messages .msg .author", xss)
	b.waitText("#messages .attachment .filename", storedName)
	b.waitText("#thread-title", "Topic "+xss)
	b.waitJS("bold still works", `[...document.querySelectorAll('#messages .body strong')].some(e => e.textContent === 'bold')`)
	b.waitJS("safe link kept", `document.querySelector('#messages .body a[href="https://example.com/a?b=1"][rel~="noopener"]')`)
	if !strings.Contains(eval[string](b, `document.querySelector('#messages').textContent`), "[click](javascript:alert(4))") {
		t.Error("the javascript: link is not shown as text")
	}
	// The author name also in the member list.
	b.waitText("#members", xss)
	// Mira writes the payload herself, through the composer.
	b.send("mine " + stamp + " " + xss)
	b.waitText("#messages .msg:not(.pending) .body", "mine "+stamp+" "+xss)

	e := newBrowser(t, srv, "emma")
	e.login("employee@demo.example")
	e.route(fmt.Sprintf("#/conversation/%d", conv.ID))
	e.waitText("#thread-title", xss+" "+stamp)
	e.waitText(".conv-link .subject", xss)
	e.waitText("#messages .msg .body", xss)

	for _, br := range []*browser{b, e} {
		if eval[bool](br, "!!("+injected+")") {
			t.Errorf("%s: an element was injected: %s", br.name, eval[string](br, "("+injected+").outerHTML"))
		}
		if eval[bool](br, `!!window.__xss`) {
			t.Errorf("%s: script ran", br.name)
		}
		br.noDialogs()
	}
}

// TestFinnish: the UI follows the browser's language before login and the
// user's language after; switching changes labels, status names and dates.
func TestFinnish(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	b := newBrowser(t, srv, "matti", withLang("fi-FI"))
	b.open("")
	b.waitText("#login-submit", "Kirjaudu")
	b.waitText("label[for=login-password]", "Salasana")

	b.typeInto("#login-email", "manager@demo.example") // Matti's profile says Finnish
	b.typeInto("#login-password", demoPassword)
	b.click("#login-submit")
	b.waitText("#sidebar", "Lähetä uusi viesti")
	b.waitText("#sb-messages", "Viestit")
	b.waitText("#conn", "Yhdistetty")
	b.waitJS("Finnish status labels", `[...document.querySelectorAll('.conv-link .status')].some(e => ['Uusi', 'Avoin', 'Odottaa', 'Ratkaistu'].includes(e.textContent))`)
	b.click("#new-message")
	b.waitText("label[for=new-subject]", "Aihe")
	b.waitText("#new-preview-btn", "Katso, kuka viestin saa")

	// A thread: day separators and times in Finnish.
	api := srv.api(t, "manager@demo.example")
	topic := api.topic("Salary questions")
	b.route(fmt.Sprintf("#/topic/%d", topic.ID))
	b.waitJS("Finnish day separator", `[...document.querySelectorAll('#messages .day')].some(e => /Tänään|Eilen|\d+\.\s/.test(e.textContent))`)
	b.waitText("#composer-send", "Lähetä")

	// Switch to English and back.
	b.setValue("#lang-switch", "en")
	b.waitText("#sb-messages", "Messages")
	b.waitText("#composer-send", "Send")
	b.setValue("#lang-switch", "fi")
	b.waitText("#sb-messages", "Viestit")

	// Log out: back to the login page, in Finnish.
	b.click("#logout")
	b.waitText(".login .notice", "Olet kirjautunut ulos")
	if code, _ := srv.api(t, "manager@demo.example").call("GET", "/api/v1/me", nil, nil); code != 200 {
		t.Fatalf("another session of the user ended too: %d", code)
	}
	b.noDialogs()
}
