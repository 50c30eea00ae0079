package uitest

import (
	"fmt"
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
// internal note: it shows in his notes panel marked internal, while Emma,
// looking at the same conversation, has no notes panel and never gets the
// note, though the reply he writes after it reaches her live.
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

	// An internal note: Hannu's panel shows it, marked; Emma has none.
	secret := "internal note " + stamp
	hannu.waitJS("notes panel", `document.querySelector('#notes-panel #note-body')`)
	hannu.typeInto("#note-body", secret)
	hannu.click("#note-add")
	hannu.waitText("#notes-list .note .body", secret)
	hannu.waitJS("note marked internal", `document.querySelector('#notes-list .note .badge.internal')`)
	hannu.send("reply after the note " + stamp)
	emma.waitText("#messages .msg .body", "reply after the note "+stamp)
	if eval[bool](emma, `!!document.querySelector('#notes-panel')`) {
		t.Error("the customer has a notes panel")
	}
	if strings.Contains(eval[string](emma, `document.body.textContent`), secret) {
		t.Error("the customer's page shows the internal note")
	}
	// The note is in Hannu's notes panel, not in the conversation thread.
	if strings.Contains(eval[string](hannu, `document.querySelector('#messages').textContent`), secret) {
		t.Error("the note shows in the conversation thread")
	}
	hannu.noDialogs()
	emma.noDialogs()
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
