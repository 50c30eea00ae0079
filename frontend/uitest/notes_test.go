package uitest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDesignatedAdminListAndNotes runs on the demo, which has
// company-based visibility on. Hannu Handler (assigned to the customer
// companies) handles Emma's conversation: his "Designated administrator"
// list offers Aino Admin, the tenant admin who is in none of his companies
// and no message handler, since the server accepts her (the list used to
// come from the directory, which hides her under the company rule);
// saving her shows her as the designated administrator. Then he writes an
// internal note with the composer's switch: it shows inline in his
// timeline, marked internal, and reaches Aino's open view live, while
// Emma, looking at the same conversation, never gets the note (nor the
// switch, nor a moved last seq), though the reply he writes after it
// reaches her live. Search finds the note for Hannu, not for Emma.
func TestDesignatedAdminListAndNotes(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	stamp := fmt.Sprint(time.Now().UnixNano())
	var conv struct {
		ID int64 `json:"id"`
	}
	srv.api(t, "employee@demo.example").must("POST", "/api/v1/conversations",
		map[string]any{"subject": "Admin list " + stamp, "category_id": 1, "body": "hello " + stamp}, &conv)
	srv.api(t, "handler@demo.example").must("POST", fmt.Sprintf("/api/v1/conversations/%d/take", conv.ID), map[string]any{}, nil)
	route := fmt.Sprintf("#/conversation/%d", conv.ID)

	hannu := newBrowser(t, srv, "hannu")
	emma := newBrowser(t, srv, "emma")
	hannu.login("handler@demo.example")
	emma.login("employee@demo.example")
	hannu.route(route)
	emma.route(route)
	hannu.waitText("#messages .msg .body", "hello "+stamp)
	emma.waitText("#messages .msg .body", "hello "+stamp)

	hannu.click("#conv-admin-open")
	hannu.waitJS("the designated administrator list", `document.querySelectorAll('#conv-admin-select option').length > 1`)
	hannu.waitText("#conv-admin-select option", "Aino Admin")
	aino := eval[string](hannu, `[...document.querySelectorAll('#conv-admin-select option')].find(o => o.textContent.includes('Aino Admin')).value`)
	hannu.setValue("#conv-admin-select", aino)
	hannu.click("#conv-admin-save")
	hannu.waitText("#conv-panel .facts dd", "Aino Admin")

	// An internal note, written with the composer's "Internal note"
	// switch: it shows inline in Hannu's timeline, marked, before the reply
	// he writes after it; Emma gets the reply live and never the note, nor
	// the switch, nor an unread count for it.
	secret := "internal note " + stamp
	hannu.waitJS("the reply / internal note switch", `!document.querySelector('.composer-mode').hidden`)
	if eval[bool](emma, `!document.querySelector('.composer-mode')?.hidden`) {
		t.Error("the customer's composer offers internal notes")
	}
	var before, after struct {
		LastSeq int64 `json:"last_seq"`
		Unread  int64 `json:"unread"`
	}
	// Aino, now designated administrator, has the conversation open: the
	// note reaches her live.
	ainoB := newBrowser(t, srv, "aino")
	ainoB.login("admin@demo.example")
	ainoB.route(route)
	ainoB.waitJS("Aino's note mode", `!document.querySelector('.composer-mode').hidden`)
	emmaAPI := srv.api(t, "employee@demo.example")
	emmaAPI.must("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), nil, &before)
	hannu.click("#composer-mode-note")
	hannu.waitJS("note mode", `document.querySelector('form.composer').classList.contains('note-mode')`)
	hannu.send(secret)
	hannu.waitText("#messages .msg.note .body", secret)
	hannu.waitText("#messages .msg.note .note-label", "Sisäinen muistiinpano") // the demo speaks Finnish
	ainoB.waitText("#messages .msg.note .body", secret)
	// Nothing of the note reaches the customer's side of the
	// conversation: not its last seq, so no unread count or badge.
	emmaAPI.must("GET", fmt.Sprintf("/api/v1/conversations/%d", conv.ID), nil, &after)
	if after != before {
		t.Errorf("the note moved the customer's conversation: %+v -> %+v", before, after)
	}
	hannu.click("#composer-mode-reply")
	hannu.waitJS("reply mode", `!document.querySelector('form.composer').classList.contains('note-mode')`)
	hannu.send("reply after the note " + stamp)
	emma.waitText("#messages .msg .body", "reply after the note "+stamp)
	hannu.waitText("#messages .msg:not(.note):not(.pending) .body", "reply after the note "+stamp)
	order := eval[string](hannu, `[...document.querySelectorAll('#messages .msg .body')].map(b => b.textContent).filter(x => x.includes('`+stamp+`')).join('|')`)
	if want := "hello " + stamp + "|" + secret + "|reply after the note " + stamp; order != want {
		t.Errorf("Hannu's timeline %q, want %q", order, want)
	}
	if strings.Contains(eval[string](emma, `document.body.textContent`), secret) || eval[bool](emma, `!!document.querySelector('.msg.note')`) {
		t.Error("the customer's page shows the internal note")
	}
	// Search finds the note for Hannu, marked, and opens it inline in the
	// conversation (from the history, after leaving the view); Emma's
	// search finds nothing.
	search := "#/search?q=" + url.QueryEscape(secret)
	hannu.route(search)
	hannu.waitJS("the note found, marked", `document.querySelectorAll('#search-results .hit-item').length === 1 && !!document.querySelector('#search-results .hit-item .badge.internal')`)
	hannu.click("#search-results a.hit")
	hannu.waitJS("opened at the note", fmt.Sprintf(`location.hash.startsWith(%s) && !!document.querySelector('#messages .msg.note')`, jsStr(route+"?m=")))
	hannu.waitText("#messages .msg.note .body", secret)
	emma.route(search)
	emma.waitJS("the customer's search done", `!!document.querySelector('#search-results ul.hits')`)
	if n := eval[int](emma, `document.querySelectorAll('#search-results .hit-item').length`); n != 0 {
		t.Errorf("the customer's search found %d hits for the note", n)
	}
	hannu.noDialogs()
	emma.noDialogs()
	ainoB.noDialogs()
}

// TestOfficeAddressSetting: a tenant admin sets the office notification
// address and its language in the settings form; the server keeps them,
// and an employee's view of the tenant does not show the address.
func TestOfficeAddressSetting(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	aino := newBrowser(t, srv, "aino")
	aino.login("admin@demo.example")
	aino.route("#/admin/settings")
	aino.waitJS("settings loaded", `document.querySelector('#ts-officeemail')`)
	aino.waitText("label", "Office notification address")
	aino.waitText(".help", "every new conversation and every customer message")
	aino.typeInto("#ts-officeemail", "Office@Demo.Example")
	aino.setValue("#ts-officelocale", "fi")
	aino.click("#ts-save")
	var tn struct {
		Settings struct {
			NotificationEmail  string `json:"notification_email"`
			NotificationLocale string `json:"notification_locale"`
		} `json:"settings"`
	}
	admin := srv.api(t, "admin@demo.example")
	// The save is asynchronous: wait for it (the deadline only bounds a hang).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		admin.must("GET", "/api/v1/tenant", nil, &tn)
		if tn.Settings.NotificationEmail != "" || time.Now().After(deadline) {
			break
		}
	}
	if tn.Settings.NotificationEmail != "office@demo.example" || tn.Settings.NotificationLocale != "fi" {
		t.Fatalf("saved settings %+v", tn.Settings)
	}
	var seen struct {
		Settings map[string]any `json:"settings"`
	}
	srv.api(t, "employee@demo.example").must("GET", "/api/v1/tenant", nil, &seen)
	if _, ok := seen.Settings["notification_email"]; ok {
		t.Fatalf("an employee sees the office address: %v", seen.Settings)
	}
	aino.noDialogs()
}
